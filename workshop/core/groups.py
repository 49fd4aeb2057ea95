"""A room's groups: who is with whom, who is waiting, and each group's prompt and progress."""

from __future__ import annotations

from dataclasses import dataclass

from .pairing.form import FACILITATOR, Pairing


@dataclass
class Group:
    id: str
    members: tuple[str, ...]
    since: int = 0
    prompt_round: int = 0
    prompt_index: int = 0
    done_round: int = 0
    done_phase: int = -1

    @property
    def people(self) -> set[str]:
        """Return the attendees in the group, without the facilitator."""
        return set(self.members) - {FACILITATOR}


@dataclass
class Regrouping:
    """What a pairing change did: groups made, groups dropped, people whose group changed."""

    made: set[str]
    dropped: list[Group]
    moved: set[str]
    waiting: bool = False  # whether the waiting list changed


class Groups:
    """Groups by id, each person's group, and the people waiting for a partner."""

    def __init__(self):
        self.by_id: dict[str, Group] = {}
        self.of: dict[str, str] = {}
        self.waiting: list[str] = []
        self.triads = 0

    def __len__(self) -> int:
        return len(self.by_id)

    def __iter__(self):
        return iter(self.by_id.values())

    def __contains__(self, group_id: str) -> bool:
        return group_id in self.by_id

    def __getitem__(self, group_id: str) -> Group:
        return self.by_id[group_id]

    def of_person(self, person: str) -> Group | None:
        """Return the group someone is in, or None."""
        group_id = self.of.get(person)
        return self.by_id[group_id] if group_id else None

    def add(self, group: Group) -> None:
        """Put a group in, indexing its members."""
        self.by_id[group.id] = group
        self.triads += len(group.members) == 3
        for member in group.people:
            self.of[member] = group.id

    def drop(self, group_id: str) -> Group:
        """Take a group out."""
        group = self.by_id.pop(group_id)
        self.triads -= len(group.members) == 3
        for member in group.people:
            if self.of.get(member) == group_id:
                del self.of[member]
        return group

    def as_pairing(self) -> Pairing:
        """Return the groups in the pairing module's terms."""
        return Pairing([g.members for g in self.by_id.values()], list(self.waiting))

    def apply(self, after: Pairing, new_id, since: int) -> Regrouping:
        """Make the groups match a pairing, keeping every group whose members did not change."""
        kept = {g.members: g.id for g in self.by_id.values()}
        wanted = set(after.groups)
        change = Regrouping(set(), [], set())
        for members, group_id in kept.items():
            if members not in wanted:
                group = self.drop(group_id)
                change.moved |= group.people
                change.dropped.append(group)
        for members in after.groups:
            if members not in kept:
                group = Group(new_id(), members, since)
                self.add(group)
                change.made.add(group.id)
                change.moved |= group.people
        newly_waiting = set(after.waiting) ^ set(self.waiting)
        change.moved |= newly_waiting
        change.waiting = bool(newly_waiting)
        self.waiting = list(after.waiting)
        return change
