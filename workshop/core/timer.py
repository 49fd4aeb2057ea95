"""A countdown owned by the server, kept as an absolute deadline."""

from __future__ import annotations

from dataclasses import dataclass, replace

from .errors import Refusal

IDLE, RUNNING, PAUSED, DONE = "idle", "running", "paused", "done"


class TimerError(Refusal):
    """A timer command that does not fit the timer's state."""


@dataclass(frozen=True)
class Timer:
    """A countdown: idle, running to a deadline, paused with time left, or done.

    Times are server epoch milliseconds. Every method returns a new Timer.
    """

    duration_ms: int
    state: str = IDLE
    deadline: int | None = None
    remaining_ms: int = 0

    @classmethod
    def of(cls, duration_ms: int) -> Timer:
        """Make an idle timer of the given length."""
        return cls(duration_ms=duration_ms, remaining_ms=duration_ms)

    @classmethod
    def running_from(cls, duration_ms: int, start: int) -> Timer:
        """Make a timer that started at `start`."""
        return cls(duration_ms=duration_ms, state=RUNNING, deadline=start + duration_ms)

    def remaining(self, now: int) -> int:
        """Return the milliseconds left at `now`."""
        if self.state == RUNNING:
            return max(0, self.deadline - now)
        return self.remaining_ms if self.state != DONE else 0

    def expired(self, now: int) -> bool:
        """Tell whether a running timer has reached its deadline."""
        return self.state == RUNNING and self.deadline <= now

    def start(self, now: int) -> Timer:
        """Start an idle timer, or restart a finished one from its full length."""
        if self.state in (RUNNING, PAUSED):
            raise TimerError("The timer is already started.", "timer_running")
        return replace(self, state=RUNNING, deadline=now + self.duration_ms, remaining_ms=0)

    def pause(self, now: int) -> Timer:
        """Pause a running timer, keeping what is left."""
        if self.state != RUNNING:
            raise TimerError("The timer is not running.", "timer_not_running")
        return replace(self, state=PAUSED, deadline=None, remaining_ms=self.remaining(now))

    def resume(self, now: int) -> Timer:
        """Resume a paused timer."""
        if self.state != PAUSED:
            raise TimerError("The timer is not paused.", "timer_not_paused")
        return replace(self, state=RUNNING, deadline=now + self.remaining_ms, remaining_ms=0)

    def extend(self, ms: int, now: int) -> Timer:
        """Add time to a running, paused or idle timer."""
        if self.state == RUNNING:
            return replace(self, deadline=max(self.deadline, now) + ms, duration_ms=self.duration_ms + ms)
        if self.state in (PAUSED, IDLE):
            return replace(self, remaining_ms=self.remaining_ms + ms, duration_ms=self.duration_ms + ms)
        raise TimerError("The timer has finished; start it again instead.", "timer_done")

    def finish(self) -> Timer:
        """Mark the timer done."""
        return replace(self, state=DONE, deadline=None, remaining_ms=0)

    def to_dict(self) -> dict:
        """Return the timer as it goes on the wire and into the database."""
        return {
            "state": self.state,
            "deadline": self.deadline,
            "remaining_ms": self.remaining_ms,
            "duration_ms": self.duration_ms,
        }

    @classmethod
    def from_dict(cls, data: dict | None) -> Timer | None:
        """Rebuild a timer from `to_dict` output."""
        if data is None:
            return None
        return cls(data["duration_ms"], data["state"], data["deadline"], data["remaining_ms"])
