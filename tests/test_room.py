"""The room's state machine, with time and chance passed in: no server, no sleeping."""

import random

import pytest

from workshop.core.agenda import parse_agenda
from workshop.core.errors import Refusal
from workshop.core.room import AWAY, GONE, PRESENT, Room, Settings

AGENDA = {
    "title": "Test",
    "steps": [
        {"kind": "welcome", "title": "Hello", "minutes": 1},
        {"kind": "agreements", "title": "Agree", "items": ["Listen"]},
        {"kind": "round", "title": "Round one", "prompts": ["One?", "Two?", "Three?"],
         "turns": [{"speaker": "A", "minutes": 2}, {"speaker": "B", "minutes": 2},
                   {"speaker": "both", "minutes": 1}]},
        {"kind": "round", "title": "Round two", "prompt": "Again?", "pairing": "keep",
         "turns": [{"speaker": "A", "minutes": 1}]},
        {"kind": "closing", "title": "Bye"},
    ],
}
MINUTE = 60_000


def make_room(people=0, agreed=True, **settings):
    room = Room("ABCDEF", "hash", parse_agenda(AGENDA, name="test", file="test.yaml"), 0,
                Settings(**settings))
    rng = random.Random(7)
    for i in range(people):
        room.join(f"a_{i}", f"P{i}", f"t{i}", 0, rng)
        room.connect(f"a_{i}", 0, rng)
        if agreed:
            room.agree(f"a_{i}", rng)
    return room, rng


def at_round(people=4):
    room, rng = make_room(people)
    room.go_to_step(2, 0, rng)
    return room, rng


def test_a_new_room_starts_at_its_first_step_with_an_idle_timer():
    room, _ = make_room()
    assert room.step.title == "Hello"
    assert room.timer.state == "idle" and room.timer.remaining(0) == MINUTE


def test_joining_then_connecting_makes_an_attendee_present():
    room, rng = make_room()
    room.join("a_1", "Ana", "t", 0, rng)
    assert room.attendees["a_1"].status == AWAY
    room.connect("a_1", 5, rng)
    assert room.attendees["a_1"].status == PRESENT
    assert room.present == 1


def test_a_locked_room_refuses_new_joiners_but_not_returning_ones():
    room, rng = make_room(1)
    room.lock(True)
    with pytest.raises(Refusal) as refused:
        room.join("a_9", "Late", "t9", 0, rng)
    assert refused.value.code == "room_unavailable"
    room.disconnect("a_0", 10)
    room.connect("a_0", 20, rng)
    assert room.attendees["a_0"].status == PRESENT


def test_a_full_room_says_so():
    room, rng = make_room(2, max_attendees=2)
    with pytest.raises(Refusal) as refused:
        room.join("a_9", "Late", "t9", 0, rng)
    assert refused.value.code == "room_full"


def test_entering_a_round_pairs_everyone_who_agreed():
    room, rng = make_room(4)
    room.join("a_x", "Not yet", "tx", 0, rng)
    room.go_to_step(2, 0, rng)
    grouped = set(room.groups.of)
    assert grouped == {"a_0", "a_1", "a_2", "a_3"}
    assert all(len(g.members) == 2 for g in room.groups)


def test_a_round_moves_through_its_turns_at_each_deadline():
    room, rng = at_round()
    room.start_timer(1000)
    assert room.phase["speaker"] == "A" and room.timer.deadline == 1000 + 2 * MINUTE
    room.tick(1000 + 2 * MINUTE)
    assert room.phase["speaker"] == "B"
    assert room.timer.deadline == 1000 + 4 * MINUTE


def test_ticking_after_downtime_catches_up_from_the_old_deadlines():
    room, rng = at_round()
    room.start_timer(0)
    room.tick(4 * MINUTE + 30_000)
    assert room.phase["speaker"] == "both"
    assert room.timer.deadline == 5 * MINUTE


def test_a_round_without_a_triad_skips_the_third_speaker():
    room, rng = at_round(4)
    room.start_timer(0)
    room.tick(2 * MINUTE)
    room.tick(4 * MINUTE)
    assert room.phase["speaker"] == "both"


