"""Abuse and bad input against one real server: who may do what, what any payload gets back, and secrets.

One `python -m workshop` serves the whole module. Hypothesis sends every Socket.IO event random JSON
(wrong types, 15 KB strings, nesting, lone surrogates, bidi and zero-width characters, NUL) and
each answer must be a plain acknowledgement; afterwards the room must still make sense.
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from pathlib import Path

import pytest
import requests
import socketio
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from workshop.core.text import clean_text

from .support import ROOT, Phone, Server, attendee, facilitator, wait_until

PROTOCOL = (ROOT / "docs" / "protocol.md").read_text()
TRACEBACK = ("Traceback", 'File "')
ERROR_CODES = {"bad_auth", "room_unavailable", "unknown_attendee", "removed", "wrong_key"}


def documented_commands(heading: str) -> list[str]:
    """Return the events listed in a table of docs/protocol.md under a heading."""
    section = PROTOCOL.split(heading, 1)[1].split("\n### ", 1)[0]
    return re.findall(r"^\| `(\w+)` \|", section, flags=re.M)


ATTENDEE_COMMANDS = documented_commands("### Attendee commands")
FACILITATOR_COMMANDS = documented_commands("### Facilitator commands")


def test_the_protocol_lists_the_commands_these_tests_cover():
    assert set(ATTENDEE_COMMANDS) == {"sync_clock", "agree", "mark_done", "draw_prompt", "ask_moment",
                                      "send_feedback"}
    assert len(FACILITATOR_COMMANDS) >= 16 and "end_workshop" in FACILITATOR_COMMANDS


# -- one server for the module -------------------------------------------------------------------

OPEN: list[Phone] = []  # every phone a test leaves connected, closed before the server stops


def kept(phone: Phone) -> Phone:
    OPEN.append(phone)
    return phone


@pytest.fixture(scope="module")
def hard(tmp_path_factory):
    """A real server for the whole module, with the agendas' real durations so that timers hold still."""
    folder = tmp_path_factory.mktemp("hardening")
    server = Server(folder / "hard.db", "--grace", "60").start()
    yield server
    for phone in OPEN:
        phone.client.reconnection = False
        phone.close()
    server.stop()


def tally(event: str, answers: list[dict]) -> None:
    """Keep how many payloads an event got and how they were answered, for docs/reliability.md."""
    path = ROOT / "artifacts" / "hardening.json"
    path.parent.mkdir(exist_ok=True)
    found = json.loads(path.read_text()) if path.exists() else {}
    codes: dict[str, int] = {}
    for answer in answers:
        code = "ok" if answer["ok"] else answer["code"]
        codes[code] = codes.get(code, 0) + 1
    found[event] = {"payloads": len(answers), **codes}
    path.write_text(json.dumps(found, indent=2, sort_keys=True))


class LogWatch:
    """What the server logged since a point in time."""

    def __init__(self, server: Server):
        self.server, self.start = server, len(server.output())

    def since(self) -> str:
        return self.server.output()[self.start:]


def assert_alive(server: Server) -> None:
    assert server.process.poll() is None, server.output()[-3000:]
    assert requests.get(server.url + "/healthz", timeout=5).json() == {"ok": True}


def snapshot(server: Server, workshop: dict) -> dict:
    """Return the room as a fresh facilitator console sees it on connect."""
    console = facilitator(server, workshop)
    try:
        return console.latest("console")
    finally:
        console.close()


def fingerprint(view: dict) -> dict:
    """Return what a command could change in a room, from a console snapshot."""
    return {
        "room": view["room"],
        "attendees": sorted((a["id"], a["status"], a["agreed"], a["moment"]) for a in view["attendees"]),
        "groups": sorted((g["id"], tuple(g["members"]), g["prompt"], g["done"]) for g in view["groups"]),
        "waiting": sorted(view["waiting"]),
        "odd": view["odd"],
        "feedback": view["feedback"],
    }


