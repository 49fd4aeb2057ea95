"""The room as a state machine under random commands, saved after each and reloaded on "restart".

Hypothesis drives the pure `Room` the way the server does (a command, then `Store.save` of its
`Change`, the room's `seq` bumped first as `Live._commit` does) and checks after every step that
nobody is in two groups, nobody is alone, the counters match the people, the timer makes sense,
and that a room read back from the SQLite file equals the one in memory.
"""

from __future__ import annotations

import random
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from workshop.core.agenda import parse_agenda
from workshop.core.errors import Refusal
from workshop.core.pairing.form import FACILITATOR
from workshop.core.room import AWAY, GONE, PRESENT, REMOVED, ROUND_OVER, Change, Room, Settings
from workshop.core.timer import DONE, IDLE, PAUSED, RUNNING
from workshop.shell.store import ROOM_STATE, ROUND_STATE, Store, _attendee_row, _group_row, _room_state

AGENDA = {
    "title": "Stateful",
    "steps": [
        {"kind": "welcome", "title": "Hello", "minutes": 1},
        {"kind": "agreements", "title": "Agree", "items": ["Listen"]},
        {"kind": "pairing", "title": "Meet", "minutes": 1},
        {"kind": "round", "title": "Deck", "prompts": ["One?", "Two?", "Three?"],
         "turns": [{"speaker": "A", "minutes": 2}, {"speaker": "B", "minutes": 2},
                   {"speaker": "both", "minutes": 1}]},
        {"kind": "round", "title": "Kept", "prompt": "Again?", "pairing": "keep",
         "turns": [{"speaker": "A", "minutes": 1}, {"speaker": "B", "minutes": 1}]},
        {"kind": "round", "title": "New", "prompt": "Fresh?", "turns": [{"speaker": "both", "minutes": 1}]},
        {"kind": "message", "title": "Breathe", "text": "Breathe.", "minutes": 1},
        {"kind": "feedback", "title": "Feedback",
         "questions": [{"id": "overall", "type": "scale", "text": "How was it?"},
                       {"id": "words", "type": "text", "text": "Anything else?"}]},
        {"kind": "closing", "title": "Bye"},
    ],
}
PEOPLE = [f"a_{i:02d}" for i in range(7)]

GRACE_MS = 30_000

person = st.sampled_from(PEOPLE)


