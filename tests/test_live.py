"""The shell around the rooms: commit before broadcast, and nothing half-done when a write fails."""

import pytest

from workshop.core.agenda import load_agenda
from workshop.shell.events import socketio

from .support import ROOT


def test_a_failed_write_leaves_the_room_as_last_committed(live, monkeypatch):
    room, _ = live.create_room(load_agenda(ROOT / "agendas" / "quick-connect.yaml"))

    def broken(*args):
        raise OSError("disk full")

    monkeypatch.setattr(live.store, "save", broken)
    with pytest.raises(OSError):
        live.run(room.code, lambda r: r.go_to_step(2, live.clock(), live.rng))
    assert live.rooms[room.code].step_index == 0


def test_nothing_is_broadcast_before_it_is_committed(live, monkeypatch):
    room, _ = live.create_room(load_agenda(ROOT / "agendas" / "quick-connect.yaml"))
    order = []
    real_save = live.store.save
    monkeypatch.setattr(live.store, "save", lambda *a: (order.append("commit"), real_save(*a)))
    monkeypatch.setattr(socketio, "emit", lambda *a, **k: order.append("send"))
    live.run(room.code, lambda r: r.send_message("Breathe", live.clock()))
    assert order[0] == "commit" and "send" in order


def test_a_restart_brings_rooms_back_and_replays_passed_deadlines(app, tmp_path):
    from workshop import create_app

    live = app.extensions["workshop"].rooms
    agenda = load_agenda(ROOT / "agendas" / "quick-connect.yaml")
    room, _ = live.create_room(agenda)
    round_index = next(s.index for s in agenda.steps if s.kind == "round")
    live.run(room.code, lambda r: r.go_to_step(round_index, 0, live.rng))
    live.run(room.code, lambda r: r.start_timer(0))
    again = create_app({**app.config, "CLOCK": False})
    restored = again.extensions["workshop"].rooms.rooms[room.code]
    assert restored.step_index == round_index
    assert restored.phase is not None and restored.phase["speaker"] is None, "every turn long passed"
