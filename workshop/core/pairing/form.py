"""Form each round's groups: pairs, plus one triad (or the facilitator) for an odd count.

API: ``make_groups`` forms a round; ``add_person``, ``remove_person``,
``move_person`` and ``swap_people`` (in ``regroup``) change one live; ``History.record(groups)``
remembers a round and ``History.to_json`` / ``from_json`` persist it. A group's
position 0 is role A (whoever has spoken first least), 1 is B, 2 is C.

It is one piece past 300 lines because the circle, the greedy pass, the repair and the
lower bound are one search over one cost (`Rules`): split, each part would weigh a
grouping by a cost defined in another file.

A round: an even number of slots (the people, plus ``FACILITATOR`` for an odd
count in facilitator mode) follows a round-robin, the circle method over an
order shuffled from the set itself, so a set keeps its n-1 disjoint rounds with
no stored plan. Each call takes the circle round with the fewest keep-apart
conflicts, then the facilitator's least-partnered person, then fewest repeats.
Otherwise, or if that round repeats, the odd group is chosen first from whoever
has been odd one out least (looking ahead at the end of a cycle), the rest are
paired greedily (most constrained first, each with the least-met of up to
``SAMPLE`` free people), a repair pass swaps people while that lowers the cost,
and rooms of up to ``SAMPLE`` retry until a lower bound is met.

Guarantees: everyone present is in exactly one group of 2-3, or waits when
alone in triad mode; there is one odd group exactly when the count is odd. A
fixed even set that has not met has n-1 rounds without repeats, and a fixed odd
set with the facilitator n rounds, each person partnering them once. Odd-group
members have the lowest odd-one-out counts present, unless keeping people apart
needs otherwise. Keep-apart pairs with nobody in two are never grouped in rooms
of four or more; other keep-aparts are avoided when the search finds a way.
Fixed odd triad rooms are kept free of repeats heuristically: in our tests for
at least ceil(n/3) rounds (n >= 9), usually about n/2.
A live change costs O(affected groups + waiting) plus a C-level copy of the
group list and its index; joining a pair weighs at most ``SAMPLE`` of them.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from itertools import combinations

from ..errors import Refusal

FACILITATOR = "facilitator"
APART = 1_000_000  # the cost of grouping a keep-apart pair: worse than any number of repeats
OWED = 0.01  # the cost of pairing two people owed a triad soon: less than any repeat
SAMPLE = 50  # the most candidates weighed for one choice in a big room
RESTARTS = 12  # greedy attempts in a room of up to SAMPLE people
MODES = ("triad", "facilitator")
BAD_MOVE = "bad_move"  # the code of every Refusal here: a grouping that cannot be made

Group = tuple[str, ...]


@dataclass
class History:
    """What earlier rounds did: who met whom, who was odd one out, who spoke first."""

    met: dict[str, dict[str, int]] = field(default_factory=dict)
    triads: dict[str, int] = field(default_factory=dict)  # in a triad or with the facilitator
    firsts: dict[str, int] = field(default_factory=dict)
    groupings: set[str] = field(default_factory=set)  # every whole grouping "pair everyone" formed

    def record(self, groups: Iterable[Group], whole: bool = False) -> None:
        """Count these groups as met; `whole` when they are a room's whole grouping, to avoid it later."""
        groups = [tuple(group) for group in groups]
        for group in groups:
            people = [p for p in group if p != FACILITATOR]
            for a, b in combinations(people, 2):
                self._meet(a, b)
            for p in people if is_odd(group) else ():
                self.triads[p] = self.triads.get(p, 0) + 1
            if people:
                self.firsts[people[0]] = self.firsts.get(people[0], 0) + 1
        if whole:
            self.groupings.add(grouping_key(groups))

    def join(self, newcomer: str, members: Iterable[str]) -> None:
        """Count a newcomer as met with a group they joined; a group that becomes odd counts for all of it."""
        people = [p for p in members if p != FACILITATOR]
        for p in people:
            self._meet(newcomer, p)
        for p in [*people, newcomer] if len(people) == 2 else ():  # the pair became a triad
            self.triads[p] = self.triads.get(p, 0) + 1

    def replay(self, entry: list | dict) -> None:
        """Apply one entry of the meetings log: a group, a whole grouping, or someone joining a group."""
        if isinstance(entry, dict) and "whole" in entry:
            self.record(entry["whole"], whole=True)
        elif isinstance(entry, dict):
            self.join(entry["joined"], entry["group"])
        else:
            self.record([entry])

    def _meet(self, a: str, b: str) -> None:
        self.met.setdefault(a, {})[b] = self.met.get(a, {}).get(b, 0) + 1
        self.met.setdefault(b, {})[a] = self.met[a][b]

    def to_json(self) -> dict:
        """Return a JSON-ready dict, each meeting listed once."""
        met = [[a, b, n] for a, row in self.met.items() for b, n in row.items() if a < b]
        return {"met": met, "triads": dict(self.triads), "firsts": dict(self.firsts),
                "groupings": sorted(self.groupings)}

    @classmethod
    def from_json(cls, data: dict) -> History:
        """Rebuild a history saved by to_json."""
        history = cls(triads=dict(data.get("triads", {})), firsts=dict(data.get("firsts", {})),
                      groupings=set(data.get("groupings", [])))
        for a, b, n in data.get("met", []):
            history.met.setdefault(a, {})[b] = history.met.setdefault(b, {})[a] = n
        return history