class RoomMachine(RuleBasedStateMachine):
    """One room, one SQLite file, and a clock that only moves forward."""

    def __init__(self):
        super().__init__()
        self.store: Store | None = None
        self.path = None

    @initialize(odd=st.sampled_from(["triad", "facilitator"]), seed=st.integers(0, 2**32 - 1),
                people=st.integers(0, len(PEOPLE) - 1), step=st.sampled_from([0, 2, 3, 7]))
    def open_room(self, odd, seed, people, step):
        self.folder = tempfile.TemporaryDirectory(prefix="h2h-stateful-")
        self.path = Path(self.folder.name) / "room.db"
        agenda = parse_agenda({**AGENDA, "odd": odd}, name="stateful", file="stateful.yaml")
        self.now = 1_700_000_000_000
        self.rng = random.Random(seed)
        self.room = Room("STATEF", "hash", agenda, self.now, Settings(grace_ms=GRACE_MS, time_scale=1.0))
        self.store = Store(self.path)
        self.store.create_room(self.room)
        self.last_seq = self.room.seq
        for who in PEOPLE[:people]:
            self.arrive(who)
        self.go_to_step(step)

    def teardown(self):
        if self.store is not None:
            self.store.db.conn.close()
            self.folder.cleanup()

    # -- driving the room as the server does ---------------------------------

    def apply(self, command, facilitator_regroups: bool = False) -> Change | None:
        """Run a command; a refusal is fine, anything else fails the test. Save what changed.

        Unless the command is the facilitator's regrouping, a turn still running after it has the
        same groups and letters as before it, less whoever left.
        """
        before = self.conversations()
        unchanged = self.saved_form()
        try:
            change = command()
        except Refusal:
            # The core says no before it changes anything (the shell reads the room back anyway).
            assert self.saved_form() == unchanged, "a refused command changed the room"
            return None
        if before is not None and not facilitator_regroups:
            self.check_conversations_held(before)
        if change:
            if change.room:
                self.room.seq += 1
            self.store.save(self.room, change, self.now)
        return change

    def saved_form(self):
        """Return everything the store would write of the room, and who has answered."""
        room = self.room
        people = sorted(repr(_attendee_row(room, a)) for a in room.attendees.values())
        groups = sorted(repr(_group_row(room, g)) for g in room.groups)
        return _room_state(room), people, groups, sorted(room.answered)

    def conversations(self):
        """Return the running turn and each grouped person's group, members and letter, or None."""
        round_ = self.room.round
        if self.store is None or self.room.status != "open" or not round_.in_turn:
            return None
        people = {}
        for group in round_.groups:
            letters = round_.letters_of(group)
            for position, member in enumerate(group.members):
                people[member] = (group.id, set(group.members), letters[position])
        return (self.room.step_index, round_.number, round_.turn), people

    def check_conversations_held(self, before) -> None:
        turn, people = before
        after = self.conversations()
        if after is None or after[0] != turn:
            return  # a turn boundary (or the round's end) came between: changes wait for exactly that
        for member, (group_id, members, letter) in after[1].items():
            if member == FACILITATOR:
                continue
            assert member in people or member in self.room.round.pending or len(members) == 1 or \
                all(m not in people for m in members if m != FACILITATOR), f"{member} was placed mid-turn"
            if member in people:
                was_id, was_members, was_letter = people[member]
                assert group_id == was_id, f"{member}'s group changed mid-turn"
                assert letter == was_letter, f"{member}'s letter went from {was_letter} to {letter} mid-turn"
                assert members <= was_members, f"{member}'s group gained {members - was_members} mid-turn"
        event("a running turn held through a command")

    def known(self, who: str) -> bool:
        return who in self.room.attendees

    # -- people ----------------------------------------------------------------

    @rule(who=person)
    def join(self, who):
        if not self.known(who):
            self.apply(lambda: self.room.join(who, f"Name {who}", f"hash-{who}", self.now, self.rng))

    @rule(who=person)
    def arrive(self, who):
        """Join, connect and agree, as most people do."""
        self.join(who)
        self.connect(who)
        self.agree(who)

    @rule(who=person)
    def connect(self, who):
        if self.known(who):
            self.apply(lambda: self.room.connect(who, self.now, self.rng))

    @rule(who=person)
    def disconnect(self, who):
        self.apply(lambda: self.room.disconnect(who, self.now))

    @rule(ms=st.integers(1, 200_000))
    def advance_time(self, ms):
        self.now += ms

    @rule()
    def expire_grace(self):
        """What the server's clock does for each away attendee whose grace period is over."""
        for who in sorted(self.room.attendees):
            self.apply(lambda who=who: self.room.expire_away(who, self.now, self.rng))

    @rule(who=person)
    def agree(self, who):
        self.apply(lambda: self.room.agree(who, self.rng))

    @rule(who=person)
    def remove(self, who):
        self.apply(lambda: self.room.remove(who, self.rng))

    @rule(who=person, needed=st.booleans())
    def ask_moment(self, who, needed):
        self.apply(lambda: self.room.ask_moment(who, needed))

    # -- agenda and timer --------------------------------------------------------

    @rule(index=st.integers(-1, len(AGENDA["steps"])))
    def go_to_step(self, index):
        self.apply(lambda: self.room.go_to_step(index, self.now, self.rng))

    @rule()
    def pair_everyone(self):
        self.apply(lambda: self.room.pair_everyone(self.rng), facilitator_regroups=True)

    @rule()
    def start_timer(self):
        self.apply(lambda: self.room.start_timer(self.now))

    @rule()
    def pause_timer(self):
        self.apply(lambda: self.room.pause_timer(self.now))

    @rule()
    def resume_timer(self):
        self.apply(lambda: self.room.resume_timer(self.now))

    @rule(seconds=st.integers(10, 600))
    def extend_timer(self, seconds):
        self.apply(lambda: self.room.extend_timer(seconds, self.now))

    @rule()
    def skip_timer(self):
        self.apply(lambda: self.room.skip_timer(self.now, self.rng))

    @rule()
    def tick(self):
        self.apply(lambda: self.room.tick(self.now, self.rng))

    @rule(text=st.sampled_from(["", "Two minutes left", "Breathe"]))
    def send_message(self, text):
        self.apply(lambda: self.room.send_message(text, self.now))

    @rule(odd=st.sampled_from(["triad", "facilitator"]))
    def set_odd(self, odd):
        self.apply(lambda: self.room.set_odd(odd))

    @rule(locked=st.booleans())
    def lock(self, locked):
        self.apply(lambda: self.room.lock(locked))

    # -- groups -----------------------------------------------------------------

    @rule(who=person)
    def mark_done(self, who):
        self.apply(lambda: self.room.mark_done(who, self.now, self.rng))

    @rule(who=person)
    def draw_prompt(self, who):
        self.apply(lambda: self.room.draw_prompt(who))

    @rule(a=person, b=person)
    def swap_people(self, a, b):
        self.apply(lambda: self.room.swap_people(a, b, self.rng), facilitator_regroups=True)

    @rule(who=person, pick=st.integers(0, 8))
    def move_person(self, who, pick):
        ids = list(self.room.groups.by_id) or ["g_missing"]
        self.apply(lambda: self.room.move_person(who, ids[pick % len(ids)], self.rng),
                   facilitator_regroups=True)

    @rule(who=person, pick=st.integers(0, 9))
    def place_waiting(self, who, pick):
        """The facilitator's one tap: a held person joins a pair (or someone alone) now."""
        ids = [*self.room.groups.by_id, None]
        self.apply(lambda: self.room.place_waiting(who, ids[pick % len(ids)], self.rng),
                   facilitator_regroups=True)

    # -- feedback and the end ---------------------------------------------------------

    @rule()
    def open_feedback(self):
        self.apply(lambda: self.room.open_feedback(self.now, self.rng))

    @rule()
    def close_feedback(self):
        self.apply(self.room.close_feedback)

    @rule(who=person, rating=st.integers(1, 5))
    def answer(self, who, rating):
        self.apply(lambda: self.room.answer(who, {"overall": rating}))

    @precondition(lambda self: self.room.responses > 0 or self.room.step.kind in ("feedback", "closing"))
    @rule()
    def end(self):
        self.apply(lambda: self.room.end(self.now))

    # -- a restart: read the room back from the file, as `live.boot` does -------------

    @rule()
    def restart(self):
        self.store.db.conn.close()
        self.store.ballots.db.close()
        self.store = Store(self.path)
        loaded = self.store.load_room(self.room.code)
        event(f"restart with {min(len(self.room.groups), 3)}+ groups, step {self.room.step.kind}")
        assert_same_room(loaded, self.room)
        assert self.store.ballots.count(self.room.code) == self.room.responses
        self.room = loaded
        change = Change()
        for attendee in list(loaded.attendees.values()):
            if attendee.status == PRESENT:
                change.merge(loaded.disconnect(attendee.id, self.now))
        change.merge(loaded.tick(self.now))
        if change:
            if change.room:
                loaded.seq += 1
            self.store.save(loaded, change, self.now)

    # -- what must always hold ------------------------------------------------------

    @invariant()
    def everyone_is_in_at_most_one_group_and_nobody_is_alone(self):
        if self.store is None:
            return
        groups, round_ = self.room.groups, self.room.round
        seen: dict[str, str] = {}
        for group in groups:
            assert 1 <= len(group.members) <= 3, group
            assert len(set(group.members)) == len(group.members), group
            if len(group.members) == 1:  # alone only mid-turn, after a partner left, until the boundary
                assert round_.in_turn and round_.pending[group.members[0]]["reason"] == "partner_left", group
            if FACILITATOR in group.members:
                assert len(group.members) == 2, group
            for member in group.people:
                assert member not in seen, f"{member} in {seen[member]} and {group.id}"
                seen[member] = group.id
        assert seen == groups.of, "the person index disagrees with the groups"
        assert groups.triads == sum(len(g.members) == 3 for g in groups)
        assert not round_.pending or round_.in_turn, "someone held while no turn runs"

    @invariant()
    def only_eligible_people_are_grouped_or_waiting(self):
        if self.store is None:
            return
        room = self.room
        waiting = room.groups.waiting
        assert len(set(waiting)) == len(waiting) <= 1, waiting
        for who in [*room.groups.of, *waiting]:
            attendee = room.attendees[who]
            assert attendee.status not in (GONE, REMOVED), (who, attendee.status)
            assert room.eligible(attendee), who
        assert not set(waiting) & set(room.groups.of)
        for who, hold in room.round.pending.items():
            assert room.eligible(room.attendees[who]), who
            assert who not in waiting
            assert hold["reason"] in ("new", "partner_left", "back")
            assert (who in room.groups.of) == (hold["reason"] == "partner_left"), (who, hold)

    @invariant()
    def once_people_are_paired_every_eligible_person_has_a_place(self):
        if self.store is None:
            return
        room = self.room
        if not (room.groups.by_id or room.groups.waiting or room.step.kind in ("round", "pairing")):
            return
        unplaced = [a.id for a in room.attendees.values() if room.eligible(a) and a.id not in room.groups.of
                    and a.id not in room.groups.waiting and a.id not in room.round.pending]
        assert not unplaced, (unplaced, room.groups.waiting, [g.members for g in room.groups])

    @invariant()
    def counters_match_what_they_count(self):
        if self.store is None:
            return
        room = self.room
        assert room.present == sum(a.status == PRESENT for a in room.attendees.values())
        assert room.responses == len(room.answered)
        for attendee in room.attendees.values():
            assert attendee.status in (PRESENT, AWAY, GONE, REMOVED)
            assert (attendee.away_since is not None) == (attendee.status in (AWAY, GONE)), attendee
        assert room.seq >= self.last_seq
        self.last_seq = room.seq

    @invariant()
    def done_count_is_the_number_of_groups_done(self):
        if self.store is None or self.room.step.kind != "round":
            return
        done = sum(self.room.round.group_done(g) for g in self.room.groups)
        assert self.room.round.done_count == done, (self.room.round.done_count, done)

    @invariant()
    def the_timer_is_consistent(self):
        if self.store is None:
            return
        room, timer = self.room, self.room.timer
        step = room.step
        if step.kind == "round":
            assert timer is not None
            assert 0 <= room.round.turn <= len(room.round.turns)
            if room.phase is ROUND_OVER:
                assert timer.state == DONE
        elif step.minutes is None:
            assert timer is None
        if timer is None:
            return
        assert timer.state in (IDLE, RUNNING, PAUSED, DONE)
        if timer.state == RUNNING:
            assert timer.deadline is not None and timer.remaining_ms == 0
        else:
            assert timer.deadline is None
        if timer.state == DONE:
            assert timer.remaining_ms == 0
        if timer.state in (IDLE, PAUSED):
            assert timer.remaining_ms >= 0


