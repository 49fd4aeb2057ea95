"""The one place that sends: shared room state, personal views, facilitator updates, and who hears what.

Every payload is built in `core.view`; this module only decides where each goes
(the room's Socket.IO rooms, one connection) and closes connections it has told why.
"""

from __future__ import annotations

from ..core.room import Change, Room
from ..core.view import (
    agreements_view,
    attendee_view,
    console_view,
    display_view,
    feedback_count,
    groups_delta,
    must_agree,
    notice,
    room_view,
    you_view,
)

REPLACED = "This workshop is open in another tab or window."


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
    if (change.room or change.groups_changed) and watched(socketio, displays(room.code)):
        socketio.emit("display", display_view(room), to=displays(room.code))


def watched(socketio, room_name: str) -> bool:
    """Tell whether anyone is in a Socket.IO room: a projector's view is built only for a projector."""
    return any(True for _ in socketio.server.manager.get_participants("/", room_name))


def admit_attendee(socketio, sid: str, room: Room, attendee_id: str) -> None:
    """Put a phone in its room and send it the room, the agreements it has yet to accept, and its own view."""
    socketio.server.enter_room(sid, room.code, namespace="/")
    socketio.emit("room", room_view(room), to=sid)
    if must_agree(room, attendee_id):
        socketio.emit("agreements", agreements_view(room), to=sid)
    socketio.emit("you", you_view(room, attendee_id), to=sid)


def admit_facilitator(socketio, sid: str, room: Room, links: tuple) -> None:
    """Put a console in the room and among its facilitators, and send it the whole room."""
    socketio.server.enter_room(sid, room.code, namespace="/")
    socketio.server.enter_room(sid, facilitators(room.code), namespace="/")
    show_console(socketio, sid, room, links)


def admit_display(socketio, sid: str, room: Room, join_url: str) -> None:
    """Put a projector among the room's displays only, and send it the name-free view and the join link."""
    socketio.server.enter_room(sid, displays(room.code), namespace="/")
    socketio.emit("join_link", {"join_url": join_url}, to=sid)
    show_display(socketio, sid, room)


def show_console(socketio, sid: str, room: Room, links: tuple) -> None:
    """Send one console the whole room (an ended room's console gets this and nothing after)."""
    socketio.emit("console", console_view(room, *links), to=sid)


def show_display(socketio, sid: str, room: Room) -> None:
    """Send one projector the name-free view."""
    socketio.emit("display", display_view(room), to=sid)


def replaced(socketio, sid: str) -> None:
    """Tell an older tab that a newer one took its place, then close it."""
    socketio.emit("replaced", notice(REPLACED), to=sid)
    socketio.server.disconnect(sid, namespace="/")


def removed(socketio, sid: str, message: str) -> None:
    """Tell a removed attendee's phone why, then close it."""
    socketio.emit("removed", notice(message), to=sid)
    socketio.server.disconnect(sid, namespace="/")