def assert_consistent(view: dict) -> None:
    """Each attendee in at most one group, groups of 2 or 3, nobody alone but someone whose partner left
    mid-turn (held for the next turn); a second triad only from a mid-round placement (docs/protocol.md)."""
    people = {a["id"]: a for a in view["attendees"]}
    held = {h["id"]: h for h in view.get("pending", [])}
    seen: dict[str, str] = {}
    for group in view["groups"]:
        members = group["members"]
        alone = len(members) == 1 and held.get(members[0], {}).get("reason") == "partner_left"
        assert (alone or 2 <= len(members) <= 3) and len(set(members)) == len(members), group
        assert len(group["roles"]) == len(members), group
        for member in members:
            if member == "facilitator":
                assert len(members) == 2, group
                continue
            assert member not in seen, f"{member} is in {seen[member]} and {group['id']}"
            seen[member] = group["id"]
            assert people[member]["status"] in ("present", "away"), (member, people[member])
    assert len(view["waiting"]) <= 1, view["waiting"]
    for person in view["waiting"]:
        assert person not in seen and people[person]["status"] in ("present", "away")


def assert_plain_ack(ack, event: str) -> None:
    """An acknowledgement is a dict: ok, or not ok with a sentence and a code; never a traceback."""
    assert isinstance(ack, dict), (event, ack)
    text = json.dumps(ack)
    assert not any(mark in text for mark in TRACEBACK), (event, ack)
    assert ack.get("ok") in (True, False), (event, ack)
    if ack["ok"] is False:
        assert isinstance(ack.get("error"), str) and ack["error"].strip(), (event, ack)
        assert isinstance(ack.get("code"), str) and ack["code"], (event, ack)
        assert ack["code"] not in ("server_error", "rate_limited"), (event, ack)


def go_to(console: Phone, kind: str, nth: int = 0) -> int:
    steps = [s["index"] for s in console.latest("console")["agenda"]["steps"] if s["kind"] == kind]
    assert console.send("go_to_step", {"index": steps[nth]})["ok"]
    return steps[nth]


def populated(server: Server, people: int, prefix: str, to_round: bool = True):
    """Start a workshop with people joined and agreed, paired in the first round (timer idle)."""
    workshop = server.create_workshop("quick-connect")
    console = kept(facilitator(server, workshop))
    phones = [kept(attendee(server, workshop["code"], f"{prefix}{i}")) for i in range(people)]
    for phone in phones:
        assert phone.send("agree") == {"ok": True}
    if to_round:
        go_to(console, "round")
        wait_until(lambda: all(p.latest("you")["group"] for p in phones), what="everyone paired")
    return workshop, console, phones


# -- authorization ---------------------------------------------------------------------------------

def valid_commands(view: dict) -> dict[str, dict]:
    """A payload for each facilitator command that the room's own facilitator could send."""
    ids = [a["id"] for a in view["attendees"]]
    groups = view["groups"]
    first, other = groups[0], groups[-1]
    return {
        "go_to_step": {"index": 5}, "start_timer": {}, "pause_timer": {}, "resume_timer": {},
        "extend_timer": {"seconds": 60}, "skip_timer": {}, "send_message": {"text": "Hello"},
        "lock_room": {"locked": True}, "remove_attendee": {"attendee_id": ids[0]}, "pair_everyone": {},
        "set_odd": {"odd": "facilitator" if view["odd"] == "triad" else "triad"},
        "swap_people": {"a": first["members"][0], "b": other["members"][1]},
        "move_person": {"attendee_id": first["members"][0], "group_id": other["id"]},
        "place_waiting": {"attendee_id": ids[2], "group_id": other["id"]},
        "clear_moment": {"attendee_id": ids[1]},
        "open_feedback": {}, "close_feedback": {}, "end_workshop": {},
    }


def test_an_attendee_connection_can_run_no_facilitator_command(hard):
    workshop, console, phones = populated(hard, 5, "Auth")
    before = snapshot(hard, workshop)
    commands = valid_commands(before)
    assert set(commands) == set(FACILITATOR_COMMANDS)
    for event, data in commands.items():
        reply = phones[1].send(event, data)
        assert reply["ok"] is False and reply["code"] == "forbidden", (event, reply)
        assert reply["error"] == "Only the facilitator can do that."
    assert fingerprint(snapshot(hard, workshop)) == fingerprint(before)


