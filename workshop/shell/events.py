"""Socket.IO events: a thin shell that checks who is asking and what they sent, then runs a room command.

It is one piece past 300 lines because it is the one list of the events docs/protocol.md documents,
each a few lines under the one `command` decorator that checks the role, the payload and the pace:
split, a reader would look in two files for the events a client may send.
"""

from __future__ import annotations

import functools
import json
import logging
import time

from flask import current_app, request, session
from flask_socketio import ConnectionRefusedError, SocketIO

from ..core.errors import N_, Refusal
from ..core.feedback import clean_answers
from ..core.limits import Crowded
from ..core.text import clean_text
from .codes import is_code, normal_code
from .connections import NOT_KNOWN, Connections
from .keys import display_key
from .language import in_language, said_in, supported
from .links import console_links
from .live import TOO_MANY, check_code, live
from .payload import AUTH, EVENTS, ROLE

log = logging.getLogger(__name__)


class WireJSON:
    """JSON as it goes on the wire: text as UTF-8, not \\u escapes (an emoji costs 4 bytes, not 12)."""

    @staticmethod
    def dumps(obj, **kwargs) -> str:
        text = json.dumps(obj, ensure_ascii=False, **kwargs)
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:  # a lone surrogate slipped through: escape rather than fail to send
            text = json.dumps(obj, ensure_ascii=True, **kwargs)
        return text

    @staticmethod
    def loads(text, **kwargs):
        # A packet that is not JSON (or nests past the parser's depth) becomes an unknown
        # event, answered plainly, instead of a traceback in the log for anyone who sends one.
        try:
            return json.loads(text, **kwargs)
        except (ValueError, RecursionError):
            return ["undecodable_message"]


socketio = SocketIO(json=WireJSON)

LANGUAGE = "h2h_lang"  # the connection's language, from its connect `auth.lang`, in its Socket.IO session


def language() -> str | None:
    """Return the language this connection asked for when it connected."""
    return session.get(LANGUAGE)


def refused(error: Refusal) -> dict:
    """Return the acknowledgement of a refused command: the one place a Refusal becomes a socket answer.

    The sentence is in the connection's language; the code stays the same in every language.
    """
    return {"ok": False, "error": said_in(error, language()), "code": error.code}


FORBIDDEN = Refusal(N_("Only the facilitator can do that."), "forbidden")
ATTENDEES_ONLY = Refusal(N_("That is an attendee's command."), "forbidden")
SLOW_DOWN = Refusal(N_("Too many requests at once. Please wait a moment."), "rate_limited")
NOT_CONNECTED = Refusal(N_("This connection has not joined a workshop."), "forbidden")
SERVER_ERROR = Refusal(N_("Something went wrong on the server. Please try again."), "server_error")


def connections() -> Connections:
    """Return this app's connections (a command's handler is handed the rooms, as `live`)."""
    return live().connections


def display_key_of(code: str) -> str:
    """Return the projector key of a room, derived from the server's secret."""
    return display_key(current_app.config["SECRET_KEY"], code)


def sent_as_event() -> bool:
    """Tell whether a `connect` or `disconnect` is an event a connected client emitted.

    python-socketio looks a client's event up by name among the handlers, the reserved
    names included; the real connect and disconnect run while the sid is half connected
    (pending), and a client's event only ever arrives on a fully connected sid.
    """
    return socketio.server.manager.is_connected(request.sid, request.namespace)


def unknown_event(event) -> dict:
    """Return the answer to an event this server does not take from a client."""
    if flooding():
        return refused(SLOW_DOWN)
    name = clean_text(str(event))[:40]
    return refused(Refusal("Unknown event '{name}'.", "unknown_event", name=name))


