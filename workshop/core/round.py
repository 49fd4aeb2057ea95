"""A room's round: its groups, their turns, roles, prompts and done marks, and the commands on them.

`Room` holds one `Round` (`room.round`) and tells it where the agenda is (`enter`,
`next_turn`, `start`); the Round never reads the room. Forming and changing the groups
themselves is the pairing package's work, as pure functions over member tuples; this
module keeps the groups those functions return, with what each group is doing. It is one
piece past 300 lines because the index (`Groups`) and the commands on it change together:
every command keeps the person index, the triad count and the pair numbers true at once.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass, field

from .agenda import RoundStep
from .change import Change
from .errors import Refusal
from .pairing import form as pairing
from .pairing import regroup

ROLES = "ABC"
ROUND_OVER = {"speaker": None, "title": "Round complete"}
TRIAD_TURN = {"speaker": "C", "title": "C speaks, A and B listen", "pair_title": "Open conversation"}


@dataclass
class Group:
    """A group of a round; `number` is its label on every phone, fixed when it forms."""

    id: str
    members: tuple[str, ...]
    since: int = 0
    prompt_round: int = 0
    prompt_index: int = 0
    done_round: int = 0
    done_phase: int = -1
    number: int = 0
    roles: str = ""  # each member's letter, fixed when the group changed mid-round; "" follows ROLES

    @property
    def people(self) -> set[str]:
        """Return the attendees in the group, without the facilitator."""
        return set(self.members) - {pairing.FACILITATOR}


@dataclass
class Regrouping:
    """What a pairing change did: groups made, groups dropped, people whose group changed."""

    made: set[str]
    dropped: list[Group]
    moved: set[str]
    waiting: bool = False  # whether the waiting list changed


class Groups:
    """Groups by id and by number, each person's group, and the people waiting for a partner."""

    def __init__(self):
        self.by_id: dict[str, Group] = {}
        self.of: dict[str, str] = {}
        self.waiting: list[str] = []
        self.triads = 0
        self.numbers: set[int] = set()
        self._free: list[int] = []  # numbers below _next that were given back (a heap; may hold taken ones)
        self._next = 1

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
        """Put a group in, indexing its members; a group without a number takes the smallest free one."""
        if not group.number:
            group.number = self._take_number()
        else:
            self._claim_number(group.number)
        self.by_id[group.id] = group
        self.triads += len(group.members) == 3
        for member in group.people:
            self.of[member] = group.id

    def drop(self, group_id: str) -> Group:
        """Take a group out, giving its number back."""
        group = self.by_id.pop(group_id)
        self.triads -= len(group.members) == 3
        self.numbers.discard(group.number)
        heapq.heappush(self._free, group.number)
        for member in group.people:
            if self.of.get(member) == group_id:
                del self.of[member]
        return group

    def reshape(self, group_id: str, members: tuple[str, ...], roles: str, since: int) -> Group:
        """Change a group's members in place, keeping its id, number, prompt and done mark."""
        group = self.by_id[group_id]
        self.triads += (len(members) == 3) - (len(group.members) == 3)
        for member in group.people:
            if self.of.get(member) == group_id:
                del self.of[member]
        group.members, group.roles, group.since = tuple(members), roles, since
        for member in group.people:
            self.of[member] = group_id
        return group

    def as_pairing(self) -> pairing.Pairing:
        """Return the groups in the pairing package's terms."""
        return pairing.Pairing([g.members for g in self.by_id.values()], list(self.waiting))

    def apply(self, after: pairing.Pairing, new_id, since: int) -> Regrouping:
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

    def _take_number(self) -> int:
        while self._free and self._free[0] in self.numbers:
            heapq.heappop(self._free)  # given back, then claimed again by a group read back
        number = heapq.heappop(self._free) if self._free else self._next
        self._next = max(self._next, number + 1)
        self.numbers.add(number)
        return number

    def _claim_number(self, number: int) -> None:
        for free in range(self._next, number):
            heapq.heappush(self._free, free)
        self._next = max(self._next, number + 1)
        self.numbers.add(number)