def test_another_rooms_facilitator_cannot_touch_this_room(hard):
    mine, my_console, my_phones = populated(hard, 5, "Mine")
    theirs, their_console, _ = populated(hard, 2, "Theirs", to_round=False)
    before = snapshot(hard, mine)
    seq = my_phones[0].latest("room")["seq"]
    for event, data in valid_commands(before).items():  # my ids and groups, sent on their connection
        assert_plain_ack(their_console.send(event, data), event)
    after = snapshot(hard, mine)
    assert fingerprint(after) == fingerprint(before)
    assert my_phones[0].latest("room")["seq"] == seq
    assert all(p.client.connected for p in my_phones)
    # Their key opens their room only, and a key is checked against the code it comes with.
    for auth, refusal in (({"role": "facilitator", "code": mine["code"], "key": theirs["facilitator_key"]},
                           "wrong_key"),
                          ({"role": "attendee", "code": hard.create_workshop()["code"],
                            "token": my_phones[0].token},
                           "unknown_attendee")):
        wrong = Phone(hard.url, auth)
        wrong.client.reconnection = False
        with pytest.raises(socketio.exceptions.ConnectionError):
            wrong.connect()
        assert wrong.refused["data"]["code"] == refusal


def test_a_facilitator_connection_cannot_send_attendee_commands(hard):
    workshop, console, phones = populated(hard, 2, "Fac")
    before = fingerprint(snapshot(hard, workshop))
    for event in ATTENDEE_COMMANDS:
        if event == "sync_clock":
            continue
        reply = console.send(event, {"needed": True, "answers": {"overall": 5}})
        assert reply["ok"] is False and reply["code"] == "forbidden", (event, reply)
    assert fingerprint(snapshot(hard, workshop)) == before


def test_organizer_pages_and_downloads_need_the_secret(hard):
    workshop, console, _ = populated(hard, 2, "Org", to_round=False)
    other = hard.create_workshop()
    code = workshop["code"]
    browser = requests.Session()
    sign_in = browser.get(hard.url + "/organizer", timeout=5)
    assert sign_in.status_code == 200 and code not in sign_in.text
    wrong = browser.post(hard.url + "/organizer", data={"key": "not-the-key"}, timeout=5)
    assert wrong.status_code == 403 and code not in wrong.text
    assert browser.get(hard.url + f"/reports/{code}", timeout=5).status_code == 403
    for ext in ("csv", "xlsx", "pdf"):
        assert browser.get(hard.url + f"/reports/{code}.{ext}", timeout=5).status_code == 403, ext
    unlock = hard.url + f"/reports/{code}/unlock"
    for body in ({"key": "x" * 32}, {"key": None}, {"key": ["x"]}, {}, []):
        answer = browser.post(unlock, json=body, timeout=5)
        assert answer.status_code == 403 and answer.json()["code"] == "wrong_key", body
    assert browser.post(unlock, data="{", headers={"Content-Type": "application/json"}).status_code == 403
    # The shared link's key opens that one report, and no other.
    key = console.latest("console")["report_url"].split("#key=", 1)[1]
    assert browser.post(unlock, json={"key": key}, timeout=5).json() == {"ok": True}
    assert browser.get(hard.url + f"/reports/{code}", timeout=5).status_code == 200
    assert browser.get(hard.url + f"/reports/{code}.csv", timeout=5).status_code == 200
    assert browser.get(hard.url + f"/reports/{other['code']}", timeout=5).status_code == 403
    assert browser.post(hard.url + f"/reports/{other['code']}/unlock", json={"key": key}).status_code == 403
    assert browser.get(hard.url + "/organizer", timeout=5).status_code == 200
    assert other["code"] not in browser.get(hard.url + "/organizer", timeout=5).text


def test_a_report_key_with_a_lone_surrogate_is_refused_plainly(hard):
    workshop = hard.create_workshop()
    answer = requests.post(hard.url + f"/reports/{workshop['code']}/unlock", data='{"key": "\\ud800"}',
                           headers={"Content-Type": "application/json"}, timeout=5)
    assert answer.status_code == 403 and answer.json()["code"] == "wrong_key"


