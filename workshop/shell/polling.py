"""A long-polling message over the size limit: answered at once, its connection dropped.

Over a websocket, a message over the limit drops the connection and the client reconnects.
Over long-polling, python-engineio 4.15 closes the session politely instead: it queues a close
packet and waits for a GET to take it, so the oversized POST stays unanswered while the client
has no GET out (a client that waits for its POST before polling again waits for ever, and each
such request holds a green thread and a socket), and the close packet reads to the client as a
deliberate disconnect, after which it does not come back by itself.

`OversizedPolls` sits in front of Engine.IO and answers such a POST itself: `413`, the session
dropped as a transport error (its attendee is *away*, as when a phone loses its network), so the
next poll is refused and the client connects again, as over a websocket.
"""

from __future__ import annotations

from urllib.parse import parse_qs

TOO_LARGE = "Message too large: a Socket.IO message may be {} KB at most.\n"


class OversizedPolls:
    """WSGI middleware: a long-polling POST longer than `limit` bytes gets 413 and ends its session."""

    def __init__(self, app, eio, limit: int, path: str = "socket.io"):
        self.app = app
        self.eio = eio
        self.limit = limit
        self.answer = TOO_LARGE.format(limit // 1024).encode()
        self.path = path

    def __call__(self, environ, start_response):
        if (environ.get("REQUEST_METHOD") == "POST"
                and environ.get("PATH_INFO", "").strip("/") == self.path
                and self._length(environ) > self.limit):
            sid = parse_qs(environ.get("QUERY_STRING", "")).get("sid", [None])[0]
            session = self.eio.sockets.get(sid) if sid else None
            if session is not None:
                session.close(wait=False, abort=True, reason=self.eio.reason.TRANSPORT_ERROR)
                self.eio.sockets.pop(sid, None)
            start_response("413 Payload Too Large", [("Content-Type", "text/plain; charset=utf-8"),
                                                     ("Content-Length", str(len(self.answer))),
                                                     ("Connection", "close")])
            return [self.answer]
        return self.app(environ, start_response)

    @staticmethod
    def _length(environ) -> int:
        try:
            return int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return 0
