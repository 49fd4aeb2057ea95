"""docs/protocol.md and the declared payloads (workshop/shell/payload.py) say the same thing."""

import json
import re

from workshop.shell.api import STATUS
from workshop.shell.events import socketio
from workshop.shell.payload import AUTH, BODIES, EVENTS, table

from .support import ROOT

PROTOCOL = (ROOT / "docs" / "protocol.md").read_text()


def section(heading: str) -> str:
    """Return the text under a heading of docs/protocol.md, up to the next heading of any level."""
    return re.split(r"\n#{2,4} ", PROTOCOL.split(heading + "\n", 1)[1], maxsplit=1)[0]


def table_rows(text: str) -> list[list[str]]:
    """Return the body rows of the markdown tables in `text`, cell by cell."""
    rows = [line for line in text.splitlines() if line.startswith("| ")]
    cells = [[cell.strip() for cell in re.split(r"(?<!\\)\|", row)[1:-1]] for row in rows]
    return [row for row in cells if not set(row[0]) <= set("- ")][1:] if cells else []


def documented_events() -> dict[str, str]:
    """Return each client-to-server event in the command tables with its example payload."""
    rows = [*table_rows(section("### Attendee commands (client → server)")),
            *table_rows(section("### Facilitator commands (client → server)"))]
    rows = [row for row in rows if row[0] != "event"]
    return {row[0].strip("`"): row[1].strip("`") for row in rows}


def example_keys(example: str) -> set[str]:
    """Return the top-level keys of an example payload such as `{"index": n}`."""
    return {match[1] for match in re.finditer(r'"(\w+)"\s*:', example)
            if example.count("{", 0, match.start()) - example.count("}", 0, match.start()) == 1}


def test_every_declared_event_is_documented_and_every_documented_event_declared():
    assert list(documented_events()) == list(EVENTS)


def test_every_declared_event_has_a_handler_and_every_handler_a_declaration():
    handled = {event for event, _, namespace in socketio.handlers if namespace == "/"}
    assert handled - {"connect", "disconnect", "*"} == set(EVENTS)


def test_each_commands_example_payload_has_exactly_the_declared_fields():
    for event, example in documented_events().items():
        declared = {f.name for f in EVENTS[event].fields}
        assert example_keys(example) == declared, event


def test_the_payload_fields_table_is_the_declarations_written_out():
    rows = [tuple(row) for row in table_rows(section("### Payload fields"))]
    assert rows == table()


def test_each_connect_auth_in_the_doc_has_exactly_the_declared_fields():
    rows = {row[0]: json.loads(row[1].strip("`")) for row in table_rows(section("### Connecting"))
            if row[0] != "who"}
    roles = {"attendee": "attendee", "facilitator": "facilitator", "projector": "display"}
    assert {roles[who] for who in rows} == set(AUTH)
    for who, auth in rows.items():
        assert auth["role"] == roles[who]
        assert set(auth) == {f.name for f in AUTH[roles[who]].fields}


def test_each_declared_json_body_is_an_endpoint_of_the_http_table():
    endpoints = {row[0].strip("`") for row in table_rows(section("## HTTP"))}
    assert set(BODIES) <= endpoints


def test_every_refusal_code_of_the_json_api_is_documented_with_its_status():
    for code, status in STATUS.items():
        assert re.search(rf"{status}\b[^\n]*`?{code}`?|`?{code}`?[^\n]*\b{status}\b", PROTOCOL), code


def test_the_feedback_refusal_codes_are_documented():
    for code in ("bad_answers", "unknown_question", "missing_answer", "answer_too_long", "already_answered"):
        assert f"`{code}`" in section("### Attendee commands (client → server)"), code