def test_a_removed_attendee_cannot_come_back_with_the_same_token(hard):
    workshop, console, phones = populated(hard, 3, "Gone")
    ana = phones[0]
    assert console.send("remove_attendee", {"attendee_id": ana.id}) == {"ok": True}
    ana.wait_for(lambda p: p.latest("removed"), "removed")
    wait_until(lambda: not ana.client.connected, what="removed phone disconnected")
    ana.client.reconnection = False
    again = Phone(hard.url, {"role": "attendee", "code": workshop["code"], "token": ana.token})
    again.client.reconnection = False
    with pytest.raises(socketio.exceptions.ConnectionError):
        again.connect()
    assert again.refused["data"]["code"] == "removed"
    assert again.refused["message"]
    view = snapshot(hard, workshop)
    assert next(a for a in view["attendees"] if a["id"] == ana.id)["status"] == "removed"
    assert all(ana.id not in g["members"] for g in view["groups"])
    assert_consistent(view)


def test_a_full_room_says_so(tmp_path):
    server = Server(tmp_path / "cap.db", env={"WORKSHOP_MAX_ATTENDEES": "3"}).start()
    try:
        workshop = server.create_workshop()
        for name in ("Ana", "Ben", "Cy"):
            server.join(workshop["code"], name)
        full = requests.post(server.url + "/api/join", json={"code": workshop["code"], "name": "Dee"},
                             timeout=5)
        assert full.status_code == 409
        assert full.json()["code"] == "room_full" and "full" in full.json()["error"]
        assert len(snapshot(server, workshop)["attendees"]) == 3
    finally:
        server.stop()


# -- HTTP bodies ---------------------------------------------------------------------------------

BAD_BODIES = [
    ("{", "application/json"),
    ("", "application/json"),
    ("null", "application/json"),
    ("[]", "application/json"),
    ('"Ana"', "application/json"),
    ("NaN", "application/json"),
    ('{"code": "ABCDEF", "name": "Ana"', "application/json"),
    ('{"code": "ABCDEF", "name": "Ana"}', "text/plain"),
    ("code=ABCDEF&name=Ana", "application/x-www-form-urlencoded"),
    (b"\xff\xfe{\x00", "application/json"),
]


@pytest.mark.parametrize("path", ["/api/join", "/api/workshops"])
@pytest.mark.parametrize(("body", "kind"), BAD_BODIES)
def test_a_malformed_body_gets_a_plain_400(hard, path, body, kind):
    answer = requests.post(hard.url + path, data=body, headers={"Content-Type": kind}, timeout=5)
    assert answer.status_code == 400, answer.text[:200]
    assert answer.json()["code"] == "bad_request" and "JSON" in answer.json()["error"]


@pytest.mark.parametrize("path", ["/api/join", "/api/workshops"])
def test_deeply_nested_json_gets_a_plain_400(hard, path):
    body = "[" * 20_000 + "]" * 20_000
    answer = requests.post(hard.url + path, data=body, headers={"Content-Type": "application/json"},
                           timeout=5)
    assert answer.status_code == 400


@pytest.mark.parametrize("path", ["/api/join", "/api/workshops", "/organizer", "/reports/ABCDEF/unlock"])
def test_a_body_over_64_kb_is_refused(hard, path):
    if path == "/organizer":
        answer = requests.post(hard.url + path, data={"key": "x" * 70_000}, timeout=5)
    else:
        body = json.dumps({"code": "ABCDEF", "name": "x" * 70_000, "agenda": "quick-connect", "key": "x"})
        answer = requests.post(hard.url + path, data=body, headers={"Content-Type": "application/json"},
                               timeout=5)
    assert answer.status_code == 413
    assert_alive(hard)


BAD_NAMES = ["", "   ", "\x00\x01\x1b", "\u202e\u2066", "\t\n", "x" * 41, "🌱" * 41, None, 5, ["Ana"],
             {"first": "Ana"}, True, "Ana\x00", "\u202eAna", "Ana\u2066x", "\ufeffAna"]


