"""What each audience is sent: the pair number and colour that let partners find each other."""

import json

from workshop.core.view import PAIR_COLOURS, group_view, you_view

from .test_dyads import full_room


def test_every_member_of_a_group_sees_the_same_pair_number_and_colour_and_no_two_groups_share_a_number():
    room, rng = full_room(23, rounds=1)
    room.go_to_step(1, 0, rng)
    labels = {}
    for group in room.groups:
        mine = [you_view(room, p)["group"] for p in group.people]
        seen = {(g["number"], g["colour"]) for g in mine}
        assert len(seen) == 1, f"the members of {group.id} see different labels: {seen}"
        labels[group.id] = seen.pop()
        assert (group_view(room, group)["number"], group_view(room, group)["colour"]) == labels[group.id]
    numbers = sorted(number for number, _ in labels.values())
    assert numbers == list(range(1, len(room.groups) + 1))
    assert {colour for _, colour in labels.values()} == set(PAIR_COLOURS)


def test_the_colour_follows_the_number_so_pairs_read_the_same_in_every_room():
    room, rng = full_room(4, rounds=1)
    room.go_to_step(1, 0, rng)
    for group in room.groups:
        view = group_view(room, group)
        assert view["colour"] == PAIR_COLOURS[(view["number"] - 1) % len(PAIR_COLOURS)]


def test_the_you_message_with_a_pair_label_stays_under_2_kb_with_the_longest_names():
    room, rng = full_room(3, rounds=1)
    for person in room.attendees.values():
        person.name = "W" * 40
    room.go_to_step(1, 0, rng)
    person = next(iter(room.groups.of))
    encoded = json.dumps(you_view(room, person), ensure_ascii=False).encode()
    assert len(encoded) < 2048, len(encoded)