def round_turns(step: RoundStep, scaled) -> list[dict]:
    """Return a round's turns as the room times and keeps them, the triad's turn after the last solo one."""
    turns = [{"speaker": turn.speaker, "title": turn.title, "ms": scaled(turn.minutes)}
             for turn in step.turns]
    solo = [i for i, turn in enumerate(turns) if turn["speaker"] in ("A", "B")]
    if solo:
        turns.insert(solo[-1] + 1, {**TRIAD_TURN, "ms": turns[solo[-1]]["ms"]})
    return turns


@dataclass(eq=False)
class Round:
    """The groups of a room and what they are doing in the agenda's current round.

    `number` is the agenda's round the groups belong to (it stays after the round's step, so
    roles keep rotating); `step` is that round's step while the room is on it, else None;
    `turns` and `turn` are its turns and the one under way; `started` is true once its first
    turn started. A turn boundary is `next_turn`. While a turn runs (`in_turn`), nobody's group
    or letter changes but by the facilitator's command: whoever arrives, and whoever a departure
    leaves alone, waits in `pending` (person -> {"reason", "partner"}) for the next boundary.
    `fresh` says the groups were formed off a round's step and no round has taken them yet.
    """

    groups: Groups = field(default_factory=Groups)
    history: pairing.History = field(default_factory=pairing.History)
    step: RoundStep | None = None
    number: int = 0
    turns: list[dict] = field(default_factory=list)
    turn: int = 0
    started: bool = False
    done_count: int = 0
    pending: dict[str, dict] = field(default_factory=dict)
    fresh: bool = False

    # -- what the views read -------------------------------------------------

    @property
    def waiting(self) -> list[str]:
        return self.groups.waiting

    @property
    def formed(self) -> bool:
        """Tell whether anyone has been grouped or set waiting, so newcomers are placed as they come."""
        return bool(self.groups.by_id or self.groups.waiting or self.pending)

    @property
    def phase(self) -> dict | None:
        """Return the turn under way, or ROUND_OVER after the last, or None outside a round."""
        if self.step is None:
            return None
        return self.turns[self.turn] if self.turn < len(self.turns) else ROUND_OVER

    @property
    def in_turn(self) -> bool:
        """Tell whether a turn is running or paused: a conversation the groups must keep."""
        return self.step is not None and self.started and self.phase is not ROUND_OVER

    @property
    def everyone_done(self) -> bool:
        """Tell whether every group has finished the current turn early."""
        return self.done_count >= len(self.groups)

    def role_of(self, group: Group, position: int) -> str:
        """Return the role letter of a group position, rotated each further round a group stays together.

        A new group takes the pairing's order, which puts first whoever has spoken first least; a
        group changed mid-round keeps the letters its members had (`Group.roles`).
        """
        letters = group.roles or ROLES
        return letters[(position - max(self.number - group.since, 0)) % len(group.members)]

    def letters_of(self, group: Group) -> str:
        """Return every member's letter, in the group's order."""
        return "".join(self.role_of(group, i) for i in range(len(group.members)))

    def prompt_of(self, group: Group | None) -> str | None:
        """Return the prompt a group is talking about."""
        if self.step is None:
            return None
        deck = self.step.prompts
        index = group.prompt_index if group and group.prompt_round == self.number else 0
        return deck[index % len(deck)]

    def group_done(self, group: Group) -> bool:
        """Tell whether a group has finished the current turn early."""
        return self.step is not None and group.done_round == self.number and group.done_phase == self.turn

    # -- the agenda moving -----------------------------------------------------

    def enter(self, step: RoundStep | None, turns: list[dict]) -> None:
        """Follow the room onto a step: a round's step with its turns, or None for any other step."""
        self.step, self.turns, self.turn, self.done_count = step, turns, 0, 0
        self.started = False
        if step is not None:
            self.number = step.round

    def claim(self, step: RoundStep) -> bool:
        """Tell whether a round's step must form new groups, and take the groups for it.

        A round with `pairing: new` keeps only groups formed for it (at a pairing step just
        before, say); groups another round took are formed anew, met or not.
        """
        renew = not self.groups or (step.pairing == "new" and not self.fresh)
        self.fresh = False
        return renew

    def start(self) -> Change:
        """Start the round's first turn; from now on its groups hold until a turn boundary."""
        self.started = True
        return Change()

    def next_turn(self, rng, odd: str) -> Change:
        """Move to the next turn, past the triads' turn when there is no triad.

        This is the turn boundary: whoever waits is placed here, before the triads' turn is
        decided on, so that a listening third placed now has that turn.
        """
        self.turn += 1
        change = self.settle(rng, odd) if self.phase is ROUND_OVER else self._place_pending(rng, odd)
        if self.phase is not ROUND_OVER and self.phase["speaker"] == "C" and not self.groups.triads:
            self.turn += 1
        self.done_count = 0
        return change

    def settle(self, rng, odd: str) -> Change:
        """Place everyone waiting for a boundary by the pairing's own rules, once no turn runs."""
        change = Change(waiting=bool(self.pending))
        held, self.pending = list(self.pending), {}
        for person in held:
            if person in self.groups.of:  # alone in the group their partner left
                change.merge(self._remove(person, rng, odd))
            change.merge(self._live_change(regroup.add_person, rng, person, self.history, rng, odd=odd))
        return change

    # -- commands: the room checks that it is open before it calls any --------

    def pair_everyone(self, people: list[str], everyone: set[str], rng, odd: str) -> Change:
        """Form new groups from `people`, never the current grouping while another exists."""
        current = [group.members for group in self.groups]
        result = pairing.make_groups(people, rng, history=self.history, odd=odd,
                                     avoid=[pairing.grouping_key(current)])
        held, self.pending = bool(self.pending), {}
        change = self._regroup(result, rng, people=everyone)
        change.merge(self._meet([{"whole": [list(g) for g in result.groups]}]))
        self.fresh = self.step is None
        self.done_count = sum(self.group_done(group) for group in self.groups)  # kept groups stay done
        change.room = True  # everyone's turn count and the facilitator's board start afresh
        change.waiting |= held
        return change

    def swap(self, a: str, b: str, rng) -> Change:
        """Swap two people between their groups."""
        self._check_grouped(a, b)
        return self._live_change(regroup.swap_people, rng, a, b)

    def move(self, person: str, group_id: str, rng, odd: str) -> Change:
        """Move someone into another group; whoever that leaves alone is placed again."""
        self._check_grouped(person)
        if group_id not in self.groups:
            raise Refusal("That group no longer exists.", "unknown_group")
        index = list(self.groups.by_id).index(group_id)
        return self._live_change(regroup.move_person, rng, person, index, self.history, rng, odd=odd)

    def place_now(self, person: str, group_id: str | None, rng) -> Change:
        """Place someone waiting at once, as a listening third or beside someone alone: no letter changes.

        Without a group: beside someone alone first, else in the facilitator's place, else the
        pair whose members have been in a triad least, then who met least.
        """
        if person not in self.pending and person not in self.groups.waiting:
            raise Refusal("That person is not waiting.", "not_waiting")
        own = self.groups.of_person(person)
        if group_id is not None:
            target = self.groups.by_id.get(group_id)
            if target is None or target is own:
                raise Refusal("That group no longer exists.", "unknown_group")
            if len(target.people) >= 3 or (len(target.people) == 2 and pairing.FACILITATOR in target.members):
                raise Refusal("That group already has three people.", "group_full")
        else:
            target = self._group_to_join(person, own)
            if target is None:
                raise Refusal("There is no pair to join yet: pair everyone instead.", "no_group")
        change = Change(waiting=True)
        if own is not None:
            change.merge(self._drop(own))
        self.groups.waiting = [w for w in self.groups.waiting if w != person]
        self.pending.pop(person, None)
        return change.merge(self._join(target, person))

    def mark_done(self, person: str, turn_running: bool) -> Change:
        """Record that someone's group finished its turn early; the room ends the turn when all have."""
        group = self._group_in_round(person)
        if not turn_running:
            raise Refusal("Your turn has not started yet.", "turn_not_started")
        if self.group_done(group):
            return Change()
        group.done_round, group.done_phase = self.number, self.turn
        self.done_count += 1
        return Change(groups={group.id}, personal=group.people)

    def draw_prompt(self, person: str) -> Change:
        """Give someone's group the next prompt of the round's deck."""
        group = self._group_in_round(person)
        if not self.step.draw:
            raise Refusal("This round has a single prompt.", "no_deck")
        current = group.prompt_index if group.prompt_round == self.number else 0
        group.prompt_round, group.prompt_index = self.number, (current + 1) % len(self.step.prompts)
        return Change(groups={group.id}, personal=group.people)

    def place(self, person: str, rng, odd: str, reason: str = "new") -> Change:
        """Give someone a place: a partner, a group, the waiting list, or mid-turn a hold."""
        if person in self.groups.of or person in self.groups.waiting or person in self.pending:
            return Change()
        if self.in_turn:
            self.pending[person] = {"reason": reason, "partner": None}
            return Change(personal={person}, waiting=True)
        return self._live_change(regroup.add_person, rng, person, self.history, rng, odd=odd)

    def unplace(self, person: str, rng, odd: str) -> Change:
        """Take someone out of the groups; mid-turn whoever that leaves alone stays put until the boundary."""
        change = Change(waiting=self.pending.pop(person, None) is not None)
        group = self.groups.of_person(person)
        if group is None and person not in self.groups.waiting:
            return change
        if group is None or not self.in_turn:
            return change.merge(self._remove(person, rng, odd))
        rest = [i for i, member in enumerate(group.members) if member != person]
        if not any(group.members[i] != pairing.FACILITATOR for i in rest):
            return change.merge(self._drop(group))
        letters = self.letters_of(group)
        members, kept = tuple(group.members[i] for i in rest), "".join(letters[i] for i in rest)
        self.groups.reshape(group.id, members, kept, self.number)
        change.merge(Change(groups={group.id}, personal=group.people))
        if len(group.members) == 1:
            (alone,) = group.members
            self.pending[alone] = {"reason": "partner_left", "partner": person}
            change.waiting = True
        return change

    # -- helpers -------------------------------------------------------------

    def _place_pending(self, rng, odd: str) -> Change:
        """Place whoever waits for this boundary without changing the letter of anyone who stays put.

        They pair with each other (someone alone keeps their letter, their new partner takes the
        other); one left over joins a pair as its listening third (C) or takes the facilitator's
        place; with only triads to join they wait for the next boundary.
        """
        pool = list(self.pending) + [w for w in self.groups.waiting if w not in self.pending]
        if not pool:
            return Change()
        change, letters = Change(waiting=True), {}
        for person in pool:
            group = self.groups.of_person(person)
            if group is not None:
                letters[person] = self.role_of(group, group.members.index(person))
                change.merge(self._drop(group))
        reasons, self.pending, self.groups.waiting = dict(self.pending), {}, []
        rules = pairing.Rules(self.history, {}, rng)
        while len(pool) >= 2:
            first = pool.pop(0)
            mine = letters.get(first)

            def clash(q, first=first, mine=mine):  # two people alone with the same letter: one must change
                return (mine is not None and letters.get(q) == mine, rules.pair_cost(first, q))

            partner = min(pool, key=clash)
            pool.remove(partner)
            if letters.get(first) == "B" or letters.get(partner) == "A":
                first, partner = partner, first
            members = (first, partner) if {first, partner} & set(letters) else rules.arrange((first, partner))
            change.merge(self._form(members, rng))
        if pool:
            (last,) = pool
            target = self._group_to_join(last, None, odd=odd)
            if target is not None:
                change.merge(self._join(target, last))
            elif not self.groups and odd == "triad":
                self.groups.waiting = [last]
                change.personal.add(last)
            elif odd == "facilitator":
                change.merge(self._form((last, pairing.FACILITATOR), rng))
            else:  # only triads: joining one would make a group of four
                self.pending[last] = reasons.get(last, {"reason": "new", "partner": None})
                change.personal.add(last)
        return change

    def _group_to_join(self, person: str, own: Group | None, odd: str = "triad") -> Group | None:
        """Choose where someone waiting joins: beside someone alone, the facilitator's place, or a pair."""
        others = [g for g in self.groups if g is not own]
        alone = [g for g in others if len(g.members) == 1]
        facilitated = [g for g in others if pairing.FACILITATOR in g.members]
        if alone or facilitated:
            return (alone or facilitated)[0]
        if odd == "facilitator":
            return None
        pairs = [g for g in others if len(g.members) == 2]
        triads = self.history.triads
        rules = pairing.Rules(self.history, {}, None)
        return min(pairs, default=None, key=lambda g: (sum(triads.get(p, 0) for p in g.members),
                                                       rules.cost((*g.members, person)), g.number))

    def _join(self, group: Group, person: str) -> Change:
        """Add someone to a group without changing any member's letter, and count them as met."""
        letters = self.letters_of(group)
        members = group.members
        if pairing.FACILITATOR in members:  # they take the facilitator's place and letter
            members = tuple(person if m == pairing.FACILITATOR else m for m in members)
        else:
            members, letters = (*members, person), letters + ("C" if len(members) == 2 else
                                                              "B" if letters == "A" else "A")
        met = [m for m in group.members if m != pairing.FACILITATOR]
        self.groups.reshape(group.id, members, letters, self.number)
        for member in group.people:
            self.pending.pop(member, None)
        change = Change(groups={group.id}, personal=set(group.people), waiting=True)
        return change.merge(self._meet([{"joined": person, "group": met}]))

    def _form(self, members: tuple[str, ...], rng) -> Change:
        """Make a new group at a boundary, its letters in the order given."""
        group = Group(f"g_{rng.getrandbits(64):016x}", members, self.number)
        self.groups.add(group)
        return Change(groups={group.id}, personal=group.people).merge(self._meet([list(members)]))

    def _drop(self, group: Group) -> Change:
        """Take a group out as it is (someone alone moving on, or nobody left in it)."""
        self.done_count -= self.group_done(group)
        self.groups.drop(group.id)
        return Change(dropped_groups={group.id}, personal=group.people)

    def _remove(self, person: str, rng, odd: str) -> Change:
        return self._live_change(regroup.remove_person, rng, person, self.history, rng, odd=odd)

    def _live_change(self, operation, rng, *args, **kwargs) -> Change:
        change = self._regroup(operation(self.groups.as_pairing(), *args, **kwargs), rng)
        for person in [p for p in self.pending if len(getattr(self.groups.of_person(p), "members", ())) > 1]:
            del self.pending[person]  # the facilitator's change gave them a partner
        for group in (self.groups[g] for g in change.groups):
            if len(group.members) == 1:  # a swap with someone alone: now the other one waits for the boundary
                self.pending.setdefault(group.members[0], {"reason": "partner_left", "partner": None})
        return change.merge(self._meet([list(self.groups[g].members) for g in change.groups]))

    def _meet(self, entries: list) -> Change:
        """Count people as met the moment a group holding them forms, and log it for the read-back."""
        for entry in entries:
            self.history.replay(entry)
        return Change(met=entries)

    def _regroup(self, after: pairing.Pairing, rng, people: set[str] = frozenset()) -> Change:
        since = self.number if self.step is not None else self.number + 1
        done = self.groups.apply(after, lambda: f"g_{rng.getrandbits(64):016x}", since)
        self.done_count -= sum(self.group_done(group) for group in done.dropped)
        personal = (done.moved | people) - {pairing.FACILITATOR}
        # No room broadcast: a late joiner concerns their own group. Whether the triads' turn
        # runs is decided when the round reaches it, and the next `room` carries the new count.
        return Change(groups=done.made, dropped_groups={g.id for g in done.dropped}, personal=personal,
                      waiting=done.waiting)

    def _check_grouped(self, *people: str) -> None:
        for person in people:
            if person not in self.groups.of:
                raise Refusal("That person is not in a group.", "not_grouped")

    def _group_in_round(self, person: str) -> Group:
        group = self.groups.of_person(person)
        if self.step is None or group is None:
            raise Refusal("You are not in a round right now.", "not_in_round")
        return group
