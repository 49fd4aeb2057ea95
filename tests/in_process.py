"""The app in the test's own process: Flask's test client for HTTP, Flask-SocketIO's for sockets.

How Flask-SocketIO 5.7's `SocketIOTestClient` behaves with this app, which these helpers rely on:
- It turns `async_handlers` off, so a handler runs in the test's thread: when an emit with
  `callback=True` returns its acknowledgement, every broadcast the command caused is already queued
  on every test client it was addressed to (rooms and `to=sid` go through the app's own manager).
  Nothing needs waiting for, so the helpers below assert at once instead of polling.
- A refused connect only sets `is_connected()` false and keeps no payload: `Socket` records the
  CONNECT_ERROR packet itself, in the shape a real client's `connect_error` receives.
- It bypasses Engine.IO: the 128 KB message limit, transports and undecodable packets are not
  exercised here, so those tests run against a real server (tests/support.py, marked `server`).
- `init_app` gives the one module-level SocketIO a new python-socketio server for each app: one app
  at a time per process, so a module that shares an app uses no other `app` fixture.
- Apps here start with the clock stopped (CLOCK False): deadlines move only when a command moves
  them (`skip_timer`), never behind a test's back. The clock's own behaviour runs in a real server.
"""

from __future__ import annotations

import logging
from pathlib import Path

from flask import Flask
from flask_socketio import SocketIOTestClient
from socketio import packet

from workshop import create_app

from .support import Remembers, go_to

ORGANIZER_KEY = "organizer-key-for-tests"


def make_app(folder: Path, **config) -> Flask:
    """Create an app over a fresh database in `folder`, in threading mode, with its clock stopped."""
    settings = {"DB": str(folder / "test.db"), "INSTANCE": str(folder / "instance"),
                "ASYNC_MODE": "threading", "CLOCK": False, "TESTING": True, "ORGANIZER_KEY": ORGANIZER_KEY,
                **config}
    return create_app(settings)


class _Recording(SocketIOTestClient):
    """A test client that also keeps what a refused connection was told."""

    refused: dict | None = None

    def connect(self, namespace=None, query_string=None, headers=None, auth=None):
        server = self.socketio.server
        send = server._send_packet

        def spy(eio_sid, pkt):
            if eio_sid == self.eio_sid and pkt.packet_type == packet.CONNECT_ERROR:
                self.refused = pkt.data
            return send(eio_sid, pkt)

        server._send_packet = spy
        try:
            super().connect(namespace=namespace, query_string=query_string, headers=headers, auth=auth)
        finally:
            server._send_packet = send


class Socket(Remembers):
    """An in-process Socket.IO connection that keeps the latest state the server sent it, like `Phone`."""

    def __init__(self, app: Flask, auth, http=None):
        super().__init__()
        self.app = app
        self.auth = auth
        self.client = _Recording(app, app.extensions["socketio"], auth=auth, flask_test_client=http)
        self.refused = self.client.refused

    @property
    def connected(self) -> bool:
        return self.client.is_connected()

    def pull(self) -> list[tuple[str, object]]:
        """Take what the server sent since the last look, and keep the latest of each event."""
        received, self.client.queue = self.client.queue, []
        new = [(m["name"], m["args"][0] if m["args"] else None) for m in received]
        for event, data in new:
            self.remember(event, data)
        return new

    def latest(self, event: str):
        self.pull()
        return self.state.get(event)

    def send(self, event: str, data=None) -> dict:
        """Send a command with a payload ({} unless given) and return its acknowledgement."""
        return self.call(event, data if data is not None else {})

    def call(self, event: str, data=None):
        """Send an event exactly as given (None sends no payload at all) and return its acknowledgement."""
        args = () if data is None else (data,)
        return self.client.emit(event, *args, callback=True)

    def sees(self, predicate, what: str = "state"):
        """Assert that `predicate(self)` holds now (handlers ran before the acknowledgement came back)."""
        self.pull()
        value = predicate(self)
        assert value, f"expected {what}"
        return value

    def close(self) -> None:
        if self.connected:
            self.client.disconnect()


def phone(app: Flask, live, room, name: str = "Ana"):
    """Join a room through the registry and connect as that attendee with Flask-SocketIO's own test client."""
    _, attendee_id, token = live.join(room.code, name)
    auth = {"role": "attendee", "code": room.code, "token": token}
    client = app.extensions["socketio"].test_client(app, auth=auth)
    client.attendee_id, client.token = attendee_id, token
    return client


def create_workshop(http, agenda: str = "quick-connect", **extra) -> dict:
    """Start a workshop through the API, as the organizer (not limited per address)."""
    answer = http.post("/api/workshops", json={"agenda": agenda, "organizer_key": ORGANIZER_KEY, **extra})
    assert answer.status_code == 201, answer.get_data(as_text=True)
    return answer.get_json()


def join(http, code: str, name: str) -> dict:
    """Join a workshop through the API."""
    answer = http.post("/api/join", json={"code": code, "name": name})
    assert answer.status_code == 201, answer.get_data(as_text=True)
    return answer.get_json()


def attendee(app: Flask, code: str, name: str) -> Socket:
    """Join a workshop and connect as that attendee."""
    joined = join(app.test_client(), code, name)
    phone = Socket(app, {"role": "attendee", "code": code, "token": joined["token"]})
    assert phone.connected, phone.refused
    phone.token, phone.id = joined["token"], joined["attendee_id"]
    phone.sees(lambda p: p.state.get("you"), "the attendee's first view")
    return phone


def facilitator(app: Flask, workshop: dict) -> Socket:
    """Connect as the workshop's facilitator."""
    auth = {"role": "facilitator", "code": workshop["code"], "key": workshop["facilitator_key"]}
    console = Socket(app, auth)
    assert console.connected, console.refused
    console.sees(lambda c: c.state.get("console"), "the console")
    return console


class Logged(logging.Handler):
    """Every log record the app writes while attached; the in-process stand-in for a server's output."""

    def __init__(self):
        super().__init__(level=logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def __enter__(self) -> Logged:
        root = logging.getLogger()
        self.level_before = root.level
        root.addHandler(self)
        root.setLevel(logging.DEBUG)
        return self

    def __exit__(self, *exc) -> None:
        root = logging.getLogger()
        root.removeHandler(self)
        root.setLevel(self.level_before)

    def since(self, start: int = 0) -> str:
        """Return the log text from record `start` on, with any traceback, as a server would print it."""
        return "\n".join(self.format(r) for r in self.records[start:])

    def format(self, record: logging.LogRecord) -> str:
        return logging.Formatter("%(levelname)s %(name)s: %(message)s").format(record)


def snapshot(app: Flask, workshop: dict) -> dict:
    """Return the room as a fresh facilitator console sees it on connect."""
    console = facilitator(app, workshop)
    try:
        return console.latest("console")
    finally:
        console.close()


def populated(app: Flask, people: int, prefix: str, to_round: bool = True):
    """Start a workshop with people joined and agreed, paired in the first round (timer idle)."""
    workshop = create_workshop(app.test_client())
    console = facilitator(app, workshop)
    phones = [attendee(app, workshop["code"], f"{prefix}{i}") for i in range(people)]
    for phone in phones:
        assert phone.send("agree") == {"ok": True}
    if to_round:
        go_to(console, "round")
        for phone in phones:
            phone.sees(lambda p: p.latest("you")["group"], "everyone paired")
    return workshop, console, phones