@socketio.on("connect")
def on_connect(auth):
    """Admit an attendee by token, a facilitator by key, or a projector by its display key."""
    if sent_as_event():
        return unknown_event("connect")
    lang = supported(auth.get("lang")) if isinstance(auth, dict) else None
    session[LANGUAGE] = lang
    try:
        role = ROLE.read(auth)["role"]
        auth = AUTH[role].read(auth)
        code = normal_code(auth["code"])
        if role == "attendee":
            connect_attendee(code, auth["token"])
        elif role == "display":
            live().connections.connect_display(request.sid, code, auth["key"], display_key_of)
        else:
            live().connections.connect_facilitator(request.sid, code, auth["key"], console_links)
    except Refusal as error:
        raise ConnectionRefusedError(said_in(error, lang), {"code": error.code}) from None
    except Crowded as crowded:
        raise ConnectionRefusedError(in_language(lang, TOO_MANY, seconds=crowded.retry_after),
                                     {"code": "rate_limited", "retry_after": crowded.retry_after}) from None


def connect_attendee(code: str, token: str) -> None:
    """Let an attendee in by token: a token of this room skips the code guard; an unknown one spends it."""
    if not is_code(code):
        raise Refusal(NOT_KNOWN, "unknown_attendee")

    def attempt():
        try:
            live().connections.connect_attendee(request.sid, code, token)
        except Refusal as error:
            return error, error.code != "unknown_attendee"
        return None, True

    refusal = check_code(attempt, secret=live().connections.holds(code, token))
    if refusal is not None:
        raise refusal


@socketio.on("disconnect")
def on_disconnect(*reason):
    """Mark the attendee behind a closed connection as away."""
    if sent_as_event():
        return unknown_event("disconnect")
    live().event_limit.forget(request.sid)
    live().connections.disconnect(request.sid)


def flooding() -> bool:
    """Tell whether this connection has sent more events than anyone needs to."""
    return not live().event_limit.allow(request.sid, time.monotonic())


def read(schema, args: tuple) -> dict:
    """Return an event's one payload read against its declaration; no payload or a second one is refused."""
    if len(args) > 1:
        raise Refusal("Send one payload object and nothing after it.", "bad_request")
    return schema.read(args[0] if args else None)


def command(event: str, role: str):
    """Register a command: check the sender's role and payload (payload.EVENTS), run it, answer plainly.

    The handler is called as `handler(live, connection, data)`, where `live` is the room
    registry (`registry.Registry`): `live.run`, `live.clock()` and `live.rng` are what commands use.
    """
    schema = EVENTS[event]

    def register(handler):
        @socketio.on(event)
        @functools.wraps(handler)
        def wrapped(*args):
            if flooding():
                return refused(SLOW_DOWN)
            connection = live().connections.get(request.sid)
            if connection is None:
                return refused(NOT_CONNECTED)
            if role == "facilitator" and connection.role != "facilitator":
                return refused(FORBIDDEN)
            if role == "attendee" and connection.role != "attendee":
                return refused(ATTENDEES_ONLY)
            try:
                result = handler(live().rooms, connection, read(schema, args))
            except Refusal as error:
                return refused(error)
            except Exception:
                log.exception("event %s failed", event)
                return refused(SERVER_ERROR)
            return {"ok": True, **(result or {})}
        return wrapped
    return register


@socketio.on("*")
def on_unknown(event, *args):
    """Refuse events this server does not know."""
    return unknown_event(event)


@socketio.on("sync_clock")
def on_sync_clock(*args):
    """Answer with the server clock, for the client's offset estimate."""
    if flooding():
        return refused(SLOW_DOWN)
    try:
        read(EVENTS["sync_clock"], args)
    except Refusal as error:
        return refused(error)
    return {"ok": True, "now": live().clock()}


# -- attendee commands ---------------------------------------------------------

@command("agree", "attendee")
def agree(live, conn, data):
    live.run(conn.code, lambda room: room.agree(conn.attendee_id, live.rng))


@command("mark_done", "attendee")
def mark_done(live, conn, data):
    live.run(conn.code, lambda room: room.mark_done(conn.attendee_id, live.clock(), live.rng))