@pytest.mark.parametrize("name", BAD_NAMES, ids=repr)
def test_a_bad_name_gets_a_plain_400(hard, name):
    code = hard.create_workshop()["code"]
    answer = requests.post(hard.url + "/api/join", json={"code": code, "name": name}, timeout=5)
    assert answer.status_code == 400, answer.text
    assert answer.json()["code"] == "bad_request"
    assert answer.json()["error"].startswith("Your name")


@pytest.mark.parametrize("name", ["A" * 40, "🌱" * 40, "e\u0301" * 40, "Zoë", "محمد", "👩‍👩‍👧",
                                  "<b>Ana</b>"], ids=repr)
def test_a_name_is_kept_without_control_or_bidi_characters(hard, name):
    code = hard.create_workshop()["code"]
    answer = requests.post(hard.url + "/api/join", json={"code": code, "name": name}, timeout=5)
    assert answer.status_code == 201, answer.text
    kept = answer.json()["name"]
    assert 1 <= len(kept) <= 40
    assert not any(unicodedata.category(ch) in ("Cc", "Cs") for ch in kept)
    assert not set(kept) & set("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


@pytest.mark.parametrize("name", ["\u200b", "\u200b\u200d\u2060", "\ufeff"], ids=repr)
def test_an_invisible_name_is_refused(hard, name):
    code = hard.create_workshop()["code"]
    answer = requests.post(hard.url + "/api/join", json={"code": code, "name": name}, timeout=5)
    assert answer.status_code == 400


@pytest.mark.parametrize("code", ["", "x" * 13, None, 7, ["ABCDEF"]], ids=repr)
def test_a_bad_room_code_gets_a_plain_400(hard, code):
    answer = requests.post(hard.url + "/api/join", json={"code": code, "name": "Ana"}, timeout=5)
    assert answer.status_code == 400 and answer.json()["code"] == "bad_request"


@pytest.mark.parametrize("body", [{"agenda": ""}, {"agenda": 3}, {"agenda": "x" * 81}, {},
                                  {"agenda": "quick-connect", "odd": "both"},
                                  {"agenda": "quick-connect", "odd": None}], ids=repr)
def test_a_bad_workshop_request_gets_a_plain_400(hard, body):
    answer = requests.post(hard.url + "/api/workshops", json=body, timeout=5)
    assert answer.status_code == 400 and answer.json()["code"] == "bad_request", answer.text


def test_an_unknown_agenda_gets_a_plain_404(hard):
    answer = requests.post(hard.url + "/api/workshops", json={"agenda": "../../etc/passwd"}, timeout=5)
    assert answer.status_code == 404 and answer.json()["code"] == "unknown_agenda"


# -- sockets: size and nesting ---------------------------------------------------------------------

def facilitator_auth(workshop: dict) -> dict:
    return {"role": "facilitator", "code": workshop["code"], "key": workshop["facilitator_key"]}


def raw_client(server: Server, auth: dict, transport: str = "websocket") -> socketio.Client:
    client = socketio.Client(reconnection=False, request_timeout=5)
    client.connect(server.url, auth=auth, transports=[transport], wait_timeout=5)
    return client


@pytest.mark.parametrize("transport", ["websocket", "polling"])
def test_a_socket_message_over_16_kb_closes_the_connection(hard, transport):
    workshop = hard.create_workshop()
    joined = hard.join(workshop["code"], "Big")
    auth = {"role": "attendee", "code": workshop["code"], "token": joined["token"]}
    client = raw_client(hard, auth, transport)
    try:
        assert client.call("sync_clock", {})["ok"]
        with pytest.raises(socketio.exceptions.TimeoutError):
            client.call("ask_moment", {"needed": True, "padding": "x" * 17_000}, timeout=2)
        wait_until(lambda: not client.connected, timeout=10, what="the connection to close")
    finally:
        client.disconnect()
    assert_alive(hard)
    again = raw_client(hard, auth)
    try:
        assert again.call("ask_moment", {"needed": True}) == {"ok": True}
    finally:
        again.disconnect()


def test_a_deeply_nested_socket_message_is_dropped_and_the_connection_goes_on(hard):
    import websocket

    workshop = hard.create_workshop()
    joined = hard.join(workshop["code"], "Deep")
    ws = websocket.create_connection(f"ws://127.0.0.1:{hard.port}/socket.io/?EIO=4&transport=websocket",
                                     timeout=5)
    try:
        assert ws.recv().startswith("0")
        ws.send("40" + json.dumps({"role": "attendee", "code": workshop["code"], "token": joined["token"]}))
        ws.send('421["ask_moment",' + "[" * 5000 + "]" * 5000 + "]")
        ws.send('422["sync_clock",{}]')
        received = []
        wait_until(lambda: received.append(ws.recv()) or any(m.startswith("432") for m in received),
                   timeout=5, what="the next acknowledgement")
        assert not any(m.startswith("431") and "Traceback" in m for m in received)
    finally:
        ws.close()
    assert_alive(hard)


def test_undecodable_socket_messages_leave_no_traceback_in_the_log(hard):
    import websocket

    log = LogWatch(hard)
    ws = websocket.create_connection(f"ws://127.0.0.1:{hard.port}/socket.io/?EIO=4&transport=websocket",
                                     timeout=5)
    try:
        ws.recv()
        ws.send("40")
        for packet in ('421["ask_moment",' + "[" * 5000 + "]" * 5000 + "]", '422["ask_moment",{', "42x"):
            ws.send(packet)
    finally:
        ws.close()
    assert_alive(hard)
    assert "Traceback" not in log.since()


# -- sockets: hypothesis payloads --------------------------------------------------------------------

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
    """Keep a payload under the 16 KB message limit, as the client encodes it."""
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


class Sender:
    """A raw connection that reconnects before the per-connection rate limit would answer instead."""

    PER_CONNECTION = 30

    def __init__(self, server: Server, auth: dict):
        self.server, self.auth = server, auth
        self.client: socketio.Client | None = None
        self.sent = 0
        self.acks: list[dict] = []

    def call(self, event: str, data) -> dict:
        if self.client is None or self.sent >= self.PER_CONNECTION or not self.client.connected:
            self.close()
            self.client = raw_client(self.server, self.auth)
            self.sent = 0
        self.sent += 1
        ack = self.client.call(event, data, timeout=5)
        self.acks.append(ack)
        return ack

    def close(self) -> None:
        if self.client is not None:
            self.client.disconnect()
            self.client = None


FUZZ = settings(max_examples=60, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                       HealthCheck.filter_too_much, HealthCheck.large_base_example])