def test_a_round_with_a_triad_gives_the_third_person_a_turn():
    room, rng = at_round(5)
    assert sorted(len(g.members) for g in room.groups) == [2, 3]
    room.start_timer(0)
    room.tick(2 * MINUTE)
    room.tick(4 * MINUTE)
    assert room.phase["speaker"] == "C"


def test_pause_keeps_the_time_left_and_resume_sets_a_new_deadline():
    room, rng = at_round()
    room.start_timer(0)
    room.pause_timer(30_000)
    assert room.timer.state == "paused" and room.timer.remaining_ms == 90_000
    assert room.tick(10 * MINUTE).room is False
    room.resume_timer(10 * MINUTE)
    assert room.timer.deadline == 10 * MINUTE + 90_000


def test_extend_adds_time_to_the_running_turn():
    room, rng = at_round()
    room.start_timer(0)
    room.extend_timer(60, 1000)
    assert room.timer.deadline == 3 * MINUTE


def test_skip_moves_a_round_to_its_next_turn_now():
    room, rng = at_round()
    room.start_timer(0)
    room.skip_timer(10_000)
    assert room.phase["speaker"] == "B" and room.timer.deadline == 10_000 + 2 * MINUTE


def test_timer_commands_refuse_the_wrong_state():
    room, rng = at_round()
    with pytest.raises(Refusal) as refused:
        room.pause_timer(0)
    assert refused.value.code == "timer_not_running"
    room.go_to_step(4, 0, rng)
    with pytest.raises(Refusal) as refused:
        room.start_timer(0)
    assert refused.value.code == "no_timer"


def test_when_every_group_is_done_the_turn_ends_early():
    room, rng = at_round(4)
    room.start_timer(0)
    first, second = list(room.groups)
    room.mark_done(first.members[0], 1000)
    assert room.phase["speaker"] == "A" and room.round.group_done(first)
    room.mark_done(second.members[1], 2000)
    assert room.phase["speaker"] == "B" and room.timer.deadline == 2000 + 2 * MINUTE
    assert not room.round.group_done(first)


def test_drawing_a_prompt_changes_only_that_group():
    room, rng = at_round(4)
    first, second = list(room.groups)
    room.draw_prompt(first.members[0])
    assert room.round.prompt_of(first) == "Two?" and room.round.prompt_of(second) == "One?"


def test_roles_rotate_when_a_round_keeps_its_pairs():
    room, rng = at_round(2)
    group = next(iter(room.groups))
    first_speaker = group.members[[room.round.role_of(group, p) for p in (0, 1)].index("A")]
    room.go_to_step(3, 0, rng)
    assert next(iter(room.groups)) is group
    second_speaker = group.members[[room.round.role_of(group, p) for p in (0, 1)].index("A")]
    assert first_speaker != second_speaker


def test_an_away_attendee_is_gone_after_the_grace_period_and_their_partner_is_placed_again():
    room, rng = at_round(4)
    room.disconnect("a_0", 1000)
    assert room.expire_away("a_0", 1000 + 60_000, rng).attendees == set()
    room.expire_away("a_0", 1000 + 120_000, rng)
    assert room.attendees["a_0"].status == GONE
    assert "a_0" not in room.groups.of
    assert sorted(len(g.members) for g in room.groups) == [3]


def test_a_late_joiner_who_agrees_is_paired():
    room, rng = at_round(4)
    room.join("a_late", "Late", "tl", 0, rng)
    room.connect("a_late", 0, rng)
    assert "a_late" not in room.groups.of
    room.agree("a_late", rng)
    assert "a_late" in room.groups.of


def test_a_removed_attendee_cannot_connect_again():
    room, rng = make_room(2)
    room.remove("a_0", rng)
    with pytest.raises(Refusal) as refused:
        room.connect("a_0", 0, rng)
    assert refused.value.code == "removed"


def test_an_ended_room_refuses_commands():
    room, rng = make_room(1)
    room.end(5)
    with pytest.raises(Refusal) as refused:
        room.go_to_step(1, 6, rng)
    assert refused.value.code == "room_ended"
