"""What a client written from docs/protocol.md alone finds: every documented answer, and nothing else.

In process, through Flask's test client and Flask-SocketIO's `test_client`.
"""

import logging
import re

import pytest

from workshop.core.agenda import parse_agenda
from workshop.shell.events import WireJSON, socketio
from workshop.shell.payload import EVENTS
from workshop.shell.web import HTTP_CODES

from .in_process import phone
from .support import ROOT

ATTENDEE_EVENTS = ["sync_clock", "agree", "mark_done", "draw_prompt", "ask_moment", "send_feedback"]
YOU_BOUND = 2560  # docs/protocol.md: `you` is always under 2.5 KB


def errors_logged(caplog) -> list[str]:
    return [record.getMessage() for record in caplog.records if record.levelno >= logging.ERROR]


# -- reserved event names ----------------------------------------------------------------------------

@pytest.mark.parametrize("payload", [(), ({},), ("client disconnect",), ({}, {})], ids=repr)
def test_an_attendee_emitting_disconnect_is_answered_unknown_event_and_stays_present(app, live, room,
                                                                                       payload, caplog):
    ana = phone(app, live, room)
    ack = ana.emit("disconnect", *payload, callback=True)
    assert ack == {"ok": False, "error": "Unknown event 'disconnect'.", "code": "unknown_event"}
    assert live.room(room.code).attendees[ana.attendee_id].status == "present"
    assert ana.emit("agree", {}, callback=True) == {"ok": True}
    assert ana.is_connected()
    assert errors_logged(caplog) == []


def test_a_facilitator_emitting_disconnect_keeps_its_console(console, live, room):
    ack = console.emit("disconnect", {}, callback=True)
    assert ack["code"] == "unknown_event"
    assert console.emit("lock_room", {"locked": True}, callback=True) == {"ok": True}
    assert live.room(room.code).locked is True


@pytest.mark.parametrize("payload", [(), ({},), ({"role": "facilitator"},), ({}, {"role": "attendee"})],
                         ids=repr)
def test_emitting_connect_is_answered_unknown_event_without_a_traceback(app, live, room, payload, caplog):
    ana = phone(app, live, room)
    ack = ana.emit("connect", *payload, callback=True)
    assert ack == {"ok": False, "error": "Unknown event 'connect'.", "code": "unknown_event"}
    assert errors_logged(caplog) == []
    assert not [r for r in caplog.records if r.exc_info]
    assert ana.emit("sync_clock", {}, callback=True)["ok"] is True


def test_a_real_disconnect_still_marks_the_attendee_away(app, live, room):
    ana = phone(app, live, room)
    ana.disconnect()
    assert live.room(room.code).attendees[ana.attendee_id].status == "away"


# -- one payload, no more ----------------------------------------------------------------------------

@pytest.mark.parametrize("event", EVENTS)
def test_every_event_sent_with_a_second_argument_is_refused_and_changes_nothing(app, live, room, console,
                                                                                 event, caplog):
    sender = phone(app, live, room) if event in ATTENDEE_EVENTS else console
    seq = live.room(room.code).seq
    ack = sender.emit(event, {}, {}, callback=True)
    assert ack == {"ok": False, "error": "Send one payload object and nothing after it.",
                   "code": "bad_request"}
    assert live.room(room.code).seq == seq and live.room(room.code).status == "open"
    assert errors_logged(caplog) == []


def test_an_unknown_event_with_several_arguments_is_answered_unknown_event(console, caplog):
    ack = console.emit("no_such_event", {}, 1, "two", callback=True)
    assert ack["code"] == "unknown_event"
    assert errors_logged(caplog) == []


# -- `you` stays small whatever a valid agenda holds -----------------------------------------------

WIDE = "😀"  # four bytes in UTF-8, the widest a character gets on the wire


