"""What a room command changed, for the shell to save and to send."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Change:
    """What a command changed: the shell saves these, then broadcasts them."""

    room: bool = False
    attendees: set[str] = field(default_factory=set)
    personal: set[str] = field(default_factory=set)
    groups: set[str] = field(default_factory=set)
    dropped_groups: set[str] = field(default_factory=set)
    waiting: bool = False
    met: list[tuple[str, ...]] = field(default_factory=list)
    response: dict | None = None
    answered: str | None = None

    @property
    def groups_changed(self) -> bool:
        """Tell whether groups or the waiting list changed."""
        return bool(self.groups or self.dropped_groups or self.waiting)

    def __bool__(self) -> bool:
        return bool(self.room or self.attendees or self.personal or self.groups_changed
                    or self.met or self.response is not None)

    def merge(self, other: Change) -> Change:
        """Fold another change into this one."""
        self.room |= other.room
        self.waiting |= other.waiting
        self.met.extend(other.met)
        if other.response is not None:
            self.response, self.answered = other.response, other.answered
        for name in ("attendees", "personal", "groups", "dropped_groups"):
            getattr(self, name).update(getattr(other, name))
        return self
