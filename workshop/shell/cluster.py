"""Cluster mode: which worker owns a code, the Redis message queue, and the organizer's view of the peers.

Nothing here is imported unless `WORKSHOP_REDIS_URL` is set, and `redis` itself
only when the message queue is made, so a single server needs neither.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import socket
import time
import urllib.request

from .codes import CODE_ALPHABET, is_code

log = logging.getLogger(__name__)
RETRY = 2.0  # seconds between a worker's tries to subscribe to Redis again

PEER_HEADER = "X-Workshop-Peer"
SIGN_IN_HEADER = "X-Workshop-Sign-In"  # the digest of an organizer's sign-in id, asked about by a peer


def answered_at(path) -> bool:
    """Tell whether a server answers on the Unix socket at `path`: one nobody answers on is stale."""
    probe = socket.socket(socket.AF_UNIX)
    try:
        probe.settimeout(2)
        probe.connect(str(path))
    except OSError:
        return False
    else:
        return True
    finally:
        probe.close()


def owner(code: str, workers: int) -> int:
    """Return the worker (1-based) owning a room code: its first character decides, as in HAProxy's map."""
    return CODE_ALPHABET.index(code[0].upper()) % workers + 1


def owns(worker: int, workers: int):
    """Return the test a worker applies to the codes it draws, so that each new code points back at it."""
    return lambda code: owner(code, workers) == worker


def code_map(workers: int) -> str:
    """Return HAProxy's map file: each first character, upper and lower case, to its worker's backend."""
    lines = {f"{c} w{owner(c, workers)}" for c in CODE_ALPHABET}
    lines |= {f"{c.lower()} w{owner(c, workers)}" for c in CODE_ALPHABET}
    return "".join(f"{line}\n" for line in sorted(lines))


def message_queue(url: str, holds, channel: str = "workshop"):
    """Return python-socketio's Redis manager, publishing only what may cross processes.

    `holds(code)` tells whether this worker owns a room code (`owns` above).
    """
    import socketio

    class OwnerFirstRedisManager(socketio.RedisManager):
        """Deliver here every emit whose sockets can only be here; publish the rest.

        Every socket of a room is on the room's owner: HAProxy routes by the code, and a
        worker refuses a code it does not hold. So an emit to a room this worker owns
        (`CODE`, `CODE:facilitators`, `CODE:displays`) or to a connection it holds reaches
        everyone it can reach without Redis. python-socketio would publish it all the same,
        and every worker would decode a message no other worker can deliver (docs/scaling.md,
        section 2). An emit to a room or a connection held elsewhere is published, and an
        operator's script's emits come in through Redis, as python-socketio does them.
        """

        def emit(self, event, data, namespace=None, room=None, skip_sid=None, callback=None, to=None,
                 **kwargs):
            target, namespace = to or room, namespace or "/"
            if callback is None and not kwargs.get("ignore_queue") and self.only_here(target, namespace):
                return socketio.Manager.emit(self, event, data, namespace=namespace, room=target,
                                             skip_sid=skip_sid)
            return super().emit(event, data, namespace=namespace, room=room, skip_sid=skip_sid,
                                callback=callback, to=to, **kwargs)

        def only_here(self, target, namespace: str) -> bool:
            """Tell whether every socket an emit can reach is on this worker."""
            if not isinstance(target, str):  # everyone, or a list of rooms
                return False
            if self.is_connected(target, namespace) or self.is_pre_connected(target, namespace):
                return True
            code = target.partition(":")[0]
            return is_code(code) and holds(code)

        def _redis_connect(self):
            """Publish with a short timeout; listen with none, since a subscriber idles between messages.

            A subscriber that waits in silence notices a Redis gone without a word (a host lost,
            not a restart, which resets the connection) only by TCP keepalive: redis-py's
            defaults, after 30 s idle then 3 probes 5 s apart.
            """
            import redis

            keepalive = {"socket_keepalive": True, "socket_connect_timeout": 3, "retry_on_timeout": False}
            self.redis = redis.Redis.from_url(self.redis_url, socket_timeout=2, **keepalive)
            listener = redis.Redis.from_url(self.redis_url, socket_timeout=None, **keepalive)
            self.pubsub = listener.pubsub(ignore_subscribe_messages=True)
            self.connected = True

        def _redis_listen_with_retries(self):
            """Listen, and subscribe again RETRY seconds after a failure, however long Redis was away.

            python-socketio's own loop doubles its wait up to a minute, so after an outage of a
            minute the workers would not hear an operator's emits for up to a minute more. A
            refused connection costs little; every RETRY seconds is soon enough. (Overrides a
            private method of python-socketio 5.18, as pinned; a new version must be checked.)
            """
            subscribed, failures = False, 0
            while True:
                try:
                    if not subscribed:
                        self._redis_connect()
                        self.pubsub.subscribe(self.channel)
                        if failures:
                            log.warning("Listening to Redis again, after %d failed tries", failures)
                        subscribed, failures = True, 0
                    yield from self.pubsub.listen()
                except Exception as error:  # what python-socketio catches there too
                    if failures % 30 == 0:  # the first failure, then once a minute
                        log.warning("Cannot listen to Redis (%s); trying again every %.0f s", error, RETRY)
                    subscribed, failures = False, failures + 1
                    time.sleep(1.0 if failures == 1 else RETRY)

    return OwnerFirstRedisManager(url, channel=channel)


def peer_signature(secret: str) -> str:
    """Return the header value that shows a request comes from a worker of this cluster."""
    return hmac.new(secret.encode(), b"peer:workshops", hashlib.sha256).hexdigest()


def peer_holds_sign_in(peers: list[str], secret: str, id_hash: str, timeout: float = 2.0) -> bool:
    """Ask the peers whether one of them holds this organizer sign-in (it is kept where it was made)."""
    return any(_ask_about_sign_in(base, secret, id_hash, "GET", timeout) for base in peers)


def peers_forget_sign_in(peers: list[str], secret: str, id_hash: str, timeout: float = 2.0) -> None:
    """Tell every peer to forget this organizer sign-in, wherever it was made."""
    for base in peers:
        _ask_about_sign_in(base, secret, id_hash, "DELETE", timeout)


def _ask_about_sign_in(base: str, secret: str, id_hash: str, method: str, timeout: float) -> bool:
    headers = {PEER_HEADER: peer_signature(secret), SIGN_IN_HEADER: id_hash}
    request = urllib.request.Request(f"{base.rstrip('/')}/organizer/peer/sign-in", headers=headers,
                                     method=method)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as answer:
            return json.loads(answer.read()).get("alive") is True
    except (OSError, ValueError, AttributeError) as error:
        log.warning("peer %s did not answer about a sign-in: %s", base, error)
        return False


def peer_workshops(peers: list[str], secret: str, timeout: float = 3.0) -> tuple[list[dict], list[str]]:
    """Ask every peer for its workshops; return them all, and the peers that did not answer."""
    found, silent = [], []
    for base in peers:
        request = urllib.request.Request(f"{base.rstrip('/')}/organizer/peer.json",
                                         headers={PEER_HEADER: peer_signature(secret)})
        try:
            with urllib.request.urlopen(request, timeout=timeout) as answer:
                found.extend(json.loads(answer.read())["workshops"])
        except (OSError, ValueError, KeyError) as error:
            log.warning("peer %s did not answer: %s", base, error)
            silent.append(base)
    return found, silent