@pytest.fixture(scope="module")
def attendee_room(hard):
    """A room of five where one attendee, driven raw, is fuzzed; the others are real phones."""
    workshop, console, phones = populated(hard, 4, "Peer", to_round=False)
    joined = hard.join(workshop["code"], "Fuzz")
    sender = Sender(hard, {"role": "attendee", "code": workshop["code"], "token": joined["token"]})
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
        console.wait_for(lambda c: c.latest("room")["timer"]["state"] == "paused", "a paused turn")


def after_barrage(server: Server, workshop: dict, log: LogWatch, phones: list[Phone]) -> None:
    """The server lives, logged no traceback, and the room still makes sense on every screen."""
    assert_alive(server)
    assert not any(mark in log.since() for mark in TRACEBACK), log.since()[-3000:]
    view = snapshot(server, workshop)
    assert_consistent(view)
    where = {m: g["id"] for g in view["groups"] for m in g["members"]}
    live = [p for p in phones if p.client.connected]

    def phones_agree() -> bool:
        return all(((p.latest("you") or {}).get("group") or {}).get("id") == where.get(p.id) for p in live)

    wait_until(phones_agree, timeout=5, what="every phone to show the console's groups")


@pytest.mark.parametrize("event", list(ATTENDEE_FIELDS))
def test_any_payload_to_an_attendee_command_gets_a_plain_answer(hard, attendee_room, event):
    log = LogWatch(hard)
    prepare_attendee_room(attendee_room, event)
    sender = attendee_room["sender"]
    answers = []

    @FUZZ
    @given(data=payloads({k: v for k, v in ATTENDEE_FIELDS[event].items()}))
    def fuzz(data):
        ack = sender.call(event, data)
        assert_plain_ack(ack, event)
        if expected_ok(event, data):
            assert ack["ok"] is True, (data, ack)
        answers.append(ack)

    fuzz()
    assert len(answers) >= 20
    tally(event, answers)
    after_barrage(hard, attendee_room["workshop"], log, attendee_room["phones"])