def widest_agenda():
    """Return the valid agenda whose agreements and prompts are as long as the validator lets them be."""
    def text(n, salt=""):
        return (salt + WIDE * n)[:n]

    return parse_agenda({
        "title": text(80),
        "steps": [
            {"kind": "agreements", "title": text(80), "text": text(2000),
             "items": [text(200, str(i)) for i in range(12)]},
            {"kind": "welcome", "title": text(80), "text": text(2000)},
            {"kind": "round", "title": text(80), "text": text(2000),
             "prompts": [text(300, str(i)) for i in range(50)],
             "turns": [{"speaker": s, "minutes": 1, "title": text(60)} for s in ("A", "B", "both")]},
        ],
    }, name="widest", file="agendas/widest.yaml")


def last_you(client) -> dict:
    return [m for m in client.get_received() if m["name"] == "you"][-1]["args"][0]


def encoded_size(payload) -> int:
    """Return the bytes of a payload as the server puts it on the wire."""
    return len(WireJSON.dumps(payload).encode("utf-8"))


def test_you_stays_under_its_documented_bound_with_the_widest_valid_agenda_and_names(app, live):
    room, key = live.create_room(widest_agenda())
    console = socketio.test_client(app, auth={"role": "facilitator", "code": room.code, "key": key})
    phones = [phone(app, live, room, text) for text in (WIDE * 40, WIDE * 39 + "B", WIDE * 39 + "C")]
    sizes = [encoded_size(last_you(p)) for p in phones]  # before agreeing: the agreements are not in it
    for p in phones:
        assert p.emit("agree", {}, callback=True) == {"ok": True}
    assert console.emit("go_to_step", {"index": 2}, callback=True) == {"ok": True}
    for p in phones:
        p.get_received()
        assert p.emit("draw_prompt", {}, callback=True) == {"ok": True}
        you = last_you(p)
        assert len(you["group"]["members"]) == 3 and len(you["group"]["prompt"]) == 300
        sizes.append(encoded_size(you))
    assert max(sizes) < YOU_BOUND, sizes


def test_the_agreements_come_once_on_connect_to_a_phone_that_has_yet_to_accept_them(app, live):
    room, _ = live.create_room(widest_agenda())
    ana = phone(app, live, room)
    received = [m["name"] for m in ana.get_received()]
    assert received == ["room", "agreements", "you"]
    ana.disconnect()
    ana.connect(auth={"role": "attendee", "code": room.code, "token": ana.token})
    names = [m["name"] for m in ana.get_received()]
    assert names == ["room", "agreements", "you"]
    assert ana.emit("agree", {}, callback=True) == {"ok": True}
    you = last_you(ana)
    assert you["must_agree"] is False and "agreements" not in you



# -- HTTP: every answer of the JSON API is JSON ----------------------------------------------------

@pytest.mark.parametrize("path", ["/api/join", "/api/workshops", "/reports/K7QF3M/unlock"])
def test_a_body_over_64_kb_is_answered_413_as_json(client, path):
    answer = client.post(path, data=b'{"name": "' + b"x" * 70_000 + b'"}', content_type="application/json")
    assert answer.status_code == 413
    assert answer.get_json() == {"error": "The request body is larger than 64 KB.", "code": "too_large"}


def test_an_unknown_api_path_is_answered_404_as_json(client):
    answer = client.get("/api/nothing-here")
    assert answer.status_code == 404
    assert answer.get_json() == {"error": "There is no such endpoint.", "code": "not_found"}


@pytest.mark.parametrize("method, path", [("get", "/api/join"), ("delete", "/api/time"),
                                          ("put", "/api/workshops"), ("get", "/reports/K7QF3M/unlock")])
def test_a_wrong_method_on_the_api_is_answered_405_as_json_with_allow(client, method, path):
    answer = getattr(client, method)(path)
    assert answer.status_code == 405
    assert answer.get_json()["code"] == "method_not_allowed"
    assert answer.headers["Allow"]


def test_pages_keep_their_html_answers(client):
    assert client.get("/p/K7QF3").status_code == 404  # a malformed code; a well-formed one gets the page
    assert client.get("/p/K7QF3").content_type.startswith("text/html")
    assert client.get("/no-such-page").content_type.startswith("text/html")
    assert client.post("/workshops", data={"agenda": "no-such-agenda"}).status_code == 400


