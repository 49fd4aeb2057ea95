"""Change a round's groups live: a late joiner, a departure, a swap or a move.

Each change touches only the groups it must (plus a copy of the group list and
its index), and never leaves anyone alone: whoever a change leaves without a
partner is placed again, by the same rules that formed the round (``pairing``).
"""

from __future__ import annotations

import random
from collections.abc import Iterable

from ..errors import Refusal
from .form import (
    BAD_MOVE,
    FACILITATOR,
    Group,
    History,
    Pairing,
    Rules,
    check_mode,
    exchange,
    index_apart,
    is_odd,
    least,
)


def add_person(pairing: Pairing, person: str, history: History, rng: random.Random, *,
               odd: str = "triad", keep_apart: Iterable[tuple[str, str]] = ()) -> Pairing:
    """Fit a late joiner into the current groups."""
    check_mode(odd)
    if person == FACILITATOR or person in pairing.where or person in pairing.waiting:
        raise Refusal("{person} already has a place.", BAD_MOVE, person=person)
    return _place(pairing, person, Rules(history, index_apart(keep_apart), rng), odd)


def remove_person(pairing: Pairing, person: str, history: History, rng: random.Random, *,
                  odd: str = "triad", keep_apart: Iterable[tuple[str, str]] = ()) -> Pairing:
    """Take out someone who left and place again whoever that leaves alone."""
    check_mode(odd)
    if person in pairing.waiting:
        return _change(pairing, {}, [w for w in pairing.waiting if w != person])
    i = _find(pairing, person)
    rest = tuple(p for p in pairing.groups[i] if p not in (person, FACILITATOR))
    if len(rest) > 1:
        return _change(pairing, {i: rest})
    emptied = _change(pairing, {i: None})
    return _place(emptied, rest[0], Rules(history, index_apart(keep_apart), rng), odd) if rest else emptied


def swap_people(pairing: Pairing, a: str, b: str) -> Pairing:
    """Give two people each other's place and role."""
    i, j = _find(pairing, a), _find(pairing, b)
    return _change(pairing, {i: exchange(pairing.groups[i], a, b), j: exchange(pairing.groups[j], a, b)})


def move_person(pairing: Pairing, person: str, group_index: int, history: History, rng: random.Random, *,
                odd: str = "triad", keep_apart: Iterable[tuple[str, str]] = ()) -> Pairing:
    """Move someone into another group and place again anyone left alone.

    They take the facilitator's place if it is there. Where a second triad would
    follow (an even room), they trade places with a member of that group instead.
    """
    check_mode(odd)
    if not 0 <= group_index < len(pairing.groups):
        raise Refusal("There is no group number {number}.", BAD_MOVE, number=group_index + 1)
    source = pairing.where.get(person)
    if source is None and person not in pairing.waiting:
        raise Refusal("{person} is not in this pairing.", BAD_MOVE, person=person)
    if source == group_index:
        return pairing
    members = [p for p in pairing.groups[group_index] if p != FACILITATOR]
    if len(members) >= 3:
        raise Refusal("That group already has three people.", BAD_MOVE)
    joined = (*members, person)
    if source is None:
        return _change(pairing, {group_index: joined}, [w for w in pairing.waiting if w != person])
    left = tuple(p for p in pairing.groups[source] if p not in (person, FACILITATOR))
    if len(left) != 1:
        return _change(pairing, {group_index: joined, source: left or None})
    rules = Rules(history, index_apart(keep_apart), rng)
    moved = _change(pairing, {group_index: joined, source: None})
    placed = _place(moved, left[0], rules, odd, protect=moved.where[person])
    if placed is not None:
        return placed
    a, b = members  # trade with whichever member suits the one left alone and the mover better
    keep_a = rules.pair_cost(left[0], b) + rules.pair_cost(person, a)
    keep_b = rules.pair_cost(left[0], a) + rules.pair_cost(person, b)
    return swap_people(pairing, person, b if keep_a <= keep_b else a)


def _place(pairing: Pairing, person: str, rules: Rules, odd: str,
           protect: int | None = None) -> Pairing | None:
    """Partner someone waiting, take the facilitator's place, split a triad, or join a pair.

    Return None when only the protected triad could take them, since a second is not allowed.
    """
    groups, end = pairing.groups, len(pairing.groups)
    if pairing.waiting:
        partner = min(pairing.waiting, key=lambda w: rules.pair_cost(person, w))
        waiting = [w for w in pairing.waiting if w != partner]
        return _change(pairing, {end: rules.arrange((partner, person))}, waiting)
    odd_groups = sorted((i for i in pairing.odd_groups if i != protect), key=lambda i: len(groups[i]))
    if odd_groups and FACILITATOR in groups[odd_groups[0]]:
        partner = next(p for p in groups[odd_groups[0]] if p != FACILITATOR)
        return _change(pairing, {odd_groups[0]: rules.arrange((partner, person))})
    if odd_groups:
        a, b, c = groups[odd_groups[0]]
        splits = [((person, a), (b, c)), ((person, b), (a, c)), ((person, c), (a, b))]
        one, two = min(splits, key=lambda s: rules.cost(s[0]) + rules.cost(s[1]))
        return _change(pairing, {odd_groups[0]: rules.arrange(one), end: rules.arrange(two)})
    if pairing.odd_groups:
        return None
    if odd == "facilitator":
        return _change(pairing, {end: (person, FACILITATOR)})
    if not groups:
        return _change(pairing, {}, [person])
    triads = rules.history.triads  # a new triad goes first to people never in one, then to who met least
    i = least(rules.sample(range(end)), lambda i: (sum(triads.get(p, 0) for p in groups[i]),
                                                    rules.cost((*groups[i], person))))
    return _change(pairing, {i: rules.arrange((*groups[i], person))})


def _change(pairing: Pairing, changes: dict[int, Group | None], waiting: list[str] | None = None) -> Pairing:
    """Copy a pairing with groups replaced, added (index past the end) or dropped (None)."""
    groups, where = list(pairing.groups), dict(pairing.where)
    for i in changes:
        for p in groups[i] if i < len(groups) else ():
            where.pop(p, None)
    for i, group in sorted(changes.items()):
        if i < len(groups):
            groups[i] = group
        else:
            groups.append(group)
    for i in sorted((i for i, g in changes.items() if g is None), reverse=True):
        last = groups.pop()
        if i < len(groups):
            groups[i] = last  # fill the hole with the last group: nothing else moves
    odd = {i for i in pairing.odd_groups if i < len(groups)} - set(changes)
    for i in changes:
        if i < len(groups):
            odd.update([i] if is_odd(groups[i]) else [])
            where.update((p, i) for p in groups[i] if p != FACILITATOR)
    result = Pairing(groups, list(pairing.waiting if waiting is None else waiting))
    result.__dict__.update(where=where, odd_groups=odd)  # prime the cached index instead of rebuilding it
    return result


def _find(pairing: Pairing, person: str) -> int:
    if person not in pairing.where:
        if person in pairing.waiting:
            raise Refusal("{person} is waiting.", BAD_MOVE, person=person)
        raise Refusal("{person} is not in any group.", BAD_MOVE, person=person)
    return pairing.where[person]
