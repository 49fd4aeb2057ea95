"""What a client written from docs/protocol.md alone finds: every documented answer, and nothing else.

In process, through Flask's test client and Flask-SocketIO's `test_client`.
"""

import logging

import pytest

from workshop.core.agenda import load_agenda, parse_agenda
from workshop.shell.events import WireJSON, socketio
from workshop.shell.payload import EVENTS

from .support import ROOT

ATTENDEE_EVENTS = ["sync_clock", "agree", "mark_done", "draw_prompt", "ask_moment", "send_feedback"]
YOU_BOUND = 2560  # docs/protocol.md: `you` is always under 2.5 KB


@pytest.fixture
def live(app):
    return app.extensions["workshop"].rooms


@pytest.fixture
def room(live):
    room, key = live.create_room(load_agenda(ROOT / "agendas" / "quick-connect.yaml"))
    room.facilitator_key = key
    return room


@pytest.fixture
def console(app, room):
    auth = {"role": "facilitator", "code": room.code, "key": room.facilitator_key}
    return socketio.test_client(app, auth=auth)


def phone(app, live, room, name="Ana"):
    _, attendee_id, token = live.join(room.code, name)
    client = socketio.test_client(app, auth={"role": "attendee", "code": room.code, "token": token})
    client.attendee_id, client.token = attendee_id, token
    return client


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