@pytest.fixture(scope="module")
def facilitator_room(hard):
    """A room of seven real phones, paired, whose facilitator is fuzzed on a raw connection."""
    workshop, console, phones = populated(hard, 7, "Crowd")
    sender = Sender(hard, facilitator_auth(workshop))
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
def test_any_payload_to_a_facilitator_command_gets_a_plain_answer(hard, facilitator_room, event):
    log = LogWatch(hard)
    sender = facilitator_room["sender"]
    fields = facilitator_fields(snapshot(hard, facilitator_room["workshop"]))
    assert set(fields) | {"end_workshop"} == set(FACILITATOR_COMMANDS)
    answers = []

    @FUZZ
    @given(data=payloads(fields[event]))
    def fuzz(data):
        ack = sender.call(event, data)
        assert_plain_ack(ack, event)
        if expected_ok(event, data):
            assert ack["ok"] is True, (data, ack)
        answers.append(ack)

    fuzz()
    assert len(answers) >= 20
    tally(event, answers)
    after_barrage(hard, facilitator_room["workshop"], log, facilitator_room["phones"])


def test_any_payload_to_end_workshop_gets_a_plain_answer_and_an_ended_room_stays_whole(hard):
    log = LogWatch(hard)
    workshop, console, phones = populated(hard, 3, "End")
    sender = Sender(hard, facilitator_auth(workshop))
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
        for event, data in valid_commands(snapshot(hard, workshop)).items():
            reply = sender.call(event, data)
            assert_plain_ack(reply, event)
            if event != "end_workshop":
                assert reply.get("code") == "room_ended", (event, reply)
    finally:
        sender.close()
    assert snapshot(hard, workshop)["room"]["status"] == "ended"
    after_barrage(hard, workshop, log, [])


def test_an_ended_workshop_refuses_to_remove_anyone(hard):
    workshop, console, phones = populated(hard, 2, "After")
    assert console.send("end_workshop") == {"ok": True}
    assert console.send("remove_attendee", {"attendee_id": phones[0].id})["code"] == "room_ended"


def test_an_ended_workshop_takes_no_more_changes_from_attendees(hard):
    workshop, console, phones = populated(hard, 2, "Late", to_round=False)
    assert console.send("end_workshop") == {"ok": True}
    assert phones[0].send("ask_moment", {"needed": True}).get("code") == "room_ended"
    assert phones[0].send("agree").get("code") == "room_ended"


@FUZZ
@given(event=st.text(min_size=1, max_size=60).filter(lambda e: e not in ATTENDEE_FIELDS
                                                    and e not in FACILITATOR_COMMANDS
                                                    and e not in ("connect", "disconnect", "message", "*")),
       data=payloads({}))
def test_an_unknown_event_gets_a_plain_answer(hard, attendee_room, event, data):
    ack = attendee_room["sender"].call(event, data)
    assert_plain_ack(ack, event)
    assert ack["code"] == "unknown_event"


def test_an_unknown_event_named_with_a_lone_surrogate_gets_an_answer(hard, attendee_room):
    ack = attendee_room["sender"].call("x\ud800", {})
    assert ack["code"] == "unknown_event"


def test_an_event_named_star_leaves_the_connection_and_the_server_working(hard, attendee_room):
    """A literal "*" reaches the catch-all handler without its name (python-socketio 5.18,
    Flask-SocketIO 5.7): the payload is taken for a sid, so the answer is `('', 400)` or none at all.
    """
    sender = attendee_room["sender"]
    sender.call("sync_clock", {})
    for data in ("", "abc"):
        assert sender.client.call("*", data, timeout=5) != {"ok": True}
    with pytest.raises(socketio.exceptions.TimeoutError):
        sender.client.call("*", {}, timeout=1)
    assert sender.call("sync_clock", {})["ok"] is True
    assert_alive(hard)


