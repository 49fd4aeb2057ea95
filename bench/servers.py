"""Servers in child processes, a facilitator client and a percentile, for bench/run.py."""

from __future__ import annotations

import asyncio
import math
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests
import socketio

ROOT = Path(__file__).resolve().parent.parent
COMMANDS = {
    "workshop": [sys.executable, "-m", "workshop", "--host", "127.0.0.1"],
    "gevent": [sys.executable, "bench/serve_gevent.py", "--host", "127.0.0.1"],
    "baseline": [sys.executable, "bench/baseline_server.py", "--host", "127.0.0.1"],
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def pct(values: list[float], q: float) -> float | None:
    """Return the nearest-rank percentile `q` of `values`, rounded to 0.1."""
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[max(0, math.ceil(q / 100 * len(ordered)) - 1)], 1)


class ServerProcess:
    """One server in a child process on a free loopback port; `stop()` always ends it."""

    def __init__(self, kind: str, folder: Path, *args: str):
        self.kind = kind
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.args = [*COMMANDS[kind], "--port", str(self.port), *args]
        if kind != "baseline":
            self.args += ["--db", str(folder / f"{kind}-{self.port}.db")]
        self.log = folder / f"{kind}-{self.port}.log"
        self.process: subprocess.Popen | None = None

    def start(self) -> ServerProcess:
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen(self.args, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
        end = time.monotonic() + 30
        while time.monotonic() < end:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.kind} server exited:\n{self.log.read_text()[-2000:]}")
            try:
                if requests.get(self.url + "/healthz", timeout=1).ok:
                    return self
            except requests.ConnectionError:
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"{self.kind} server did not answer on {self.url}")

    @property
    def pid(self) -> int:
        return self.process.pid

    def rss_kb(self) -> int:
        """Return the server's resident memory from /proc."""
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
        return 0

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


def create_workshop(url: str, agenda: str = "quick-connect") -> dict:
    response = requests.post(url + "/api/workshops", json={"agenda": agenda}, timeout=10)
    response.raise_for_status()
    return response.json()


class Facilitator:
    """A facilitator's console as a Socket.IO client that remembers every `room` by seq."""

    def __init__(self):
        self.sio = socketio.AsyncClient(reconnection=False, request_timeout=15, handle_sigint=False)
        self.rooms: dict[int, dict] = {}
        self.seq = -1
        self.sio.on("room", self.on_room)
        self.sio.on("console", lambda data: self.on_room(data["room"]))

    def on_room(self, data: dict) -> None:
        self.rooms.setdefault(data["seq"], data)
        self.seq = max(self.seq, data["seq"])

    @property
    def room(self) -> dict:
        return self.rooms[self.seq]

    @classmethod
    async def connect(cls, url: str, workshop: dict) -> Facilitator:
        fac = cls()
        auth = {"role": "facilitator", "code": workshop["code"], "key": workshop["facilitator_key"]}
        await fac.sio.connect(url, auth=auth, transports=["websocket"], wait_timeout=15)
        await fac.until(lambda: fac.seq >= 0)
        return fac

    async def until(self, test, timeout: float = 15) -> None:
        end = time.monotonic() + timeout
        while not test():
            if time.monotonic() > end:
                raise TimeoutError("facilitator waited too long")
            await asyncio.sleep(0.005)

    async def command(self, event: str, data: dict | None = None) -> tuple[float, int]:
        """Send a command that changes the room; return when it was emitted and the new room's seq."""
        before = self.seq
        at = time.time()
        ack = await self.sio.call(event, data or {}, timeout=30)
        if not ack.get("ok"):
            raise RuntimeError(f"{event} refused: {ack}")
        await self.until(lambda: self.seq > before)
        return at, self.seq

    async def close(self) -> None:
        await self.sio.disconnect()
