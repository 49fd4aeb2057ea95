"""What every tier checks about a room and an answer, whichever way it reached the server."""

from __future__ import annotations

import json
import re

from .support import ROOT

PROTOCOL = (ROOT / "docs" / "protocol.md").read_text()
TRACEBACK = ("Traceback", 'File "')


def documented_commands(heading: str) -> list[str]:
    """Return the events listed in a table of docs/protocol.md under a heading."""
    section = PROTOCOL.split(heading, 1)[1].split("\n### ", 1)[0]
    return re.findall(r"^\| `(\w+)` \|", section, flags=re.M)


ATTENDEE_COMMANDS = documented_commands("### Attendee commands")
FACILITATOR_COMMANDS = documented_commands("### Facilitator commands")


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
