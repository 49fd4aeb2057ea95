"""Any payload to any event, any auth on connect: a plain answer each time, and the room still makes sense.

Hypothesis sends every Socket.IO event random JSON (wrong types, 15 KB strings, nesting, lone
surrogates, bidi and zero-width characters, NUL) through Flask-SocketIO's test client, into one app
for the module; each answer must be a plain acknowledgement, and afterwards no traceback is logged
and every phone agrees with the console. What only the wire can carry (messages over 128 KB,
undecodable packets, the "*" event) is sent to a real server in tests/test_wire.py.
"""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from workshop.core.text import clean_text

from .checks import (
    ATTENDEE_COMMANDS,
    FACILITATOR_COMMANDS,
    TRACEBACK,
    assert_consistent,
    assert_plain_ack,
    valid_commands,
)
from .in_process import Logged, Socket, go_to, join, make_app, populated, snapshot

ERROR_CODES = {"bad_auth", "room_unavailable", "unknown_attendee", "removed", "wrong_key"}


def test_the_protocol_lists_the_commands_these_tests_cover():
    assert set(ATTENDEE_COMMANDS) == {"sync_clock", "agree", "mark_done", "draw_prompt", "ask_moment",
                                      "send_feedback"}
    assert len(FACILITATOR_COMMANDS) >= 16 and "end_workshop" in FACILITATOR_COMMANDS


# -- one app for the module ------------------------------------------------------------------------

@pytest.fixture(scope="module")
def fuzzed(tmp_path_factory):
    """One app for the whole module, with the agendas' real durations and no clock, so timers hold still;
    every log record it writes is kept."""
    app = make_app(tmp_path_factory.mktemp("fuzzing"), GRACE_SECONDS=60.0)
    with Logged() as log:
        app.log = log
        yield app


def facilitator_auth(workshop: dict) -> dict:
    return {"role": "facilitator", "code": workshop["code"], "key": workshop["facilitator_key"]}


def assert_alive(app) -> None:
    assert app.test_client().get("/healthz").get_json() == {"ok": True}


# -- payloads ----------------------------------------------------------------------------------------

EDGES = ["\ud800", "\udfff", "\ud83d", "\u202e", "\u2066", "\u2069", "\u200b", "\u200d", "\u2060", "\ufeff",
         "\x00", "\x1b", "\x7f", "\u0301", "e\u0301", "👩‍👩‍👧", "\U0010ffff", "\u2028", "\r\n", "\t",
         "<script>alert(1)</script>", '"><img src=x onerror=alert(1)>', "' OR 1=1 --", "=HYPERLINK(\"x\")",
         "%s%n", "../../etc/passwd", "\\u0000", "a_", "g_", "__proto__", "constructor", "ﷺ", "𝕏"]
edge_text = st.lists(st.sampled_from(EDGES) | st.text(max_size=12), max_size=6).map("".join)
big_text = st.builds(lambda n, ch: ch * (n // len(json.dumps(ch))), st.integers(1_000, 14_000),
                     st.sampled_from(["x", "é", "\u202e", "\x00", "字", "🌱", "\ud800"]))
scalars = (st.none() | st.booleans() | st.integers(-(2**64), 2**64)
           | st.floats(allow_nan=True, allow_infinity=True) | edge_text)


def json_values(keys: st.SearchStrategy):
    return st.recursive(scalars, lambda inner: st.lists(inner, max_size=4)
                        | st.dictionaries(keys | st.sampled_from(EDGES), inner, max_size=4), max_leaves=16)


def small_enough(value) -> bool:
    """Keep a payload well under the 128 KB message limit, as the client encodes it."""
    return len(json.dumps(value)) <= 15_000


def payloads(fields: dict[str, st.SearchStrategy]):
    """Random JSON; the event's own keys, some with random values; all of them, plausible; one huge string."""
    keys = list(fields) or ["data"]
    anything = json_values(st.sampled_from(keys))
    mixed = st.fixed_dictionaries({}, optional={k: v | anything for k, v in fields.items()})
    plausible = st.fixed_dictionaries(fields)
    huge = st.builds(lambda k, s: {k: s}, st.sampled_from(keys), big_text)
    return st.one_of(anything, mixed, plausible, plausible, huge,
                     st.sampled_from([None, {}, [], "", 0])).filter(small_enough)


def tally(event: str, answers: list[dict]) -> None:
    """Print how many payloads an event got and how they were answered (shown with -s or on failure)."""
    codes: dict[str, int] = {}
    for answer in answers:
        code = "ok" if answer["ok"] else answer["code"]
        codes[code] = codes.get(code, 0) + 1
    print("fuzzed", event, json.dumps({"payloads": len(answers), **codes}, sort_keys=True))


class Sender:
    """A raw connection that reconnects before the per-connection rate limit would answer instead."""

    PER_CONNECTION = 30

    def __init__(self, app, auth: dict):
        self.app, self.auth = app, auth
        self.socket: Socket | None = None
        self.sent = 0
        self.acks: list[dict] = []

    def call(self, event: str, data) -> dict:
        if self.socket is None or self.sent >= self.PER_CONNECTION or not self.socket.connected:
            self.close()
            self.socket = Socket(self.app, self.auth)
            assert self.socket.connected, self.socket.refused
            self.sent = 0
        self.sent += 1
        ack = self.socket.call(event, data)
        self.acks.append(ack)
        return ack

    def close(self) -> None:
        if self.socket is not None:
            self.socket.close()
            self.socket = None


FUZZ = settings(max_examples=60, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                       HealthCheck.filter_too_much, HealthCheck.large_base_example])