@command("draw_prompt", "attendee")
def draw_prompt(live, conn, data):
    live.run(conn.code, lambda room: room.draw_prompt(conn.attendee_id))


@command("ask_moment", "attendee")
def ask_moment(live, conn, data):
    live.run(conn.code, lambda room: room.ask_moment(conn.attendee_id, data["needed"]))


@command("send_feedback", "attendee")
def send_feedback(live, conn, data):
    room = live.open_room(conn.code)
    room.check_can_answer(conn.attendee_id)
    answers = clean_answers(room.questions, data["answers"])
    live.run(conn.code, lambda room: room.answer(conn.attendee_id, answers))


# -- facilitator commands ------------------------------------------------------

@command("go_to_step", "facilitator")
def go_to_step(live, conn, data):
    live.run(conn.code, lambda room: room.go_to_step(data["index"], live.clock(), live.rng))


@command("start_timer", "facilitator")
def start_timer(live, conn, data):
    live.run(conn.code, lambda room: room.start_timer(live.clock()))


@command("pause_timer", "facilitator")
def pause_timer(live, conn, data):
    live.run(conn.code, lambda room: room.pause_timer(live.clock()))


@command("resume_timer", "facilitator")
def resume_timer(live, conn, data):
    live.run(conn.code, lambda room: room.resume_timer(live.clock()))


@command("extend_timer", "facilitator")
def extend_timer(live, conn, data):
    live.run(conn.code, lambda room: room.extend_timer(data["seconds"], live.clock()))


@command("skip_timer", "facilitator")
def skip_timer(live, conn, data):
    live.run(conn.code, lambda room: room.skip_timer(live.clock(), live.rng))


@command("send_message", "facilitator")
def send_message(live, conn, data):
    live.run(conn.code, lambda room: room.send_message(data["text"], live.clock()))


@command("lock_room", "facilitator")
def lock_room(live, conn, data):
    live.run(conn.code, lambda room: room.lock(data["locked"]))


@command("remove_attendee", "facilitator")
def remove_attendee(live, conn, data):
    attendee_id = data["attendee_id"]
    live.run(conn.code, lambda room: room.remove(attendee_id, live.rng))
    connections().kick(attendee_id, "The facilitator has removed you from this workshop.")


@command("clear_moment", "facilitator")
def clear_moment(live, conn, data):
    live.run(conn.code, lambda room: room.clear_moment(data["attendee_id"]))


@command("pair_everyone", "facilitator")
def pair_everyone(live, conn, data):
    live.run(conn.code, lambda room: room.pair_everyone(live.rng))


@command("set_odd", "facilitator")
def set_odd(live, conn, data):
    live.run(conn.code, lambda room: room.set_odd(data["odd"]))


@command("swap_people", "facilitator")
def swap_people(live, conn, data):
    a, b = data["a"], data["b"]
    if a == b:
        raise Refusal("Choose two different people to swap.", "bad_request")
    live.run(conn.code, lambda room: room.swap_people(a, b, live.rng))


@command("move_person", "facilitator")
def move_person(live, conn, data):
    person, group = data["attendee_id"], data["group_id"]
    live.run(conn.code, lambda room: room.move_person(person, group, live.rng))


@command("place_waiting", "facilitator")
def place_waiting(live, conn, data):
    person, group = data["attendee_id"], data["group_id"]
    live.run(conn.code, lambda room: room.place_waiting(person, group, live.rng))


@command("open_feedback", "facilitator")
def open_feedback(live, conn, data):
    live.run(conn.code, lambda room: room.open_feedback(live.clock(), live.rng))


@command("close_feedback", "facilitator")
def close_feedback(live, conn, data):
    live.run(conn.code, lambda room: room.close_feedback())


@command("end_workshop", "facilitator")
def end_workshop(live, conn, data):
    if live.room(conn.code) is None:
        return  # it has ended and left memory: ending it again changes nothing
    live.run(conn.code, lambda room: room.end(live.clock()))
    live.store.forget_who_answered(conn.code)
