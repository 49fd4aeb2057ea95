"""Real servers and real Socket.IO clients for the tests."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import requests
import socketio

ROOT = Path(__file__).resolve().parent.parent

# Set by conftest for each test: only tests marked `server` or `browser` may start a process, so
# `make test-fast` (-m "not server and not browser") never starts one by accident.
PROCESS_ALLOWED = True


def free_port() -> int:
    """Return a free TCP port on the loopback interface."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(predicate, timeout: float = 10.0, interval: float = 0.02, what: str = "condition"):
    """Poll until `predicate()` is truthy, and return its value."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


class Server:
    """`python -m workshop` in a child process, on a free loopback port and a given database."""

    def __init__(self, db: Path, *args: str, env: dict | None = None):
        self.db = db
        self.args = args
        self.env = {**os.environ, "WORKSHOP_INSTANCE": str(db.parent / "instance"),
                    "WORKSHOP_ORGANIZER_KEY": "organizer-key-for-tests", **(env or {})}
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen | None = None
        self.log = db.with_suffix(".log")

    def start(self) -> Server:
        """Start the server and wait until it answers."""
        assert PROCESS_ALLOWED, "this test starts a real server: mark it @pytest.mark.server (or browser)"
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "workshop", "--host", "127.0.0.1", "--port", str(self.port),
                 "--db", str(self.db), *self.args],
                cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT)
        try:
            wait_until(self._answers, timeout=20, what=f"server on {self.url}")
        except BaseException:  # a fixture that fails to start never reaches its teardown: stop it here
            self.stop()
            raise
        return self

    def _answers(self) -> bool:
        if self.process.poll() is not None:
            raise AssertionError(f"server exited early:\n{self.log.read_text()[-3000:]}")
        try:
            return requests.get(self.url + "/healthz", timeout=1).ok
        except requests.RequestException:  # refused, or too slow to answer while it boots
            return False

    def kill(self) -> None:
        """Kill the server with SIGKILL, as a crash would."""
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=10)

    def stop(self) -> None:
        """Stop the server politely."""
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.kill()

    def output(self) -> str:
        """Return what the server has logged."""
        return self.log.read_text(errors="replace")

    # -- HTTP helpers ----------------------------------------------------------

    def create_workshop(self, agenda: str = "quick-connect", **extra) -> dict:
        """Start a workshop through the API, as the organizer: tests start more than one address may."""
        body = {"agenda": agenda, "organizer_key": self.env.get("WORKSHOP_ORGANIZER_KEY"), **extra}
        response = requests.post(self.url + "/api/workshops", json=body, timeout=5)
        assert response.status_code == 201, response.text
        return response.json()

    def join(self, code: str, name: str) -> dict:
        """Join a workshop through the API."""
        response = requests.post(self.url + "/api/join", json={"code": code, "name": name}, timeout=5)
        assert response.status_code == 201, response.text
        return response.json()


class Remembers:
    """What a connection was sent: every event in order, and the latest of each (the room by its seq).

    Shared by the real client here and the in-process one (tests/in_process.py), so both keep state alike.
    """

    def __init__(self):
        self.events: list[tuple[str, object]] = []
        self.state: dict[str, object] = {}

    def remember(self, event: str, data) -> None:
        self.events.append((event, data))
        if event == "console" and isinstance(data, dict):
            self._keep_room(data["room"])
        if event == "room" and isinstance(data, dict):
            self._keep_room(data)
        else:
            self.state[event] = data

    def _keep_room(self, room):
        current = self.state.get("room")
        if current is None or room["seq"] >= current["seq"]:
            self.state["room"] = room


class Client(socketio.Client):
    """python-socketio's client, waiting as long for the room's answer when it reconnects as when it connects.

    Its reconnect loop calls connect() with the default wait of 1 s for the namespace's answer; on
    a loaded machine a server just restarted (restoring its rooms) may take longer, and a phone
    whose every attempt ends at 1 s never gets back in. A browser's socket.io-client waits 20 s.
    """

    closed = False  # set by Phone.close: no reconnect loop may start after it

    def connect(self, *args, wait_timeout: float = 5, **kwargs):
        return super().connect(*args, wait_timeout=wait_timeout, **kwargs)

    def _handle_reconnect(self):
        """Start the reconnect loop unless the phone was closed (python-socketio 5.18's own loop)."""
        if self.closed:
            return
        super()._handle_reconnect()


OPENED: list[Phone] = []  # every Phone made, in order; conftest closes what a test or a file leaves open


class Phone(Remembers):
    """A real Socket.IO client that keeps the latest state the server sent it."""

    def __init__(self, url: str, auth: dict):
        super().__init__()
        OPENED.append(self)
        self.lasting = False  # made by a fixture that outlives one test (conftest marks it)
        self.url = url
        self.auth = auth
        self.lock = threading.Lock()
        self.client = Client(reconnection=True, reconnection_delay=0.2, reconnection_delay_max=1,
                             request_timeout=5)
        self.client.on("*", self._record)
        self.refused = None
        self.client.on("connect_error", self._refused)

    def _record(self, event, data=None):
        with self.lock:
            self.remember(event, data)

    def _refused(self, data=None):
        self.refused = data or {}

    def connect(self, wait_for: str | None = None) -> Phone:
        """Connect, and wait for a first event if asked."""
        self.client.connect(self.url, auth=self.auth, transports=["websocket"], wait_timeout=5)
        if wait_for:
            wait_until(lambda: wait_for in self.state, what=f"'{wait_for}' event")
        return self

    def send(self, event: str, data: dict | None = None) -> dict:
        """Send a command and return its acknowledgement."""
        return self.client.call(event, data if data is not None else {}, timeout=5)

    def latest(self, event: str):
        with self.lock:
            return self.state.get(event)

    def wait_for(self, predicate, what: str = "state", timeout: float = 10.0):
        """Wait until `predicate(self)` holds."""
        return wait_until(lambda: predicate(self), timeout=timeout, what=what)

    def close(self) -> None:
        """Disconnect, or stop trying to reconnect to a server that has gone (disconnect alone would not).

        A phone whose server has just stopped may not know it yet: `shutdown()` disconnects, and a
        drop it notices meanwhile may start a reconnect loop after `shutdown()` looked for one; and
        the loop clears its abort signal as it begins. So no loop may start once closed, and one
        already going is told to stop until it has.
        """
        self.client.closed = True
        self.client.reconnection = False
        self.client.shutdown()
        task = self.client._reconnect_task  # python-socketio 5.18 keeps no public handle on it
        while task is not None and task.is_alive():
            self.client._reconnect_abort.set()
            task.join(timeout=0.1)


def close_phones_opened_since(count: int, include_lasting: bool = True) -> None:
    """Close the phones made after the first `count` (with those a wider fixture made, if asked).

    Once its server stops, a phone left open retries every second, in the background, for as long
    as the process runs.
    """
    kept = []
    while len(OPENED) > count:
        phone = OPENED.pop()
        if phone.lasting and not include_lasting:
            kept.append(phone)
        else:
            phone.close()
    OPENED.extend(reversed(kept))


def go_to(console, kind: str, nth: int = 0) -> int:
    """Move the room to the nth step of a kind and return its index (a console real or in process)."""
    steps = [s["index"] for s in console.latest("console")["agenda"]["steps"] if s["kind"] == kind]
    assert console.send("go_to_step", {"index": steps[nth]}) == {"ok": True}
    return steps[nth]


def in_a_round(server: Server, names) -> tuple[dict, Phone, list[Phone]]:
    """Start quick-connect, let everyone join and agree, and move the room to its first round."""
    workshop = server.create_workshop("quick-connect")
    console = facilitator(server, workshop)
    phones = [attendee(server, workshop["code"], name) for name in names]
    for phone in phones:
        assert phone.send("agree") == {"ok": True}
    go_to(console, "round")
    return workshop, console, phones


def attendee(server: Server, code: str, name: str) -> Phone:
    """Join a workshop and connect as that attendee."""
    joined = server.join(code, name)
    phone = Phone(server.url, {"role": "attendee", "code": code, "token": joined["token"]})
    phone.token = joined["token"]
    phone.id = joined["attendee_id"]
    return phone.connect(wait_for="you")


def facilitator(server: Server, workshop: dict) -> Phone:
    """Connect as the workshop's facilitator."""
    auth = {"role": "facilitator", "code": workshop["code"], "key": workshop["facilitator_key"]}
    return Phone(server.url, auth).connect(wait_for="console")
