"""An ended room: it refuses every change from every path, leaves memory, and its console still opens."""

from __future__ import annotations

import random

import pytest
import requests

from workshop.core.agenda import load_agenda
from workshop.core.errors import Refusal
from workshop.core.room import AWAY, GONE, PRESENT, Room, Settings
from workshop.shell.events import socketio

from .support import ROOT, Server, attendee, facilitator

AGENDA = load_agenda(ROOT / "agendas" / "quick-connect.yaml")


def paired_room() -> Room:
    """A room of four people, paired and talking in round 1, every phone connected."""
    rng = random.Random(1)
    room = Room("ENDED2", "hash", AGENDA, 0, Settings(grace_ms=1000))
    for i in range(4):
        room.join(f"a_{i}", f"P{i}", f"t{i}", 0, rng)
        room.connect(f"a_{i}", 0, rng)
        if room.needs_agreement:
            room.agree(f"a_{i}", rng)
    room.go_to_step(next(s.index for s in AGENDA.steps if s.kind == "round"), 0, rng)
    room.start_timer(0)
    return room


def state(room: Room) -> tuple:
    return (room.status, room.step_index, room.round.turn, room.timer, room.present,
            sorted((a.id, a.status, a.away_since) for a in room.attendees.values()),
            sorted((g.id, g.members) for g in room.groups), list(room.waiting))


@pytest.mark.parametrize("path", ["disconnect", "expire_away", "tick", "connect", "remove", "move", "pair"])
def test_an_ended_room_changes_on_no_path(path):
    room = paired_room()
    room.disconnect("a_3", 10)  # away before the end: the clock would make them gone after the grace
    room.end(20)
    before = state(room)
    rng = random.Random(2)
    group = next(iter(room.groups))
    other = next(g for g in room.groups if g.id != group.id)
    actions = {
        "disconnect": lambda: room.disconnect("a_0", 30),
        "expire_away": lambda: room.expire_away("a_3", 10_000, rng),
        "tick": lambda: room.tick(10_000_000),
        "connect": lambda: room.connect("a_3", 30, rng),
        "remove": lambda: room.remove("a_0", rng),
        "move": lambda: room.move_person(group.members[0], other.id, rng),
        "pair": lambda: room.pair_everyone(rng),
    }
    try:
        change = actions[path]()
    except Refusal as error:
        assert error.code == "room_ended"
    else:
        assert not change
    assert state(room) == before
    assert room.attendees["a_0"].status == PRESENT and room.attendees["a_3"].status == AWAY
    assert GONE not in {a.status for a in room.attendees.values()}


# -- the shell: memory equal to the database --------------------------------------------------------

def test_a_command_that_raises_after_a_partial_change_leaves_the_room_as_committed(live):
    room, _ = live.create_room(AGENDA)

    def half_done(r):
        r.step_index, r.locked = 2, True
        raise RuntimeError("bug after a partial change")

    with pytest.raises(RuntimeError):
        live.run(room.code, half_done)
    again = live.rooms[room.code]
    assert (again.step_index, again.locked) == (0, False)
    assert (again.step_index, again.locked) == (live.store.load_room(room.code).step_index,
                                                live.store.load_room(room.code).locked)


def test_a_refused_command_after_a_partial_change_leaves_the_room_as_committed(live):
    room, _ = live.create_room(AGENDA)

    def refused(r):
        r.locked = True
        raise Refusal("no", "bad_step")

    with pytest.raises(Refusal):
        live.run(room.code, refused)
    assert live.rooms[room.code].locked is False


def test_a_failed_commit_leaves_the_room_as_committed(live, monkeypatch):
    room, _ = live.create_room(AGENDA)
    monkeypatch.setattr(live.store, "save", lambda *args: (_ for _ in ()).throw(OSError("disk full")))
    with pytest.raises(OSError):
        live.run(room.code, lambda r: r.go_to_step(2, live.clock(), live.rng))
    monkeypatch.undo()
    assert live.rooms[room.code].step_index == 0 == live.store.load_room(room.code).step_index
    live.run(room.code, lambda r: r.go_to_step(1, live.clock(), live.rng))  # and the room goes on
    assert live.store.load_room(room.code).step_index == 1


def test_an_ended_room_leaves_memory_and_its_console_opens_only_with_its_key(app, live, monkeypatch):
    workshop = app.test_client().post("/api/workshops", json={"agenda": "quick-connect"}).get_json()
    code, key = workshop["code"], workshop["facilitator_key"]
    joined = app.test_client().post("/api/join", json={"code": code, "name": "Ana"}).get_json()
    phone = socketio.test_client(app, auth={"role": "attendee", "code": code, "token": joined["token"]})
    console = socketio.test_client(app, auth={"role": "facilitator", "code": code, "key": key})
    assert console.emit("end_workshop", {}, callback=True) == {"ok": True}
    assert code not in live.rooms and code not in live.locks and code not in live.clock.timer_at
    assert not any(found[0] == code for found in live.tokens.values())
    # Every path now answers that it ended, and nothing reloads the room.
    loads = []
    real_load = live.store.load_room
    monkeypatch.setattr(live.store, "load_room", lambda c: loads.append(c) or real_load(c))
    assert console.emit("go_to_step", {"index": 1}, callback=True)["code"] == "room_ended"
    assert phone.emit("ask_moment", {"needed": True}, callback=True)["code"] == "room_ended"
    phone.disconnect()
    wrong = socketio.test_client(app, auth={"role": "facilitator", "code": code, "key": "k" * 32})
    assert not wrong.is_connected() and loads == []
    # The right key opens its console from the database; the room is read, not kept.
    again = socketio.test_client(app, auth={"role": "facilitator", "code": code, "key": key})
    view = next(e["args"][0] for e in again.get_received() if e["name"] == "console")
    assert view["room"]["status"] == "ended" and [a["name"] for a in view["attendees"]] == ["Ana"]
    assert loads == [code] and code not in live.rooms
    assert again.emit("send_message", {"text": "hi"}, callback=True)["code"] == "room_ended"
    # A phone with a real token of the ended room hears that it ended; a made-up token does not.
    back = socketio.test_client(app, auth={"role": "attendee", "code": code, "token": joined["token"]})
    assert not back.is_connected()
    assert app.test_client().get(f"/facilitate/{code}").status_code == 200


@pytest.mark.server
def test_an_ended_workshops_console_page_and_report_open_after_a_restart_without_a_socket(tmp_path):
    server = Server(tmp_path / "ended.db").start()
    try:
        workshop = server.create_workshop()
        phone = attendee(server, workshop["code"], "Ana")
        console = facilitator(server, workshop)
        assert console.send("end_workshop") == {"ok": True}
        phone.close()
        console.close()
        server.stop()
        server.start()
        page = requests.get(f"{server.url}/facilitate/{workshop['code']}", timeout=5)
        assert page.status_code == 200  # the same page for any code: its socket brings the room
        again = facilitator(server, workshop)
        try:
            assert again.latest("console")["agenda"]["title"].startswith("Quick")
        finally:
            again.close()
        organizer = requests.Session()
        organizer.post(server.url + "/organizer", data={"key": "organizer-key-for-tests"}, timeout=5)
        report = organizer.get(f"{server.url}/reports/{workshop['code']}", timeout=5)
        assert report.status_code == 200 and workshop["code"] in report.text
        assert organizer.get(f"{server.url}/reports/{workshop['code']}.csv", timeout=5).status_code == 200
    finally:
        server.stop()
