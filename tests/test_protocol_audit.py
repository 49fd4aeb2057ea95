"""What a client written from docs/protocol.md alone finds: every documented answer, and nothing else.

In process, through Flask's test client and Flask-SocketIO's `test_client`.
"""

import logging

import pytest

from workshop.core.agenda import load_agenda
from workshop.shell.events import socketio
from workshop.shell.payload import EVENTS

from .support import ROOT

ATTENDEE_EVENTS = ["sync_clock", "agree", "mark_done", "draw_prompt", "ask_moment", "send_feedback"]
FACILITATOR_EVENTS = [event for event in EVENTS if event not in ATTENDEE_EVENTS]


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
    client.attendee_id = attendee_id
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