def test_a_json_body_without_the_json_content_type_is_refused(client, room):
    body = f'{{"code": "{room.code}", "name": "Ana"}}'
    answer = client.post("/api/join", data=body, content_type="text/plain")
    assert answer.status_code == 400
    assert answer.get_json() == {"error": "Send a JSON object with Content-Type: application/json.",
                                 "code": "bad_request"}


def test_an_empty_code_on_the_join_page_is_no_code(client):
    answer = client.get("/join?code=")
    assert answer.status_code == 200 and b"no open workshop" not in answer.data.lower()


@pytest.mark.parametrize("written", ["{}", "{}-", " {} ", "{0}-{1}"])
def test_a_code_with_dashes_spaces_or_lower_case_is_the_same_code(client, room, written):
    code = room.code.lower()
    typed = written.format(code[:3], code[3:]) if "{1}" in written else written.format(code)
    answer = client.post("/api/join", json={"code": typed, "name": "Ana"})
    assert answer.status_code == 201 and answer.get_json()["code"] == room.code


@pytest.mark.parametrize("code", ["K7QF", "OOOOOO", "K7QF3M9"])
def test_a_malformed_code_on_the_join_api_is_room_unavailable_like_a_wrong_one(client, code):
    answer = client.post("/api/join", json={"code": code, "name": "Ana"})
    assert answer.status_code == 404 and answer.get_json()["code"] == "room_unavailable"


def test_a_report_download_for_an_unknown_code_is_403_when_not_signed_in_and_404_when_signed_in(client):
    assert client.get("/reports/K7QF3M.csv").status_code == 403
    assert client.post("/organizer", data={"key": "organizer-key-for-tests"}).status_code == 303
    assert client.get("/reports/K7QF3M.csv").status_code == 404


def test_the_csv_download_names_its_charset_once(client, room):
    assert client.post("/organizer", data={"key": "organizer-key-for-tests"}).status_code == 303
    answer = client.get(f"/reports/{room.code}.csv")
    assert answer.status_code == 200
    assert answer.headers["Content-Type"] == "text/csv; charset=utf-8"


def test_every_http_error_code_of_the_json_api_is_documented_with_its_status():
    protocol = (ROOT / "docs" / "protocol.md").read_text()
    for status, code in HTTP_CODES.items():
        assert f"{status} `{code}`" in protocol or f"`{code}` ({status})" in protocol, code


# -- the doc lists every refusal, and the order they come in ---------------------------------------

PROTOCOL = (ROOT / "docs" / "protocol.md").read_text()


def refusal_codes_in_the_source() -> set[str]:
    """Return every machine code a Refusal (or a TimerError) is raised with anywhere in the server."""
    codes = set()
    for path in (ROOT / "workshop").rglob("*.py"):
        source = path.read_text()
        codes |= set(re.findall(r'(?:Refusal|TimerError)\((?:[^()]|\([^()]*\))*?,\s*"([a-z_]+)"\)', source,
                                re.DOTALL))
        codes |= set(re.findall(r'^[A-Z_]+ = "([a-z_]+)"  # the code of every Refusal', source, re.M))
    return codes


def test_every_refusal_code_the_server_can_give_is_documented():
    codes = refusal_codes_in_the_source()
    assert {"bad_move", "not_grouped", "unknown_group", "timer_done", "turn_not_started"} <= codes
    missing = sorted(code for code in codes if f"`{code}`" not in PROTOCOL and f"\"{code}\"" not in PROTOCOL)
    assert missing == []


def ended(console):
    assert console.emit("end_workshop", {}, callback=True) == {"ok": True}


def test_an_ended_workshop_answers_end_workshop_and_sync_clock_ok_and_every_other_command_room_ended(
        app, live, room, console):
    ana = phone(app, live, room)
    ended(console)
    assert console.emit("end_workshop", {}, callback=True) == {"ok": True}
    assert console.emit("sync_clock", {}, callback=True)["ok"] is True
    assert console.emit("lock_room", {"locked": True}, callback=True)["code"] == "room_ended"
    assert console.emit("start_timer", {}, callback=True)["code"] == "room_ended"
    assert ana.emit("ask_moment", {"needed": True}, callback=True)["code"] == "room_ended"