def grouping_key(groups: Iterable[Sequence[str]]) -> str:
    """Name a whole grouping by who is with whom, whatever the order of groups and roles."""
    return "|".join(sorted(",".join(sorted(group)) for group in groups))


@dataclass(frozen=True)
class Pairing:
    """The groups of a round and anyone waiting for a partner."""

    groups: list[Group]
    waiting: list[str] = field(default_factory=list)

    @cached_property
    def where(self) -> dict[str, int]:
        """Map each grouped person to the index of their group."""
        return {p: i for i, g in enumerate(self.groups) for p in g if p != FACILITATOR}

    @cached_property
    def odd_groups(self) -> set[int]:
        """Return the indices of the triad or the facilitator's pair."""
        return {i for i, g in enumerate(self.groups) if is_odd(g)}


@dataclass
class Rules:
    """The costs a grouping is judged by, and the rng that breaks ties."""

    history: History
    apart: dict[str, set[str]]
    rng: random.Random
    owed: set[str] = field(default_factory=set)  # owed a triad soon: better not paired together

    def pair_cost(self, a: str, b: str) -> float:
        if a == FACILITATOR or b == FACILITATOR:
            return 0
        if b in self.apart.get(a, ()):
            return APART
        return self.history.met.get(a, {}).get(b, 0) + (OWED if a in self.owed and b in self.owed else 0)

    def cost(self, group: Sequence[str]) -> float:
        return sum(self.pair_cost(a, b) for a, b in combinations(group, 2))

    def odd_count(self, person: str) -> int:
        return self.history.triads.get(person, 0)

    def arrange(self, group: Iterable[str]) -> Group:
        """Put who has spoken first least in role A; the facilitator goes last."""
        firsts = self.history.firsts
        return tuple(sorted(group, key=lambda p: (p == FACILITATOR, firsts.get(p, 0), self.rng.random())))

    def sample(self, items: Sequence) -> Iterator:
        """Yield every item of a small sequence, or up to SAMPLE random ones of a big one."""
        if len(items) <= SAMPLE:
            yield from items
        else:
            for _ in range(SAMPLE):
                yield items[self.rng.randrange(len(items))]


def make_groups(people: Iterable[str], rng: random.Random, *, history: History | None = None,
                odd: str = "triad", keep_apart: Iterable[tuple[str, str]] = (),
                avoid: Iterable[str] = ()) -> Pairing:
    """Group everyone present for a new round; their order and duplicates do not matter.

    Never the same whole grouping as one "pair everyone" formed before (the history's
    `groupings`) or as `avoid` (the current one), while a grouping not yet used exists.
    """
    check_mode(odd)
    present = sorted(set(people))
    if FACILITATOR in present:
        raise Refusal('"{name}" is reserved for the facilitator.', BAD_MOVE, name=FACILITATOR)
    rules = Rules(history or History(), index_apart(keep_apart), rng)
    if len(present) < 2:
        if present and odd == "facilitator":
            return Pairing([(present[0], FACILITATOR)])
        return Pairing([], present)
    slots = present + [FACILITATOR] if odd == "facilitator" and len(present) % 2 else present
    best = _follow_circle(slots, rules) if len(slots) % 2 == 0 else None
    if best is None or best[0]:
        floor = _lower_bound(present, rules)
        for _ in range(RESTARTS if len(present) <= SAMPLE else 1):
            if best is not None and best[0] <= floor:
                break
            candidate = _form_greedily(present, odd, rules)
            best = candidate if best is None or candidate[0] < best[0] else best
    groups = best[1]
    used = rules.history.groupings | set(avoid)
    for avoided in (used, set(avoid)):  # every grouping used: at least not the current one
        if grouping_key(groups) in avoided:
            groups = _unused(groups, present, odd, avoided, rules)
    return Pairing([rules.arrange(g) for g in groups])


ENUMERATE = 10  # the most people for whom every grouping is tried when no single swap gives an unused one


