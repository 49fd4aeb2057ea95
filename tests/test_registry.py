"""The room registry over a real SQLite file: commit then tell, and back to the last commit on failure."""

from __future__ import annotations

import random

import pytest

from workshop.core.agenda import load_agenda
from workshop.core.errors import Refusal
from workshop.core.room import Settings
from workshop.shell.clock import Clock
from workshop.shell.registry import Registry
from workshop.shell.store import Store

from .support import ROOT

AGENDA = load_agenda(ROOT / "agendas" / "quick-connect.yaml")
ROUND = next(s.index for s in AGENDA.steps if s.kind == "round")


class Told:
    """A `send` that records what was told, and what the database held at that moment."""

    def __init__(self):
        self.told = []
        self.store = None

    def __call__(self, room, change):
        self.told.append((room.code, room.step_index, self.store.load_room(room.code).step_index))


@pytest.fixture
def now():
    return [1_000_000]


@pytest.fixture
def registry(tmp_path, now):
    told = Told()
    store = told.store = Store(str(tmp_path / "rooms.db"), secret="s" * 32)
    rooms = Registry(store, Clock(now=lambda: now[0]), Settings(grace_ms=1000), send=told,
                     rng=random.Random(1))
    rooms.told = told.told
    return rooms


def people(rooms, code, n=4):
    """Join and connect n attendees, agreeing where the agenda asks."""
    for i in range(n):
        _, attendee_id, _ = rooms.join(code, f"P{i}")
        rooms.run(code, lambda r, a=attendee_id: r.connect(a, rooms.clock(), rooms.rng))
        if rooms.rooms[code].needs_agreement:
            rooms.run(code, lambda r, a=attendee_id: r.agree(a, rooms.rng))


def test_a_change_is_told_only_after_the_database_holds_it(registry):
    room, _ = registry.create_room(AGENDA)
    registry.told.clear()
    registry.run(room.code, lambda r: r.go_to_step(1, registry.clock(), registry.rng))
    assert registry.told == [(room.code, 1, 1)]


def test_a_command_that_fails_half_way_is_told_to_nobody_and_the_room_is_read_back(registry):
    room, _ = registry.create_room(AGENDA)
    registry.told.clear()

    def half_done(r):
        r.step_index = 2
        raise RuntimeError("bug")

    with pytest.raises(RuntimeError):
        registry.run(room.code, half_done)
    again = registry.rooms[room.code]
    assert registry.told == [] and again is not room and again.step_index == 0


def test_a_failed_commit_puts_the_rooms_deadline_back_as_the_database_has_it(registry, now, monkeypatch):
    room, _ = registry.create_room(AGENDA)
    people(registry, room.code)
    registry.run(room.code, lambda r: r.go_to_step(ROUND, now[0], registry.rng))
    registry.run(room.code, lambda r: r.start_timer(now[0]))
    committed = registry.store.load_room(room.code).next_deadline()
    assert registry.clock.timer_at[room.code] == committed
    monkeypatch.setattr(registry.store, "save", lambda *args: (_ for _ in ()).throw(OSError("disk full")))
    with pytest.raises(OSError):
        registry.run(room.code, lambda r: r.extend_timer(120, now[0]))
    monkeypatch.undo()
    assert registry.rooms[room.code].next_deadline() == committed == registry.clock.timer_at[room.code]


def test_a_turn_moves_on_at_its_deadline_with_nobody_connected(registry, now):
    room, _ = registry.create_room(AGENDA)
    people(registry, room.code)
    registry.run(room.code, lambda r: r.go_to_step(ROUND, now[0], registry.rng))
    registry.run(room.code, lambda r: r.start_timer(now[0]))
    first = registry.rooms[room.code].round.turn
    deadline = registry.rooms[room.code].next_deadline()
    registry.clock.run_due(deadline - 1, registry.act)
    assert registry.rooms[room.code].round.turn == first
    now[0] = deadline
    registry.clock.run_due(deadline, registry.act)
    assert registry.rooms[room.code].round.turn == first + 1
    assert registry.store.load_room(room.code).round.turn == first + 1


def test_an_ended_room_leaves_memory_and_its_deadlines_pass_without_effect(registry, now):
    room, _ = registry.create_room(AGENDA)
    people(registry, room.code)
    registry.run(room.code, lambda r: r.go_to_step(ROUND, now[0], registry.rng))
    registry.run(room.code, lambda r: r.start_timer(now[0]))
    registry.run(room.code, lambda r: r.end(now[0]))
    assert room.code not in registry.rooms and room.code not in registry.locks
    assert room.code not in registry.clock.timer_at and registry.tokens == {}
    registry.clock.run_due(now[0] + 10**9, registry.act)  # the stale timer finds no room
    with pytest.raises(Refusal) as refused:
        registry.run(room.code, lambda r: r.lock(True))
    assert refused.value.code == "room_ended"


def test_a_broadcast_that_fails_after_the_commit_keeps_what_was_committed(registry):
    room, _ = registry.create_room(AGENDA)

    def deaf(room, change):
        raise ConnectionError("socket gone")

    registry.send = deaf
    with pytest.raises(ConnectionError):
        registry.run(room.code, lambda r: r.go_to_step(1, registry.clock(), registry.rng))
    assert registry.rooms[room.code].step_index == 1 == registry.store.load_room(room.code).step_index