# A number as the whole auth is left out: on the wire ("401.0") it reads as an ack id.
@FUZZ
@given(auth=st.one_of(json_values(st.sampled_from(["role", "code", "token", "key"])).filter(
                          lambda a: isinstance(a, bool) or not isinstance(a, (int, float))),
                      st.fixed_dictionaries({"role": st.sampled_from(["attendee", "facilitator", "x"])},
                                            optional={"code": edge_text | big_text, "token": edge_text,
                                                      "key": edge_text})).filter(small_enough))
def test_any_connection_auth_is_refused_plainly(hard, attendee_room, auth):
    client = socketio.Client(reconnection=False)
    refusals = []
    client.on("connect_error", lambda data=None: refusals.append(data))
    with pytest.raises(socketio.exceptions.ConnectionError):
        client.connect(hard.url, auth=auth, transports=["websocket"], wait_timeout=5)
    refusal = refusals[-1]
    assert isinstance(refusal["message"], str) and refusal["message"]
    assert refusal["data"]["code"] in ERROR_CODES
    assert not any(mark in refusal["message"] for mark in TRACEBACK)


# -- escaping -------------------------------------------------------------------------------------

SCRIPTS = ["<script>alert(1)</script>", '"><img src=x onerror=alert(1)>']


def test_names_and_answers_with_markup_are_escaped_on_every_page(hard):
    workshop = hard.create_workshop("quick-connect")
    console = kept(facilitator(hard, workshop))
    phones = [kept(attendee(hard, workshop["code"], SCRIPTS[i % 2][:40])) for i in range(5)]
    assert phones[0].latest("you")["attendee"]["name"] == SCRIPTS[0]
    for phone in phones:
        phone.send("agree")
    assert console.send("open_feedback")["ok"]
    for i, phone in enumerate(phones):
        answers = {"overall": 4, "listened_to": 5, "pace": "About right", "anything_else": SCRIPTS[i % 2]}
        assert phone.send("send_feedback", {"answers": answers}) == {"ok": True}
    assert console.send("close_feedback")["ok"]
    organizer = requests.Session()
    organizer.post(hard.url + "/organizer", data={"key": "organizer-key-for-tests"}, timeout=5)
    code = workshop["code"]
    pages = {path: organizer.get(hard.url + path, timeout=5) for path in (
        f"/reports/{code}", "/organizer", f"/facilitate/{code}", f"/j/{code}",
        "/join?code=%3Cscript%3E", f"/j/{SCRIPTS[1]}", f"/reports/{SCRIPTS[0]}")}
    assert pages[f"/reports/{code}"].status_code == 200
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in pages[f"/reports/{code}"].text  # the answers are there
    for path, page in pages.items():
        for script in SCRIPTS:
            assert script not in page.text, path


# -- secrets ------------------------------------------------------------------------------------

def test_keys_and_tokens_are_never_logged_nor_stored(hard):
    workshop, console, phones = populated(hard, 4, "Secret")
    console.send("start_timer")
    for phone in phones:
        phone.send("ask_moment", {"needed": True})
    phones[0].close()
    again = kept(Phone(hard.url, {"role": "attendee", "code": workshop["code"], "token": phones[0].token}))
    again.connect(wait_for="you")
    secrets = [workshop["facilitator_key"], *(p.token for p in phones)]
    assert all(len(s) >= 32 for s in secrets)
    log = hard.output()
    folder = Path(hard.db).parent
    stored = b"".join(path.read_bytes() for path in folder.rglob("*") if path.is_file() and path != hard.log)
    for secret in secrets:
        assert secret not in log
        assert secret.encode() not in stored
    # The hashes are there: the bytes searched are the database's.
    for secret in secrets:
        assert hashlib.sha256(secret.encode()).hexdigest().encode() in stored