def _unused(groups: list[Group], present: list[str], odd: str, used: set[str], rules: Rules) -> list[Group]:
    """Return the cheapest grouping not used yet, near `groups` (one swap) or, in a small room, any."""
    def score(candidate: list[Group]) -> tuple:
        unfair = sum(rules.odd_count(p) for g in candidate if is_odd(g) for p in g if p != FACILITATOR)
        return (sum(map(rules.cost, candidate)) // APART, unfair, sum(map(rules.cost, candidate)))

    options = []
    pairs = [(i, j) for i in range(len(groups)) for j in range(i + 1, len(groups))]
    for i, j in pairs if len(pairs) <= SAMPLE * 4 else rules.rng.sample(pairs, SAMPLE * 4):
        for x in groups[i]:
            for y in (y for y in groups[j] if FACILITATOR not in (x, y)):
                candidate = list(groups)
                candidate[i], candidate[j] = exchange(groups[i], x, y), exchange(groups[j], x, y)
                if grouping_key(candidate) not in used:
                    options.append(candidate)
    if not options and len(present) <= ENUMERATE:
        options = [c for c in _every_grouping(present, odd) if grouping_key(c) not in used]
    return min(options, key=score) if options else groups


def _every_grouping(present: list[str], odd: str) -> Iterator[list[Group]]:
    """Yield every grouping of a small room: pairs, with one triad or the facilitator for an odd count."""
    if len(present) % 2 and odd == "facilitator":
        yield from _matchings(present + [FACILITATOR])
    elif len(present) % 2:
        for triad in combinations(present, 3):
            for rest in _matchings([p for p in present if p not in triad]):
                yield [triad, *rest]
    else:
        yield from _matchings(present)


def _matchings(people: list[str]) -> Iterator[list[Group]]:
    if not people:
        yield []
        return
    first, rest = people[0], people[1:]
    for partner in rest:
        for tail in _matchings([p for p in rest if p != partner]):
            yield [(first, partner), *tail]


def _follow_circle(slots: list[str], rules: Rules) -> tuple[float, list[Group]]:
    """Take the best round of the set's circle schedule, repaired if it conflicts."""
    order = [p for p in slots if p != FACILITATOR]
    random.Random("\n".join(order)).shuffle(order)  # the same set keeps the same circle
    order += [FACILITATOR] * (len(order) < len(slots))  # at the centre, partnering order[r] in round r
    positions = {p: i for i, p in enumerate(order)}
    spokes = len(order) - 1
    conflicts = [0] * spokes  # in round r, i and j meet where i + j = 2r (mod spokes)
    for p, i in positions.items():
        for q, n in [*rules.history.met.get(p, {}).items(), *((q, APART) for q in rules.apart.get(p, ()))]:
            j = positions.get(q, -1)
            if j > i:
                conflicts[i if j == spokes else (i + j) * (spokes + 1) // 2 % spokes] += n
    centre = order[spokes] == FACILITATOR
    r = min(range(spokes), key=lambda r: (conflicts[r] // APART, rules.odd_count(order[r]) if centre else 0,
                                          conflicts[r], rules.rng.random()))
    groups = [(order[r], order[spokes])]
    groups += [(order[(r + k) % spokes], order[(r - k) % spokes]) for k in range(1, spokes // 2 + 1)]
    groups = _repair(groups, rules) if conflicts[r] else groups
    return sum(map(rules.cost, groups)), groups


def _form_greedily(present: list[str], odd: str, rules: Rules) -> tuple[float, list[Group]]:
    """Choose the odd group fairly, pair the rest greedily, then repair."""
    groups: list[Group] = []
    rest = present
    if len(present) % 2:
        chosen = _choose_odd_group(present, 3 if odd == "triad" else 1, rules)
        rest = [p for p in present if p not in chosen]
        groups.append(chosen if odd == "triad" else (*chosen, FACILITATOR))
    lowest = min(map(rules.odd_count, rest), default=0)
    owed = {p for p in rest if rules.odd_count(p) == lowest}
    rules.owed = owed if odd == "triad" and len(owed) <= len(rest) // 2 else set()
    groups = _repair(groups + _pair_greedily(rest, rules), rules)
    cost = sum(map(rules.cost, groups))
    rules.owed = set()
    return cost, groups


def _choose_odd_group(people: list[str], size: int, rules: Rules) -> Group:
    """Pick the triad (or the facilitator's partner) from the people least often odd one out."""
    ranked = sorted(people, key=lambda p: (rules.odd_count(p), rules.rng.random()))
    limit = rules.odd_count(ranked[size - 1])
    pool = [p for p in ranked[:SAMPLE] if rules.odd_count(p) <= limit]
    lowest = [p for p in pool if rules.odd_count(p) == rules.odd_count(pool[0])]
    if size == 3 and 3 < len(lowest) <= 9:  # near the end of a cycle: leave people who still fit
        options = sorted(combinations(lowest, 3), key=rules.cost)
        fitting = (t for t in options if rules.cost(t) == rules.cost(options[0])
                   and _fits([p for p in lowest if p not in t], rules))
        return next(fitting, options[0])
    inside = set(pool)
    # who has met others still owed a triad goes first, so the last ones owed can still meet freshly
    tangle = {p: sum(q in inside for q in rules.history.met.get(p, ())) for p in pool}
    group: list[str] = []
    while len(group) < size:
        costs = {p: rules.cost([*group, p]) for p in pool if p not in group}
        group.append(min(costs, key=lambda p: (costs[p] // APART, rules.odd_count(p), costs[p], -tangle[p])))
    return tuple(group)


def _fits(people: list[str], rules: Rules) -> bool:
    """Tell whether these people can fill the coming triads without anyone meeting again.

    All but len(people) % 3 of them make triads of people who have not met; the ones left over
    share the first triad of the next cycle, so they must not have met each other either.
    """
    spare = len(people) % 3

    def fill(todo: list[str], left: tuple[str, ...]) -> bool:
        if not todo:
            return not rules.cost(left)
        first, rest = todo[0], todo[1:]
        if len(left) < spare and fill(rest, (*left, first)):  # first waits for the next cycle
            return True
        return any(not rules.cost((first, b, c)) and fill([p for p in rest if p not in (b, c)], left)
                   for b, c in combinations(rest, 2))

    return fill(people, ())


def _pair_greedily(people: list[str], rules: Rules) -> list[Group]:
    """Pair the most constrained first, each with the least-met of a few free candidates."""
    inside, met, apart = set(people), rules.history.met, rules.apart
    order = sorted(people, key=lambda p: (-sum(q in inside for q in met.get(p, ())) - len(apart.get(p, ())),
                                          rules.rng.random()))
    free = list(order)
    slot = {p: i for i, p in enumerate(free)}

    def take(p: str) -> None:  # swap with the last free person: O(1)
        i, last = slot.pop(p), free.pop()
        if last != p:
            free[i], slot[last] = last, i

    pairs = []
    for p in order:
        if p in slot:
            take(p)
            partner = least(rules.sample(free), lambda q, p=p: (rules.pair_cost(p, q),))
            take(partner)
            pairs.append((p, partner))
    return pairs


def _repair(groups: list[Group], rules: Rules) -> list[Group]:
    """Swap people between groups while that lowers the cost; the odd group changes only for keep-apart."""
    groups = list(groups)
    costs = [rules.cost(g) for g in groups]
    queue = [i for i, c in enumerate(costs) if c]
    budget = 2 * len(groups) + SAMPLE
    while queue and budget:
        budget -= 1
        i = queue.pop()
        best, best_delta = None, 0
        for j in rules.sample(range(len(groups))) if costs[i] else ():
            mixed = is_odd(groups[i]) != is_odd(groups[j])
            for x in groups[i] if j != i else ():
                for y in (y for y in groups[j] if FACILITATOR not in (x, y)):
                    gi, gj = exchange(groups[i], x, y), exchange(groups[j], x, y)
                    delta = rules.cost(gi) + rules.cost(gj) - costs[i] - costs[j]
                    if delta < best_delta and (not mixed or delta <= -APART):
                        best, best_delta = (j, gi, gj), delta
        if best:
            j, groups[i], groups[j] = best
            costs[i], costs[j] = rules.cost(groups[i]), rules.cost(groups[j])
            queue += [k for k in (i, j) if costs[k]]
    return groups


def _lower_bound(present: list[str], rules: Rules) -> int:
    """Return a cost no grouping can beat: half of everyone's least-met count, one spared."""
    inside, least = set(present), [0]
    for p in present:
        counts = [n for q, n in rules.history.met.get(p, {}).items() if q in inside]
        least.append(min(counts) if len(counts) == len(present) - 1 else 0)
    return (sum(least) - max(least) + 1) // 2


def least(candidates: Iterable, key: Callable[..., tuple]):
    """Return the candidate with the lowest key, stopping at the first whose key is all zeros."""
    best = best_key = None
    for candidate in candidates:
        k = key(candidate)
        if best is None or k < best_key:
            best, best_key = candidate, k
        if not any(k):
            break
    return best


def exchange(group: Group, a: str, b: str) -> Group:
    return tuple(b if p == a else a if p == b else p for p in group)


def is_odd(group: Sequence[str]) -> bool:
    return len(group) == 3 or FACILITATOR in group


def index_apart(pairs: Iterable[tuple[str, str]]) -> dict[str, set[str]]:
    apart: dict[str, set[str]] = {}
    for a, b in pairs:
        if a != b:
            apart.setdefault(a, set()).add(b)
            apart.setdefault(b, set()).add(a)
    return apart


def check_mode(odd: str) -> None:
    if odd not in MODES:
        raise Refusal('Unknown odd mode {odd}: use "triad" or "facilitator".', BAD_MOVE, odd=repr(odd))
