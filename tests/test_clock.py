"""The clock sleeps until the next deadline: idle it does not wake, and an earlier deadline wakes it."""

from __future__ import annotations

import subprocess
import sys
import threading
import time

import pytest

from workshop.shell.clock import Clock, now_ms

from .support import ROOT, wait_until


@pytest.fixture
def acted():
    """A clock's callback that records what it was called for, and when."""
    calls = []
    lock = threading.Lock()

    def act(code, kind, arg, now):
        with lock:
            calls.append((code, kind, arg, now_ms()))

    act.calls = calls
    return act


@pytest.fixture
def clock():
    running = Clock()
    yield running
    running.stop()


def test_an_idle_clock_does_not_wake_at_all(clock, acted):
    clock.start(acted)
    time.sleep(1.0)
    assert clock.wakeups == 0 and acted.calls == []


def test_a_deadline_added_to_an_idle_clock_wakes_it_at_that_time(clock, acted):
    clock.start(acted)
    time.sleep(0.2)
    when = now_ms() + 150
    clock.at(when, "ROOM01", "grace", "a_1")
    wait_until(lambda: acted.calls, timeout=3, what="the deadline to be acted on")
    (code, kind, arg, at), = acted.calls
    assert (code, kind, arg) == ("ROOM01", "grace", "a_1")
    assert when <= at < when + 200
    assert clock.wakeups <= 3, "slept until the deadline, not in ticks"


def test_an_earlier_deadline_wakes_a_clock_waiting_for_a_later_one(clock, acted):
    clock.start(acted)
    clock.at(now_ms() + 60_000, "LATER1", "timer")
    time.sleep(0.1)
    soon = now_ms() + 100
    clock.at(soon, "SOON01", "timer")
    wait_until(lambda: acted.calls, timeout=3, what="the earlier deadline")
    assert [c[0] for c in acted.calls] == ["SOON01"] and acted.calls[0][3] < soon + 200


def test_while_deadlines_wait_the_clock_sleeps_in_slices_of_at_most_a_second(acted):
    clock = Clock(slice_s=0.1)
    try:
        clock.start(acted)
        clock.at(now_ms() + 60_000, "LATER1", "timer")
        time.sleep(0.55)
        assert 3 <= clock.wakeups <= 7 and acted.calls == []
    finally:
        clock.stop()


def test_deadlines_are_acted_on_earliest_first_and_only_once_they_come():
    clock, calls = Clock(now=lambda: 0), []
    for when, code in [(300, "C"), (100, "A"), (200, "B")]:
        clock.at(when, code, "timer")
    clock.run_due(150, lambda code, kind, arg, now: calls.append(code))
    assert calls == ["A"]
    clock.run_due(1000, lambda code, kind, arg, now: calls.append(code))
    assert calls == ["A", "B", "C"] and clock.deadlines == []


def test_a_rooms_running_deadline_is_put_on_the_clock_once():
    clock = Clock(now=lambda: 0)
    for _ in range(3):
        clock.timer("ROOM01", 500)
    clock.timer("ROOM01", None)
    assert len(clock.deadlines) == 1 and clock.timer_at == {"ROOM01": 500}
    clock.run_due(500, lambda *args: None)
    assert clock.timer_at == {}


def test_a_stopped_clock_ends_its_task():
    threads = []

    def spawn(task):
        threads.append(threading.Thread(target=task, daemon=True))
        threads[0].start()

    clock = Clock(spawn=spawn)
    clock.start(lambda *args: None)
    clock.stop()
    threads[0].join(timeout=2)
    assert not threads[0].is_alive()


def test_the_apps_clock_idles_without_waking_under_threads(tmp_path):
    from workshop import create_app

    app = create_app({"DB": str(tmp_path / "t.db"), "INSTANCE": str(tmp_path / "instance"),
                      "ASYNC_MODE": "threading", "CLOCK": True, "ORGANIZER_KEY": "k"})
    try:
        time.sleep(1.0)
        assert app.extensions["workshop"].clock.wakeups == 0
    finally:
        app.extensions["workshop"].stop()


EVENTLET_CLOCK = """
import eventlet
eventlet.monkey_patch()
import sys, tempfile, time
from workshop import create_app
from workshop.shell.clock import now_ms
folder = tempfile.mkdtemp()
app = create_app({"DB": folder + "/t.db", "INSTANCE": folder + "/i", "ASYNC_MODE": "eventlet",
                  "CLOCK": True, "ORGANIZER_KEY": "k"})
clock = app.extensions["workshop"].clock
eventlet.sleep(1.0)
idle = clock.wakeups
seen = []
clock.stop()
eventlet.sleep(0.05)
clock.start(lambda code, kind, arg, now: seen.append(now_ms() - when))
when = now_ms() + 200
clock.at(when, "ROOM01", "timer")
eventlet.sleep(0.6)
print(idle, len(seen), seen[0] if seen else -1)
"""


@pytest.mark.server  # a real eventlet process
def test_under_eventlet_the_clock_idles_on_a_green_event_and_still_wakes_for_a_deadline():
    result = subprocess.run([sys.executable, "-W", "ignore", "-c", EVENTLET_CLOCK], cwd=ROOT,
                            capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, result.stderr
    idle, acted, late_ms = map(int, result.stdout.split())
    assert idle == 0 and acted == 1 and 0 <= late_ms < 150
