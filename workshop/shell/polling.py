"""A long-polling message over the size limit: answered at once, its connection dropped.

Over a websocket, a message over the limit drops the connection and the client reconnects.
Over long-polling, python-engineio 4.15 closes the session politely instead: it queues a close
packet and waits for a GET to take it, so the oversized POST stays unanswered while the client
has no GET out (a client that waits for its POST before polling again waits for ever, and each
such request holds a green thread and a socket), and the close packet reads to the client as a
deliberate disconnect, after which it does not come back by itself.

`OversizedPolls` sits in front of Engine.IO (which answers every path under `/socket.io/`) and
answers such a POST itself: `413`, the session dropped as a transport error (its attendee is
*away*, as when a phone loses its network), so the next poll is refused and the client connects
again, as over a websocket. A POST without a length (a chunked body, which Engine.IO would read
as empty and answer `200`) is answered `411` the same way: no browser sends one.
"""

from __future__ import annotations

from urllib.parse import parse_qs

TOO_LARGE = "Message too large: a Socket.IO message may be {} KB at most.\n"
NO_LENGTH = b"Send a Content-Length: a Socket.IO message is not read from a chunked body.\n"


class OversizedPolls:
    """WSGI middleware: a long-polling POST longer than `limit` bytes gets 413 and ends its session."""

    def __init__(self, app, eio, limit: int, path: str = "socket.io"):
        self.app = app
        self.eio = eio
        self.limit = limit
        self.prefix = f"/{path.strip('/')}/"
        self.too_large = TOO_LARGE.format(limit // 1024).encode()

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        if environ.get("REQUEST_METHOD") != "POST" or not path.startswith(self.prefix):
            return self.app(environ, start_response)
        length = environ.get("CONTENT_LENGTH") or ""
        if not length and "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower():
            return self._refuse(environ, start_response, "411 Length Required", NO_LENGTH)
        if length.isdigit() and int(length) > self.limit:
            return self._refuse(environ, start_response, "413 Payload Too Large", self.too_large)
        return self.app(environ, start_response)

    def _refuse(self, environ, start_response, status: str, answer: bytes):
        """Drop the POST's session as a transport error, and say why."""
        sid = parse_qs(environ.get("QUERY_STRING", "")).get("sid", [None])[0]
        session = self.eio.sockets.get(sid) if sid else None
        if session is not None:
            session.close(wait=False, abort=True, reason=self.eio.reason.TRANSPORT_ERROR)
            self.eio.sockets.pop(sid, None)
        start_response(status, [("Content-Type", "text/plain; charset=utf-8"),
                                ("Content-Length", str(len(answer)))])
        return [answer]