def test_a_bad_payload_is_refused_before_the_room_is_found_ended(console):
    ended(console)
    assert console.emit("lock_room", {}, callback=True)["code"] == "bad_request"


def test_the_role_is_checked_before_the_payload(app, live, room, console):
    assert console.emit("ask_moment", "not an object", callback=True)["code"] == "forbidden"
    assert phone(app, live, room).emit("lock_room", [], callback=True)["code"] == "forbidden"


def test_the_projector_gets_the_clock_and_no_command(app, room):
    from workshop.shell.keys import display_key
    key = display_key(app.config["SECRET_KEY"], room.code)
    projector = socketio.test_client(app, auth={"role": "display", "code": room.code, "key": key})
    assert projector.emit("sync_clock", {}, callback=True)["ok"] is True
    assert projector.emit("start_timer", {}, callback=True)["code"] == "forbidden"
    assert projector.emit("agree", {}, callback=True)["code"] == "forbidden"


def test_the_idempotent_commands_answer_ok_a_second_time(app, live, room, console):
    ana, ben = phone(app, live, room), phone(app, live, room, "Ben")
    for _ in range(2):
        assert ana.emit("agree", {}, callback=True) == {"ok": True}
        assert console.emit("clear_moment", {"attendee_id": ana.attendee_id}, callback=True) == {"ok": True}
        assert console.emit("lock_room", {"locked": False}, callback=True) == {"ok": True}
        removed = console.emit("remove_attendee", {"attendee_id": ben.attendee_id}, callback=True)
        assert removed == {"ok": True}


def test_start_timer_after_the_last_turn_is_round_over_and_mark_done_is_turn_not_started(app, live, room,
                                                                                         console):
    people = [phone(app, live, room, name) for name in ("Ana", "Ben")]
    for person in people:
        assert person.emit("agree", {}, callback=True)["ok"]
    index = next(s.index for s in room.agenda.steps if s.kind == "round")
    assert console.emit("go_to_step", {"index": index}, callback=True)["ok"]
    assert people[0].emit("mark_done", {}, callback=True)["code"] == "turn_not_started"
    assert console.emit("start_timer", {}, callback=True) == {"ok": True}
    assert console.emit("start_timer", {}, callback=True)["code"] == "timer_running"
    while live.room(room.code).phase["speaker"] is not None:
        assert console.emit("skip_timer", {}, callback=True) == {"ok": True}
    assert console.emit("skip_timer", {}, callback=True)["code"] == "round_over"
    assert console.emit("start_timer", {}, callback=True)["code"] == "round_over"
    assert console.emit("extend_timer", {"seconds": 60}, callback=True)["code"] == "timer_done"
    assert people[0].emit("mark_done", {}, callback=True)["code"] == "turn_not_started"


def test_swap_people_gives_both_groups_new_ids(app, live, room, console):
    people = [phone(app, live, room, name) for name in ("Ana", "Ben", "Cleo", "Dev")]
    for person in people:
        assert person.emit("agree", {}, callback=True)["ok"]
    index = next(s.index for s in room.agenda.steps if s.kind == "round")
    assert console.emit("go_to_step", {"index": index}, callback=True)["ok"]
    groups = live.room(room.code).groups
    a = people[0].attendee_id
    b = next(p for p in (x.attendee_id for x in people) if groups.of[p] != groups.of[a])
    before = {groups.of[a], groups.of[b]}
    console.get_received()
    assert console.emit("swap_people", {"a": a, "b": b}, callback=True) == {"ok": True}
    delta = [m for m in console.get_received() if m["name"] == "groups"][-1]["args"][0]
    assert set(delta["dropped"]) == before
    assert {g["id"] for g in delta["groups"]}.isdisjoint(before) and len(delta["groups"]) == 2
