"""Rounds of dyads in rooms of 2 to 1,000: schedules, live changes and every member's turn."""

import random
from collections import Counter
from itertools import combinations

import pytest

from workshop.core.agenda import parse_agenda
from workshop.core.room import GONE, Room, Settings
from workshop.core.view import phase_view, you_view

MINUTE = 60_000


def agenda(rounds: int, pairing: str = "new"):
    steps = [{"kind": "agreements", "title": "Agree", "items": ["Listen"]}]
    for number in range(1, rounds + 1):
        steps.append({"kind": "round", "title": f"Round {number}", "prompts": ["A?", "B?"],
                      "pairing": pairing if number > 1 else "new",
                      "turns": [{"speaker": "A", "minutes": 2}, {"speaker": "B", "minutes": 2},
                                {"speaker": "both", "minutes": 1}]})
    return parse_agenda({"title": "Dyads", "steps": steps}, name="dyads", file="dyads.yaml")


def full_room(people: int, rounds: int, odd: str = "triad", pairing: str = "new"):
    room = Room("DYADS2", "hash", agenda(rounds, pairing), 0, Settings(grace_ms=MINUTE))
    room.odd = odd
    rng = random.Random(people)
    for i in range(people):
        join(room, f"a_{i:04d}", rng)
    return room, rng


def join(room, person, rng, now=0):
    room.join(person, person, "t" + person, now, rng)
    room.connect(person, now, rng)
    room.agree(person, rng)


def leave(room, person, rng, now):
    room.disconnect(person, now)
    room.expire_away(person, now + MINUTE, rng)


def check_invariants(room):
    """Nobody in two groups, nobody alone but someone held mid-turn, every eligible person placed or held."""
    seen = Counter(m for g in room.groups for m in g.people)
    assert all(count == 1 for count in seen.values()), "somebody is in two groups"
    assert all(1 <= len(g.members) <= 3 for g in room.groups)
    for group in room.groups:
        if len(group.members) == 1:  # only mid-turn, someone whose partner left, until the boundary
            assert room.round.in_turn, "a group of one outside a turn"
            assert room.round.pending[group.members[0]]["reason"] == "partner_left"
    assert room.groups.triads == sum(len(g.members) == 3 for g in room.groups)
    assert not room.round.pending or room.round.in_turn, "someone held while no turn runs"
    for person, group_id in room.groups.of.items():
        assert person in room.groups[group_id].members
        assert room.attendees[person].status != GONE
    eligible = {a.id for a in room.attendees.values() if room.eligible(a)}
    placed = set(seen) | set(room.waiting) | set(room.round.pending)
    assert placed == eligible, "an eligible person has no place"
    assert len(room.waiting) <= (1 if room.odd == "triad" else 0)


def run_round(room, rng, step_index, now):
    room.go_to_step(step_index, now, rng)
    room.start_timer(now)
    check_invariants(room)
    return {frozenset(g.people) for g in room.groups}


@pytest.mark.parametrize("people", [2, 4, 6, 10, 40, 200])
def test_an_even_room_meets_someone_new_every_round_until_everyone_has_met(people):
    rounds = min(people - 1, 5)
    room, rng = full_room(people, rounds)
    met = Counter()
    for number in range(1, rounds + 1):
        for group in run_round(room, rng, number, number * 10 * MINUTE):
            met.update(frozenset(pair) for pair in combinations(sorted(group), 2))
    assert max(met.values()) == 1, "a repeat while a new partner was possible"


@pytest.mark.parametrize("people", [3, 5, 9, 101])
def test_an_odd_room_has_one_triad_and_nobody_is_in_it_twice_too_soon(people):
    rounds = min(people // 3, 4)
    room, rng = full_room(people, rounds)
    in_triad = Counter()
    for number in range(1, rounds + 1):
        run_round(room, rng, number, number * 10 * MINUTE)
        triads = [g for g in room.groups if len(g.members) == 3]
        assert len(triads) == 1
        in_triad.update(triads[0].people)
    assert max(in_triad.values()) == 1


def test_with_the_facilitator_as_partner_an_odd_room_has_no_triad():
    room, rng = full_room(7, 2, odd="facilitator")
    run_round(room, rng, 1, 0)
    assert room.groups.triads == 0
    assert sum("facilitator" in g.members for g in room.groups) == 1


@pytest.mark.parametrize("people", [2, 3, 8, 51, 1000])
def test_joins_and_departures_mid_round_keep_everyone_placed(people):
    room, rng = full_room(people, 3)
    now = 0
    for number in range(1, 4):
        now += 10 * MINUTE
        run_round(room, rng, number, now)
        for k in range(3):
            join(room, f"late_{number}_{k}", rng, now)
            check_invariants(room)
        present = sorted(room.groups.of)
        for person in rng.sample(present, min(2, len(present) - 1)):
            leave(room, person, rng, now)
            check_invariants(room)


@pytest.mark.parametrize("people", [4, 5])
def test_every_phone_in_a_group_sees_its_own_role_and_each_member_gets_to_speak(people):
    room, rng = full_room(people, 1)
    run_round(room, rng, 1, 0)
    spoke = Counter()
    deadlines = set()
    while room.phase["speaker"] is not None:
        speaker = phase_view(room)["speaker"]
        deadlines.add(room.timer.deadline)
        for group in room.groups:
            roles = {you_view(room, p)["group"]["role"] for p in group.people}
            assert roles == set("ABC"[:len(group.members)]), "each member has a distinct role"
            spoke.update(p for p in group.people if you_view(room, p)["group"]["role"] == speaker)
        room.tick(room.timer.deadline)
    assert set(spoke) == set(room.groups.of), "everyone had a speaking turn"
    assert len(deadlines) == (4 if people == 5 else 3), "the triad's extra turn runs only with a triad"


def test_a_kept_group_swaps_who_speaks_first():
    room, rng = full_room(2, 2, pairing="keep")
    run_round(room, rng, 1, 0)
    group = next(iter(room.groups))
    first = [p for p in group.people if you_view(room, p)["group"]["role"] == "A"]
    run_round(room, rng, 2, 10 * MINUTE)
    second = [p for p in group.people if you_view(room, p)["group"]["role"] == "A"]
    assert first != second


def test_the_facilitator_can_swap_two_people_and_move_one():
    room, rng = full_room(6, 1)
    run_round(room, rng, 1, 0)
    one, two, three = list(room.groups)
    a, b = one.members[0], two.members[1]
    room.swap_people(a, b, rng)
    assert room.groups.of_person(a).people == (two.people - {b}) | {a}
    check_invariants(room)
    mover = room.groups.of_person(a).members[0]
    target = next(g for g in room.groups if mover not in g.members)
    room.move_person(mover, target.id, rng)
    assert mover in room.groups.of_person(mover).members
    check_invariants(room)