@pytest.fixture(scope="module")
def attendee_room(fuzzed):
    """A room of five where one attendee, driven raw, is fuzzed; the others are phones that keep state."""
    workshop, console, phones = populated(fuzzed, 4, "Peer", to_round=False)
    joined = join(fuzzed.test_client(), workshop["code"], "Fuzz")
    sender = Sender(fuzzed, {"role": "attendee", "code": workshop["code"], "token": joined["token"]})
    assert sender.call("agree", {}) == {"ok": True}
    yield {"workshop": workshop, "console": console, "phones": phones, "sender": sender,
           "id": joined["attendee_id"]}
    sender.close()


ANSWERS = st.fixed_dictionaries(
    {"overall": st.integers(0, 6), "listened_to": st.integers(1, 5),
     "pace": st.sampled_from(["Too rushed", "About right", "Too slow", "about right"])},
    optional={"anything_else": edge_text | big_text, "unknown_question": st.just(1)})
ATTENDEE_FIELDS = {
    "sync_clock": {}, "agree": {}, "mark_done": {}, "draw_prompt": {},
    "ask_moment": {"needed": st.booleans()},
    "send_feedback": {"answers": ANSWERS},
}


def expected_ok(event: str, data) -> bool:
    """Tell whether a payload is valid whatever the room's state (for the simplest commands)."""
    if not isinstance(data, dict):
        return False  # a missing payload is refused too: send {}
    if event in ("sync_clock", "agree", "pair_everyone"):
        return True
    if event in ("ask_moment", "lock_room"):
        key = "needed" if event == "ask_moment" else "locked"
        return isinstance(data.get(key), bool)
    if event == "set_odd":
        return data.get("odd") in ("triad", "facilitator")
    if event == "send_message":
        text = data.get("text")
        return isinstance(text, str) and len(clean_text(text, multiline=True).strip()) <= 280
    return False


def prepare_attendee_room(room: dict, event: str) -> None:
    """Put the room where the event means something: a paused turn, or the open feedback form."""
    console = room["console"]
    if event == "send_feedback":
        assert console.send("open_feedback")["ok"]
    elif event in ("mark_done", "draw_prompt"):
        go_to(console, "round", nth=1)
        console.send("start_timer")  # refused once started: both tests share the room
        console.send("pause_timer")
        console.sees(lambda c: c.latest("room")["timer"]["state"] == "paused", "a paused turn")


def after_barrage(app, workshop: dict, start: int, phones: list[Socket]) -> None:
    """The app lives, logged no traceback, and the room still makes sense on every screen."""
    assert_alive(app)
    logged = app.log.records[start:]
    assert not any(r.exc_info for r in logged), app.log.since(start)[-3000:]
    assert not any(mark in app.log.since(start) for mark in TRACEBACK), app.log.since(start)[-3000:]
    view = snapshot(app, workshop)
    assert_consistent(view)
    where = {m: g["id"] for g in view["groups"] for m in g["members"]}
    for phone in (p for p in phones if p.connected):
        assert ((phone.latest("you") or {}).get("group") or {}).get("id") == where.get(phone.id), phone.id


def barrage(app, room: dict, event: str, fields: dict, start: int) -> None:
    """Send one command Hypothesis's payloads through the room's sender: each answer plain, a valid one ok."""
    sender = room["sender"]
    answers = []

    @FUZZ
    @given(data=payloads(fields))
    def fuzz(data):
        ack = sender.call(event, data)
        assert_plain_ack(ack, event)
        if expected_ok(event, data):
            assert ack["ok"] is True, (data, ack)
        answers.append(ack)

    fuzz()
    assert len(answers) >= 20
    tally(event, answers)
    after_barrage(app, room["workshop"], start, room["phones"])


@pytest.mark.parametrize("event", list(ATTENDEE_FIELDS))
def test_any_payload_to_an_attendee_command_gets_a_plain_answer(fuzzed, attendee_room, event):
    start = len(fuzzed.log.records)
    prepare_attendee_room(attendee_room, event)
    barrage(fuzzed, attendee_room, event, ATTENDEE_FIELDS[event], start)


@pytest.fixture(scope="module")
def facilitator_room(fuzzed):
    """A room of seven phones, paired, whose facilitator is fuzzed on a raw connection."""
    workshop, console, phones = populated(fuzzed, 7, "Crowd")
    sender = Sender(fuzzed, facilitator_auth(workshop))
    yield {"workshop": workshop, "console": console, "phones": phones, "sender": sender}
    sender.close()


