"""What needs the real process: `python -m workshop` on a loopback port, its clock, kill -9, a busy port.

The room's commands and pages run in the test's process (test_sockets, test_http, test_authorization).
"""

import socket
import subprocess
import sys
import time

import pytest
import requests

from .support import ROOT, Server, facilitator, in_a_round

pytestmark = [pytest.mark.server, pytest.mark.spread]  # each test has its own room


def test_help_documents_flags_and_environment():
    out = subprocess.run([sys.executable, "-m", "workshop", "--help"], cwd=ROOT, capture_output=True,
                         text=True, check=True).stdout
    for flag in ("--host", "--port", "--db", "WORKSHOP_DB", "WORKSHOP_GRACE_SECONDS", "WORKSHOP_TIME_SCALE"):
        assert flag in out


def test_server_moves_turns_on_at_the_deadline_without_the_facilitator(server):
    workshop, console, phones = in_a_round(server, ("Ana", "Ben"))
    console.send("start_timer")
    console.close()
    first = phones[0].wait_for(lambda p: p.latest("room")["phase"]["index"] == 0 and p.latest("room"))
    phones[0].wait_for(lambda p: p.latest("room")["phase"]["index"] >= 1, "the next turn", timeout=15)
    second = phones[0].latest("room")
    assert second["timer"]["deadline"] >= first["timer"]["deadline"]


def test_sigkill_mid_timer_then_restart_resumes_every_phone(tmp_path):
    server = Server(tmp_path / "crash.db", "--time-scale", "0.05", "--grace", "30").start()
    try:
        workshop, console, phones = in_a_round(server, [f"P{i}" for i in range(6)])
        assert console.send("start_timer") == {"ok": True}
        running = lambda p: p.latest("room")["timer"]["state"] == "running" and p.latest("room")  # noqa: E731
        before = [phone.wait_for(running) for phone in phones]
        groups_before = {phone.id: phone.latest("you")["group"]["id"] for phone in phones}
        server.kill()
        for phone in phones:  # before the restart: a phone back at once must not lose its new view
            with phone.lock:
                phone.state.pop("you", None)
        server.start()
        for phone in phones:
            phone.wait_for(lambda p: p.client.connected and p.latest("you"), "resume", timeout=20)
        for phone, seen in zip(phones, before, strict=True):
            room = phone.latest("room")
            assert room["step"]["index"] == seen["step"]["index"]
            if room["phase"]["index"] == seen["phase"]["index"]:
                assert room["timer"]["deadline"] == seen["timer"]["deadline"]
            assert phone.latest("you")["group"]["id"] == groups_before[phone.id]
    finally:
        server.stop()


def test_a_request_whose_body_never_arrives_is_dropped_after_the_idle_timeout(tmp_path):
    """A Content-Length the body never reaches held a green thread and a connection for ever."""
    server = Server(tmp_path / "idle.db", "--idle-timeout", "2").start()
    try:
        with socket.create_connection(("127.0.0.1", server.port), timeout=15) as stalled:
            stalled.sendall(b"POST /api/join HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                            b"Content-Length: 5000\r\n\r\n{\"code\": ")
            began = time.monotonic()
            answer = stalled.recv(200)
            waited = time.monotonic() - began
        assert answer.startswith(b"HTTP/1.1 400") and 1.5 < waited < 10, (answer, waited)
        assert requests.get(server.url + "/healthz", timeout=5).json() == {"ok": True}
    finally:
        server.stop()


def test_a_second_server_on_the_same_port_stops_before_touching_its_database(server, tmp_path):
    second = subprocess.run([sys.executable, "-m", "workshop", "--port", str(server.port), "--db",
                             str(tmp_path / "second.db")], cwd=ROOT, capture_output=True, text=True,
                            timeout=30, env=server.env)
    assert second.returncode == 1
    assert "Cannot listen" in second.stderr and "another --port" in second.stderr
    assert not (tmp_path / "second.db").exists()
    assert requests.get(server.url + "/healthz", timeout=5).json() == {"ok": True}


def test_an_ended_workshops_console_still_opens_after_a_restart(tmp_path):
    server = Server(tmp_path / "ended.db").start()
    try:
        workshop = server.create_workshop()
        assert facilitator(server, workshop).send("end_workshop") == {"ok": True}
        server.kill()
        server.start()
        console = facilitator(server, workshop)
        assert console.latest("room")["status"] == "ended"
        assert console.send("go_to_step", {"index": 1})["code"] == "room_ended"
    finally:
        server.stop()
