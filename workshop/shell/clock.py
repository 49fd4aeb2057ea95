"""The clock: the server's time, and a heap of deadlines acted on even when nobody is connected.

The background task sleeps until the next deadline and no longer; with no deadline
at all it sleeps until one is added. Adding a deadline earlier than every other
wakes it. The wait is an event made for the server's async mode (eventlet's green
event, gevent's, or a thread's), so the same code serves all three. While deadlines
exist it never sleeps more than `slice_s` in one go, so that a wall clock set
forward (a laptop waking from sleep) is noticed within that slice.
"""

from __future__ import annotations

import heapq
import itertools
import logging
import threading
import time

log = logging.getLogger(__name__)


def now_ms() -> int:
    """Return the server clock in epoch milliseconds."""
    return int(time.time() * 1000)


class Clock:
    """Tell the time, and call back at each deadline a room has put on it."""

    def __init__(self, now=now_ms, event=threading.Event, spawn=None, slice_s: float = 1.0):
        self.now = now
        self.spawn = spawn or (lambda task: threading.Thread(target=task, daemon=True).start())
        self.slice_s = slice_s
        self.deadlines: list[tuple] = []
        self.timer_at: dict[str, int] = {}
        self.order = itertools.count()
        self.heap_lock = threading.Lock()
        self.woken = event()
        self.running = False
        self.wakeups = 0

    def __call__(self) -> int:
        """Return the time now, in epoch milliseconds."""
        return self.now()

    # -- putting deadlines on the clock ----------------------------------------

    def at(self, when: int, code: str, kind: str, arg=None) -> None:
        """Call back for a room at `when`; wake the sleeping task if this comes first."""
        with self.heap_lock:
            first = not self.deadlines or when < self.deadlines[0][0]
            heapq.heappush(self.deadlines, (when, next(self.order), code, kind, arg))
        if first:
            self.woken.set()

    def timer(self, code: str, deadline: int | None) -> None:
        """Put a room's running deadline on the clock, once for each deadline."""
        if deadline is not None and self.timer_at.get(code) != deadline:
            self.timer_at[code] = deadline
            self.at(deadline, code, "timer")

    def forget(self, code: str) -> None:
        """Forget which deadline a room's timer was put on for; stale entries find no room and pass."""
        self.timer_at.pop(code, None)

    # -- acting on them -----------------------------------------------------------

    def run_due(self, now: int, act) -> None:
        """Call `act(code, kind, arg, now)` for every deadline that has come, earliest first."""
        while True:
            with self.heap_lock:
                if not self.deadlines or self.deadlines[0][0] > now:
                    return
                when, _, code, kind, arg = heapq.heappop(self.deadlines)
            if kind == "timer" and self.timer_at.get(code) == when:
                del self.timer_at[code]
            act(code, kind, arg, now)

    def start(self, act) -> None:
        """Start the task that acts on deadlines while nobody is watching."""
        if not self.running:
            self.running = True
            self.spawn(lambda: self._run(act))

    def stop(self) -> None:
        """Stop the task, waking it so that it sees."""
        self.running = False
        self.woken.set()

    def _until_next(self) -> float | None:
        """Return how long to sleep: until the next deadline, at most a slice; None when there is none."""
        with self.heap_lock:
            if not self.deadlines:
                return None
            first = self.deadlines[0][0]
        return min(self.slice_s, max(0.0, (first - self.now()) / 1000))

    def _run(self, act) -> None:
        while self.running:
            # Cleared before the heap is read: a deadline added after this still wakes the wait.
            self.woken.clear()
            self.woken.wait(self._until_next())
            if not self.running:
                return
            self.wakeups += 1
            try:
                self.run_due(self.now(), act)
            except Exception:  # the clock must outlive any one room's failure
                log.exception("deadline handling failed")
