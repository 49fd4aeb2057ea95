"""The groups of a room in motion: forming them, changing them live, and each group's turn.

`Dyads` is mixed into `Room`: it reads the room's people, step and timer, and
keeps the groups, their prompts and who finished a turn early.
"""

from __future__ import annotations

from .change import Change
from .errors import Refusal
from .groups import Group
from .pairing import form as pairing
from .pairing import regroup

ROLES = "ABC"


class Dyads:
    """Group commands and group facts, for a Room."""

    def role_of(self, group: Group, position: int) -> str:
        """Return the role letter of a group position, rotated each further round a group stays together.

        A new group takes the pairing's order, which puts first whoever has spoken first least.
        """
        return ROLES[(position - max(self.round_no - group.since, 0)) % len(group.members)]

    def prompt_of(self, group: Group | None) -> str | None:
        """Return the prompt a group is talking about."""
        if self.step["kind"] != "round":
            return None
        deck = self.step["prompts"]
        index = group.prompt_index if group and group.prompt_round == self.round_no else 0
        return deck[index % len(deck)]

    def group_done(self, group: Group) -> bool:
        """Tell whether a group has finished the current turn early."""
        return (self.step["kind"] == "round" and group.done_round == self.round_no
                and group.done_phase == self.phase_index)

    def pair_everyone(self, rng, odd: str | None = None) -> Change:
        """Form new groups from everyone present and agreed; they count as met once a round starts."""
        self._check_open()
        people = [a.id for a in self.attendees.values() if self.eligible(a)]
        result = pairing.make_groups(people, rng, history=self.history, odd=odd or self.odd)
        self.groups_used = False
        change = self._regroup(result, rng, people=set(self.attendees))
        self.done_count = sum(self.group_done(group) for group in self.groups)  # kept groups stay done
        change.room = True  # everyone's turn count and the facilitator's board start afresh
        return change

    def swap_people(self, a: str, b: str, rng) -> Change:
        """Swap two people between their groups."""
        self._check_grouped(a, b)
        return self._live_change(regroup.swap_people, rng, a, b)

    def move_person(self, person: str, group_id: str, rng) -> Change:
        """Move someone into another group; whoever that leaves alone is placed again."""
        self._check_grouped(person)
        if group_id not in self.groups:
            raise Refusal("That group no longer exists.", "unknown_group")
        index = list(self.groups.by_id).index(group_id)
        return self._live_change(regroup.move_person, rng, person, index, self.history, rng, odd=self.odd)

    def mark_done(self, attendee_id: str, now: int) -> Change:
        """Record that a group finished its turn early; when every group has, the turn ends."""
        group = self._group_in_round(attendee_id, started=True)
        if self.group_done(group):
            return Change()
        group.done_round, group.done_phase = self.round_no, self.phase_index
        self.done_count += 1
        change = Change(groups={group.id}, personal=group.people)
        if self.done_count >= len(self.groups):
            change.merge(self._next_phase(now))
        return change

    def draw_prompt(self, attendee_id: str) -> Change:
        """Give a group the next prompt of the round's deck."""
        group = self._group_in_round(attendee_id, started=False)
        if not self.step["draw"]:
            raise Refusal("This round has a single prompt.", "no_deck")
        current = group.prompt_index if group.prompt_round == self.round_no else 0
        group.prompt_round, group.prompt_index = self.round_no, (current + 1) % len(self.step["prompts"])
        return Change(groups={group.id}, personal=group.people)

    def _place(self, attendee, rng) -> Change:
        self._check_open()
        pairing_started = self.groups or self.waiting or self.step["kind"] in ("round", "pairing")
        if not pairing_started or not self.eligible(attendee) or attendee.id in self.groups.of \
                or attendee.id in self.waiting:
            return Change()
        return self._live_change(regroup.add_person, rng, attendee.id, self.history, rng, odd=self.odd)

    def _unplace(self, attendee_id: str, rng) -> Change:
        self._check_open()
        if attendee_id not in self.groups.of and attendee_id not in self.waiting:
            return Change()
        return self._live_change(regroup.remove_person, rng, attendee_id, self.history, rng, odd=self.odd)

    def _live_change(self, operation, rng, *args, **kwargs) -> Change:
        try:
            after = operation(self.groups.as_pairing(), *args, **kwargs)
        except pairing.PairingError as error:
            raise Refusal(str(error), "bad_move") from None
        change = self._regroup(after, rng)
        if self.groups_used:  # a round is under way: the new groups are meeting now
            change.merge(self._meet([self.groups[g].members for g in change.groups]))
        return change

    def _meet(self, groups: list[tuple[str, ...]]) -> Change:
        """Remember that these groups met, for fairer pairing later."""
        self.history.record(groups)
        return Change(met=groups)

    def _regroup(self, after: pairing.Pairing, rng, people: set[str] = frozenset()) -> Change:
        self._check_open()  # every change of groups passes here: an ended room keeps its last groups
        since = self.round_no if self.step["kind"] == "round" else self.round_no + 1
        done = self.groups.apply(after, lambda: f"g_{rng.getrandbits(64):016x}", since)
        self.done_count -= sum(self.group_done(group) for group in done.dropped)
        personal = (done.moved | people) - {pairing.FACILITATOR}
        # No room broadcast: a late joiner concerns their own group. Whether the triads' turn
        # runs is decided when the round reaches it, and the next `room` carries the new count.
        return Change(groups=done.made, dropped_groups={g.id for g in done.dropped}, personal=personal,
                      waiting=done.waiting)

    def _check_grouped(self, *people: str) -> None:
        self._check_open()
        for person in people:
            if person not in self.groups.of:
                raise Refusal("That person is not in a group.", "not_grouped")

    def _group_in_round(self, attendee_id: str, started: bool) -> Group:
        self._check_open()
        group = self.groups.of_person(attendee_id)
        if self.step["kind"] != "round" or group is None:
            raise Refusal("You are not in a round right now.", "not_in_round")
        if started and (self.timer is None or self.timer.state not in ("running", "paused")):
            raise Refusal("Your turn has not started yet.", "turn_not_started")
        return group
