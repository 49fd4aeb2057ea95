"""A running turn holds: who arrives or is left alone mid-turn waits for the boundary; no letter changes."""

import random

import pytest

from workshop.core.agenda import parse_agenda
from workshop.core.errors import Refusal
from workshop.core.room import Room, Settings
from workshop.core.view import groups_view, you_view
from workshop.shell.store import Store

from .test_dyads import MINUTE, full_room, join, leave


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
