"""The projector's connection and the facilitator's moment clear, through Flask-SocketIO's test client."""

import json

from workshop.core.agenda import load_agenda
from workshop.shell.events import socketio
from workshop.shell.keys import display_key, join_key

from .in_process import phone
from .support import ROOT

NAMES = ["Ana", "Bilal", "Chloé"]


def connect(app, **auth):
    return socketio.test_client(app, auth=auth)


def the_display_key(app, room):
    return display_key(app.config["SECRET_KEY"], room.code)


def test_a_projector_follows_a_round_without_ever_receiving_a_name_or_a_moment(app, live, room):
    display = connect(app, role="display", code=room.code, key=the_display_key(app, room))
    assert display.is_connected()
    console = connect(app, role="facilitator", code=room.code, key=room.facilitator_key)
    phones = [phone(app, live, room, name) for name in NAMES]
    for person in phones:
        assert person.emit("agree", {}, callback=True) == {"ok": True}
    round_index = next(s.index for s in room.agenda.steps if s.kind == "round")
    steps = [("go_to_step", {"index": round_index}), ("start_timer", {}), ("pause_timer", {}),
             ("resume_timer", {}), ("extend_timer", {"seconds": 60}), ("skip_timer", {}),
             ("send_message", {"text": "Ana, take your time"}), ("open_feedback", {}), ("end_workshop", {})]
    phones[0].emit("ask_moment", {"needed": True}, callback=True)
    for event, payload in steps:
        assert console.emit(event, payload, callback=True)["ok"], event
    received = display.get_received()
    assert [m["name"] for m in received] == ["join_link"] + ["display"] * (len(received) - 1)
    received = received[1:]  # the join link carries a code and a key, never a name
    views = [m["args"][0] for m in received]
    assert len(views) >= len(steps)
    assert views[-1]["status"] == "ended"
    assert any(v["groups"]["triads"] == 1 and v["groups"]["pairs"] == 0 for v in views), views[-1]["groups"]
    grouped = [v for v in views if v["labels"]]
    assert grouped and grouped[0]["labels"] == [[1, "blue", 3]], "the wall's legend: number, colour, size"
    wire = json.dumps(views, ensure_ascii=False)
    for name in NAMES:
        assert name not in wire
    assert "moment" not in wire and "a_" not in wire.replace('"kind": "', "")
    assert "take your time" not in wire, "the facilitator's message may name someone: it stays off the wall"


def test_a_projector_connection_can_run_no_command(app, room):
    display = connect(app, role="display", code=room.code, key=the_display_key(app, room))
    display.get_received()
    for event in ("start_timer", "go_to_step", "end_workshop", "remove_attendee", "clear_moment"):
        assert display.emit(event, {}, callback=True)["code"] in ("forbidden", "bad_request"), event
    assert display.emit("mark_done", {}, callback=True)["code"] == "forbidden"
    assert display.emit("sync_clock", {}, callback=True)["ok"]


def test_the_display_key_opens_neither_the_console_nor_the_report(app, client, room):
    key = the_display_key(app, room)
    assert not connect(app, role="facilitator", code=room.code, key=key).is_connected()
    answer = client.post(f"/reports/{room.code}/unlock", json={"key": key})
    assert answer.status_code == 403
    assert client.get(f"/reports/{room.code}").status_code == 403
    assert client.get(f"/reports/{room.code}.csv").status_code == 403


def test_a_wrong_or_another_rooms_display_key_is_refused(app, live, room):
    other, _ = live.create_room(load_agenda(ROOT / "agendas" / "quick-connect.yaml"))
    assert not connect(app, role="display", code=room.code, key="x" * 32).is_connected()
    assert not connect(app, role="display", code=room.code, key=the_display_key(app, other)).is_connected()


def test_the_console_carries_the_projector_link_and_the_page_serves_without_the_key(app, client, room):
    console = connect(app, role="facilitator", code=room.code, key=room.facilitator_key)
    snapshot = next(m["args"][0] for m in console.get_received() if m["name"] == "console")
    assert snapshot["display_url"].endswith(f"/p/{room.code}#key={the_display_key(app, room)}")
    page = client.get(f"/p/{room.code}")
    assert page.status_code == 200
    assert the_display_key(app, room).encode() not in page.data
    # The page looks nothing up: a code no workshop has gets the very same page, and no join key.
    made_up = client.get("/p/ZZZZZZ")
    assert made_up.status_code == 200 and made_up.data.replace(b"ZZZZZZ", room.code.encode()) == page.data
    assert join_key(app.config["SECRET_KEY"], room.code).encode() not in page.data
    assert client.get("/p/ZZ").status_code == 404


def test_a_projector_whose_key_opens_is_sent_the_join_link_with_its_join_key(app, room):
    projector = connect(app, role="display", code=room.code, key=the_display_key(app, room))
    sent = projector.get_received()
    assert [m["name"] for m in sent][:2] == ["join_link", "display"]
    url = sent[0]["args"][0]["join_url"]
    assert url.endswith(f"/j/{room.code}?k={join_key(app.config['SECRET_KEY'], room.code)}")


def test_the_facilitator_clears_a_moment_and_the_attendee_sees_it_cleared(app, live, room):
    console = connect(app, role="facilitator", code=room.code, key=room.facilitator_key)
    ana = phone(app, live, room, "Ana")
    assert ana.emit("ask_moment", {"needed": True}, callback=True) == {"ok": True}
    assert room.attendees[ana.attendee_id].moment
    ana.get_received()
    console.get_received()
    assert console.emit("clear_moment", {"attendee_id": ana.attendee_id}, callback=True) == {"ok": True}
    assert not room.attendees[ana.attendee_id].moment
    you = [m["args"][0] for m in ana.get_received() if m["name"] == "you"]
    assert you and you[-1]["attendee"]["moment"] is False
    seen = [m["args"][0] for m in console.get_received() if m["name"] == "attendee"]
    assert seen and seen[-1]["moment"] is False
    refused = ana.emit("clear_moment", {"attendee_id": ana.attendee_id}, callback=True)
    assert refused["code"] == "forbidden"


def test_a_moment_cannot_be_cleared_once_the_workshop_has_ended(app, live, room):
    console = connect(app, role="facilitator", code=room.code, key=room.facilitator_key)
    ana = phone(app, live, room, "Ana")
    ana.emit("ask_moment", {"needed": True}, callback=True)
    console.emit("end_workshop", {}, callback=True)
    answer = console.emit("clear_moment", {"attendee_id": ana.attendee_id}, callback=True)
    assert answer["code"] == "room_ended"