def facilitator_fields(view: dict) -> dict[str, dict[str, st.SearchStrategy]]:
    """Plausible values for each facilitator command, using the room's real ids."""
    people = st.sampled_from([a["id"] for a in view["attendees"]]) | edge_text.map("a_".__add__)
    groups = st.sampled_from([g["id"] for g in view["groups"]] or ["g_0"]) | edge_text.map("g_".__add__)
    return {
        "go_to_step": {"index": st.integers(-2, len(view["agenda"]["steps"]) + 1)},
        "start_timer": {}, "pause_timer": {}, "resume_timer": {}, "skip_timer": {},
        "extend_timer": {"seconds": st.integers(-5, 700)},
        "send_message": {"text": edge_text | big_text},
        "lock_room": {"locked": st.booleans()},
        "remove_attendee": {"attendee_id": people},
        "pair_everyone": {},
        "set_odd": {"odd": st.sampled_from(["triad", "facilitator", "Triad", ""])},
        "swap_people": {"a": people, "b": people},
        "move_person": {"attendee_id": people, "group_id": groups},
        "place_waiting": {"attendee_id": people, "group_id": groups | st.none()},
        "clear_moment": {"attendee_id": people}, "open_feedback": {}, "close_feedback": {},
    }


# Removing people goes last, so that swaps and moves still find them.
@pytest.mark.parametrize("event", sorted((e for e in FACILITATOR_COMMANDS if e != "end_workshop"),
                                         key=lambda e: e == "remove_attendee"))
def test_any_payload_to_a_facilitator_command_gets_a_plain_answer(fuzzed, facilitator_room, event):
    start = len(fuzzed.log.records)
    fields = facilitator_fields(snapshot(fuzzed, facilitator_room["workshop"]))
    assert set(fields) | {"end_workshop"} == set(FACILITATOR_COMMANDS)
    barrage(fuzzed, facilitator_room, event, fields[event], start)


def test_any_payload_to_end_workshop_gets_a_plain_answer_and_an_ended_room_stays_whole(fuzzed):
    start = len(fuzzed.log.records)
    workshop, console, phones = populated(fuzzed, 3, "End")
    sender = Sender(fuzzed, facilitator_auth(workshop))
    ended = []

    @settings(FUZZ, max_examples=20)
    @given(data=payloads({}))
    def fuzz(data):
        ack = sender.call("end_workshop", data)
        assert_plain_ack(ack, "end_workshop")
        assert ack["ok"] is isinstance(data, dict), (data, ack)
        ended.append(ack["ok"])

    try:
        fuzz()
        assert any(ended)
        for event, data in valid_commands(snapshot(fuzzed, workshop)).items():
            reply = sender.call(event, data)
            assert_plain_ack(reply, event)
            if event != "end_workshop":
                assert reply.get("code") == "room_ended", (event, reply)
    finally:
        sender.close()
    assert snapshot(fuzzed, workshop)["room"]["status"] == "ended"
    after_barrage(fuzzed, workshop, start, [])


def test_an_ended_workshop_refuses_to_remove_anyone(fuzzed):
    workshop, console, phones = populated(fuzzed, 2, "After")
    assert console.send("end_workshop") == {"ok": True}
    assert console.send("remove_attendee", {"attendee_id": phones[0].id})["code"] == "room_ended"


def test_an_ended_workshop_takes_no_more_changes_from_attendees(fuzzed):
    workshop, console, phones = populated(fuzzed, 2, "Late", to_round=False)
    assert console.send("end_workshop") == {"ok": True}
    assert phones[0].send("ask_moment", {"needed": True}).get("code") == "room_ended"
    assert phones[0].send("agree").get("code") == "room_ended"


@FUZZ
@given(event=st.text(min_size=1, max_size=60).filter(lambda e: e not in ATTENDEE_FIELDS
                                                    and e not in FACILITATOR_COMMANDS
                                                    and e not in ("connect", "disconnect", "message", "*")),
       data=payloads({}))
def test_an_unknown_event_gets_a_plain_answer(fuzzed, attendee_room, event, data):
    ack = attendee_room["sender"].call(event, data)
    assert_plain_ack(ack, event)
    assert ack["code"] == "unknown_event"


def test_an_unknown_event_named_with_a_lone_surrogate_gets_an_answer(fuzzed, attendee_room):
    ack = attendee_room["sender"].call("x\ud800", {})
    assert ack["code"] == "unknown_event"


# A number as the whole auth is left out: on the wire ("401.0") it reads as an ack id.
@FUZZ
@given(auth=st.one_of(json_values(st.sampled_from(["role", "code", "token", "key"])).filter(
                          lambda a: isinstance(a, bool) or not isinstance(a, (int, float))),
                      st.fixed_dictionaries({"role": st.sampled_from(["attendee", "facilitator", "x"])},
                                            optional={"code": edge_text | big_text, "token": edge_text,
                                                      "key": edge_text})).filter(small_enough))
def test_any_connection_auth_is_refused_plainly(fuzzed, attendee_room, auth):
    socket = Socket(fuzzed, auth)
    assert not socket.connected
    refusal = socket.refused
    assert isinstance(refusal["message"], str) and refusal["message"]
    assert refusal["data"]["code"] in ERROR_CODES
    assert not any(mark in refusal["message"] for mark in TRACEBACK)
