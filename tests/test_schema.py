"""Payloads are read strictly from their declarations, in process through Flask-SocketIO's test client."""

import unicodedata

import pytest

from workshop.shell.events import socketio

from .in_process import phone


def go_to_round(console, room):
    index = next(s.index for s in room.agenda.steps if s.kind == "round")
    assert console.emit("go_to_step", {"index": index}, callback=True)["ok"]


NOT_OBJECTS = [[], ["x"], "", "now", 0, 1.5, True, False]


@pytest.mark.parametrize("payload", NOT_OBJECTS, ids=repr)
def test_sync_clock_refuses_a_payload_that_is_not_an_object(app, live, room, payload):
    ack = phone(app, live, room).emit("sync_clock", payload, callback=True)
    assert ack["ok"] is False and ack["code"] == "bad_request"
    assert ack["error"] == "Send the payload as a JSON object ({} when it has no fields)."


def test_sync_clock_answers_an_empty_object_with_the_server_clock(app, live, room):
    ack = phone(app, live, room).emit("sync_clock", {}, callback=True)
    assert ack["ok"] is True and isinstance(ack["now"], int)


@pytest.mark.parametrize("event", ["sync_clock", "agree", "draw_prompt", "ask_moment", "mark_done"])
def test_an_attendee_event_sent_without_a_payload_is_refused(app, live, room, event):
    attendee = phone(app, live, room)
    ack = attendee.emit(event, callback=True)
    assert ack["code"] == "bad_request", ack
    assert live.room(room.code).attendees[attendee.attendee_id].agreed is False


@pytest.mark.parametrize("event", ["lock_room", "extend_timer", "start_timer", "set_odd", "go_to_step"])
def test_a_facilitator_event_sent_without_a_payload_is_refused(console, event):
    assert console.emit(event, callback=True)["code"] == "bad_request"


def test_lock_room_with_an_empty_object_does_not_lock(console, live, room):
    ack = console.emit("lock_room", {}, callback=True)
    assert ack == {"ok": False, "error": "'locked' is required.", "code": "bad_request"}
    assert live.room(room.code).locked is False
    assert console.emit("lock_room", {"locked": True}, callback=True) == {"ok": True}
    assert live.room(room.code).locked is True


def test_ask_moment_with_an_empty_object_asks_nothing(app, live, room):
    attendee = phone(app, live, room)
    assert attendee.emit("ask_moment", {}, callback=True)["error"] == "'needed' is required."
    assert not live.room(room.code).attendees[attendee.attendee_id].moment


def test_extend_timer_with_an_empty_object_adds_nothing(console, live, room):
    go_to_round(console, room)
    before = live.room(room.code).timer
    ack = console.emit("extend_timer", {}, callback=True)
    assert ack == {"ok": False, "error": "'seconds' is required.", "code": "bad_request"}
    assert live.room(room.code).timer == before


@pytest.mark.parametrize("seconds", [9, 601, True, 60.0, "60", None], ids=repr)
def test_extend_timer_refuses_seconds_out_of_range_or_not_whole(console, room, seconds):
    go_to_round(console, room)
    ack = console.emit("extend_timer", {"seconds": seconds}, callback=True)
    assert ack == {"ok": False, "error": "'seconds' must be a whole number from 10 to 600.",
                   "code": "bad_request"}


def test_extend_timer_lengthens_an_idle_turn_before_it_starts(console, live, room):
    go_to_round(console, room)
    before = live.room(room.code).timer
    assert before.state == "idle"
    assert console.emit("extend_timer", {"seconds": 60}, callback=True) == {"ok": True}
    after = live.room(room.code).timer
    scale = live.room(room.code).settings.time_scale
    assert after.remaining_ms - before.remaining_ms == round(60_000 * scale)


def test_swap_people_with_the_same_person_twice_is_refused(app, live, room, console):
    people = [phone(app, live, room, name) for name in ("Ana", "Ben", "Cleo", "Dev")]
    for person in people:
        assert person.emit("agree", {}, callback=True)["ok"]
    go_to_round(console, room)
    same = people[0].attendee_id
    ack = console.emit("swap_people", {"a": same, "b": same}, callback=True)
    assert ack == {"ok": False, "error": "Choose two different people to swap.", "code": "bad_request"}


def test_a_wrong_feedback_answer_keeps_its_own_code_on_the_wire(app, live, room, console):
    attendee = phone(app, live, room)
    assert attendee.emit("agree", {}, callback=True)["ok"]
    assert console.emit("open_feedback", {}, callback=True)["ok"]
    questions = live.room(room.code).questions
    fine = {"scale": 3, "text": "Thank you"}
    sheet = {q["id"]: fine.get(q["type"], (q.get("options") or [""])[0]) for q in questions}
    sheet.update({q["id"]: [q["options"][0]] for q in questions if q["type"] == "multiple"})
    text = next(q for q in questions if q["type"] == "text")
    scale = next(q for q in questions if q["type"] == "scale")
    required = next(q for q in questions if q.get("required"))
    wrong = {
        "unknown_question": {**sheet, "no_such_question": 1},
        "answer_too_long": {**sheet, text["id"]: "x" * (text.get("max_length", 1000) + 1)},
        "missing_answer": {k: v for k, v in sheet.items() if k != required["id"]},
        "bad_answers": {**sheet, scale["id"]: True},
    }
    for code, answers in wrong.items():
        assert attendee.emit("send_feedback", {"answers": answers}, callback=True)["code"] == code
    assert attendee.emit("send_feedback", {"answers": sheet}, callback=True) == {"ok": True}


@pytest.mark.parametrize("name", ["\u202eAna", "Ana\u2066x", "Ana\x00", "\ufeffAna", "A\tna", "Ana\u2028",
                                  "\ud800"], ids=repr)
def test_a_name_with_control_bidi_or_byte_order_characters_is_refused_not_cleaned(app, room, name):
    answer = app.test_client().post("/api/join", json={"code": room.code, "name": name})
    assert answer.status_code == 400, answer.json
    assert answer.json == {"code": "bad_request",
                           "error": "Your name may not contain control, direction or byte-order characters."}


@pytest.mark.parametrize("name", ["Zoë", "e\u0301" * 40, "محمد", "👩\u200d👩\u200d👧", "  Ana  "], ids=repr)
def test_a_name_in_any_script_is_welcome_trimmed_and_in_nfc(app, room, name):
    answer = app.test_client().post("/api/join", json={"code": room.code, "name": name})
    assert answer.status_code == 201, answer.json
    assert answer.json["name"] == unicodedata.normalize("NFC", name).strip()


@pytest.mark.parametrize("auth", [None, [], "x", {"role": "attendee"}, {"role": "guest", "code": "ABCDEF"},
                                  {"role": "attendee", "code": "ABC\u202eDEF", "token": "t"}], ids=repr)
def test_a_malformed_auth_is_refused_as_bad_auth(app, auth):
    client = socketio.test_client(app, auth=auth)
    assert not client.is_connected()


def test_a_malformed_unlock_body_is_a_wrong_key(app, room):
    for body in ({}, {"key": 5}, {"key": ""}, []):
        answer = app.test_client().post(f"/reports/{room.code}/unlock", json=body)
        assert answer.status_code == 403
        assert answer.json == {"error": "That report link is not valid.", "code": "wrong_key"}
