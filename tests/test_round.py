"""A room's round as one object: pair numbers that hold, a read-back that keeps them, refusals it gives."""

import random

import pytest

from workshop.core.errors import Refusal
from workshop.core.pairing.form import make_groups
from workshop.core.pairing.regroup import swap_people
from workshop.core.round import Group, Groups
from workshop.core.view import group_view
from workshop.shell.store import Store

from .test_dyads import full_room, leave


def numbers(room):
    return {group.id: group.number for group in room.groups}


def test_a_group_keeps_its_pair_number_when_a_group_formed_before_it_breaks_up():
    room, rng = full_room(8, rounds=1)
    room.go_to_step(1, 0, rng)
    before = numbers(room)
    first = next(iter(room.groups))
    leave(room, first.members[0], rng, 0)  # the partner left alone joins another group
    after = numbers(room)
    assert all(after[g] == before[g] for g in after if g in before), (before, after)
    assert sorted(after.values()) == sorted(set(after.values())), "two groups share a number"


def test_a_new_group_takes_the_smallest_number_no_group_holds():
    groups = Groups()
    for i in range(1, 5):
        groups.add(Group(f"g{i}", (f"a{i}", f"b{i}")))
    groups.drop("g3")
    groups.drop("g1")
    groups.add(Group("g5", ("a5", "b5")))
    groups.add(Group("g6", ("a6", "b6")))
    groups.add(Group("g7", ("a7", "b7")))
    assert {g.id: g.number for g in groups} == {"g2": 2, "g4": 4, "g5": 1, "g6": 3, "g7": 5}


def test_groups_read_back_with_their_numbers_leave_the_gaps_free():
    groups = Groups()
    groups.add(Group("g7", ("a", "b"), number=7))
    groups.add(Group("g2", ("c", "d"), number=2))
    groups.add(Group("new", ("e", "f")))
    groups.add(Group("newer", ("g", "h")))
    assert groups["new"].number == 1 and groups["newer"].number == 3


def test_the_view_reads_the_number_the_group_was_given():
    room, rng = full_room(6, rounds=1)
    room.go_to_step(1, 0, rng)
    for group in room.groups:
        assert group_view(room, group)["number"] == group.number


def test_pair_numbers_survive_a_restart(tmp_path):
    room, rng = full_room(9, rounds=1)
    store = Store(tmp_path / "rooms.db")
    store.create_room(room)
    change = room.go_to_step(1, 0, rng)
    change.merge(room.remove(next(iter(room.groups)).members[0], rng))
    store.save(room, change, 0)
    assert Store(tmp_path / "rooms.db").load_room(room.code).round.groups.by_id == room.groups.by_id


def test_groups_saved_before_pair_numbers_existed_read_back_numbered_in_the_order_they_were_written(tmp_path):
    room, rng = full_room(10, rounds=1)
    store = Store(tmp_path / "rooms.db")
    store.create_room(room)
    store.save(room, room.go_to_step(1, 0, rng), 0)
    store.db.execute("UPDATE groups SET number = 0")  # what the new column holds for an older row
    loaded = Store(tmp_path / "rooms.db").load_room(room.code)
    written = [row[0] for row in store.db.execute("SELECT id FROM groups ORDER BY rowid")]
    assert [loaded.groups[g].number for g in written] == list(range(1, len(written) + 1))


def test_a_move_the_pairing_cannot_make_is_a_refusal_with_the_bad_move_code():
    pairing = make_groups(["a", "b", "c", "d"], random.Random(1))
    with pytest.raises(Refusal) as refused:
        swap_people(pairing, "a", "zed")
    assert refused.value.code == "bad_move"
    with pytest.raises(Refusal) as refused:
        make_groups(["a", "b"], random.Random(1), odd="pairs")
    assert refused.value.code == "bad_move"


def test_marking_done_before_the_turn_starts_is_refused_and_an_ended_room_refuses_first():
    room, rng = full_room(4, rounds=1)
    room.go_to_step(1, 0, rng)
    person = next(iter(room.groups.of))
    with pytest.raises(Refusal) as refused:
        room.mark_done(person, 0)
    assert refused.value.code == "turn_not_started"
    room.end(0)
    with pytest.raises(Refusal) as refused:
        room.mark_done(person, 0)
    assert refused.value.code == "room_ended"