def assert_same_room(loaded: Room, room: Room) -> None:
    """Compare every persisted field of a reloaded room with the room in memory."""
    for name in ROOM_STATE:
        assert getattr(loaded, name) == getattr(room, name), name
    for name in ROUND_STATE.values():
        assert getattr(loaded.round, name) == getattr(room.round, name), name
    assert loaded.round.step == room.round.step, "the round's step"
    assert loaded.timer == room.timer, "timer"
    assert loaded.waiting == room.waiting, "waiting"
    assert loaded.settings == room.settings
    assert loaded.key_hash == room.key_hash and loaded.created_at == room.created_at
    people = {k: vars(a) for k, a in room.attendees.items()}
    assert {k: vars(a) for k, a in loaded.attendees.items()} == people, "attendees"
    assert loaded.present == room.present
    assert loaded.groups.by_id == room.groups.by_id, "groups"
    assert loaded.groups.of == room.groups.of and loaded.groups.triads == room.groups.triads
    assert loaded.round.history.to_json() == room.round.history.to_json(), "pairing history"
    assert loaded.answered == room.answered, "who answered"


RoomMachine.TestCase.settings = settings(
    max_examples=400, stateful_step_count=60, deadline=None, derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
TestRoomMachine = RoomMachine.TestCase


# -- focused tests for what the machine found --------------------------------------------------------

def saved_room(folder: Path, people: int, odd: str = "triad"):
    """Return a room with people joined, connected and agreed, its store, and a save function."""
    store = Store(folder / "room.db")
    agenda = parse_agenda({**AGENDA, "odd": odd}, name="stateful", file="stateful.yaml")
    room = Room("STATEF", "hash", agenda, 0, Settings(grace_ms=GRACE_MS))
    store.create_room(room)
    rng = random.Random(3)

    def save(change: Change) -> Change:
        if change:
            if change.room:
                room.seq += 1
            store.save(room, change, 0)
        return change

    for who in PEOPLE[:people]:
        save(room.join(who, who, f"hash-{who}", 0, rng))
        save(room.connect(who, 0, rng))
        save(room.agree(who, rng))
    return room, store, save, rng


def test_the_count_of_feedback_responses_survives_a_restart(tmp_path):
    room, store, save, rng = saved_room(tmp_path, 2)
    save(room.open_feedback(0, rng))
    save(room.answer(PEOPLE[0], {"overall": 4}))
    assert Store(store.path).load_room(room.code).responses == room.responses == 1


def test_the_waiting_list_survives_a_restart(tmp_path):
    room, store, save, rng = saved_room(tmp_path, 1)
    save(room.pair_everyone(rng))
    assert room.waiting == [PEOPLE[0]]
    assert Store(store.path).load_room(room.code).waiting == [PEOPLE[0]]
    save(room.remove(PEOPLE[0], rng))
    assert Store(store.path).load_room(room.code).waiting == []


def test_a_newcomer_is_paired_with_the_person_waiting_alone(tmp_path):
    room, store, save, rng = saved_room(tmp_path, 3)
    save(room.go_to_step(2, 0, rng))
    save(room.remove(PEOPLE[0], rng))
    save(room.remove(PEOPLE[1], rng))
    assert room.waiting == [PEOPLE[2]] and not room.groups.by_id
    newcomer = PEOPLE[3]
    save(room.join(newcomer, "Late", "hash-late", 0, rng))
    save(room.connect(newcomer, 0, rng))
    save(room.agree(newcomer, rng))
    assert room.groups.of_person(newcomer) is not None
    assert set(room.groups.of_person(newcomer).members) == {PEOPLE[2], newcomer}


def test_a_finished_group_that_breaks_up_does_not_end_the_turn_for_the_others(tmp_path):
    room, store, save, rng = saved_room(tmp_path, 6)
    save(room.go_to_step(3, 0, rng))
    save(room.start_timer(0))
    first, second, third = list(room.groups)
    save(room.mark_done(first.members[0], 1))
    save(room.remove(first.members[0], rng))  # the partner stays, alone, until the turn ends
    unfinished = [g for g in room.groups if not room.round.group_done(g)]
    assert len(unfinished) == 2 and len(room.groups) == 3
    save(room.mark_done(next(iter(unfinished[0].people)), 2))
    assert room.round.turn == 0, "the turn ended while a group was still talking"


def test_a_keep_round_reached_without_groups_pairs_everyone(tmp_path):
    room, store, save, rng = saved_room(tmp_path, 4)
    save(room.go_to_step(4, 0, rng))  # "Kept", straight from the welcome step
    assert len(room.groups) == 2


def test_pairing_an_empty_room_is_saved(tmp_path):
    room, store, save, rng = saved_room(tmp_path, 0)
    save(room.go_to_step(3, 0, rng))
    save(room.start_timer(0))
    save(room.pair_everyone(rng))
    assert Store(store.path).load_room(room.code).round.started == room.round.started


def test_pairing_everyone_again_mid_turn_keeps_the_done_count_true(tmp_path):
    room, store, save, rng = saved_room(tmp_path, 4)
    save(room.go_to_step(3, 0, rng))
    save(room.start_timer(0))
    before = {g.members for g in room.groups}
    save(room.mark_done(next(iter(room.groups)).members[0], 1))
    save(room.pair_everyone(random.Random(0)))  # may well keep a group that finished the turn
    done = sum(room.round.group_done(g) for g in room.groups)
    assert room.round.done_count == done, (room.round.done_count, done, before,
                                           [g.members for g in room.groups])
