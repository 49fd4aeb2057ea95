"""The one place that sends: shared room state, personal views and facilitator updates."""

from __future__ import annotations

from ..core.room import Change, Room
from ..core.view import attendee_view, display_view, group_view, room_view, you_view


def facilitators(code: str) -> str:
    """Return the Socket.IO room of a workshop's facilitators."""
    return f"{code}:facilitators"


def displays(code: str) -> str:
    """Return the Socket.IO room of a workshop's projectors, apart from the shared room."""
    return f"{code}:displays"


def send_change(socketio, room: Room, change: Change, sid_of) -> None:
    """Send what a committed change means to everyone concerned."""
    if change.room:
        socketio.emit("room", room_view(room), to=room.code)
    for attendee_id in change.personal:
        sid = sid_of(attendee_id)
        if sid is not None and attendee_id in room.attendees:
            socketio.emit("you", you_view(room, attendee_id), to=sid)
    for attendee_id in change.attendees:
        socketio.emit("attendee", attendee_view(room, attendee_id), to=facilitators(room.code))
    if change.response is not None:
        socketio.emit("feedback_count", feedback_count(room), to=facilitators(room.code))
    if change.groups_changed:
        socketio.emit("groups", groups_delta(room, change), to=facilitators(room.code))
    if change.room or change.groups_changed:
        socketio.emit("display", display_view(room), to=displays(room.code))


def feedback_count(room: Room) -> dict:
    """Return how many answered, and nothing else about them."""
    return {"responses": room.responses, "open": room.feedback_open}


def groups_delta(room: Room, change: Change) -> dict:
    """Return the groups a change made or dropped, and who is waiting."""
    changed = [room.groups[g] for g in change.groups if g in room.groups]
    return {
        "groups": [group_view(room, g) for g in changed],
        "dropped": sorted(change.dropped_groups),
        "waiting": list(room.waiting),
    }
