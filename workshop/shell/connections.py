"""Who is behind each connection: an attendee's phone (by token), a console or a projector (by key).

Letting a connection in is checked here, against the registry's rooms and tokens;
what it is sent on the way in goes through `broadcast`.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..core.errors import N_, Refusal
from ..core.room import Room
from . import broadcast
from .codes import normal_code
from .keys import digest, same
from .links import join_url
from .registry import ENDED_MESSAGE, Registry

NOT_KNOWN = N_("This phone is not known in an open workshop with this code; please join again.")
WRONG_KEY = N_("That facilitator link is not valid.")
WRONG_DISPLAY_KEY = N_("That projector link is not valid.")


@dataclass(frozen=True)
class Connection:
    code: str
    role: str
    attendee_id: str | None = None


class Connections:
    """Every connection of this process by sid, and each attendee's one current connection."""

    def __init__(self, socketio, rooms: Registry):
        self.socketio = socketio
        self.rooms = rooms
        self.by_sid: dict[str, Connection] = {}
        self.attendee_sids: dict[str, str] = {}

    def get(self, sid: str) -> Connection | None:
        """Return who is behind a connection."""
        return self.by_sid.get(sid)

    def sid_of(self, attendee_id: str) -> str | None:
        """Return an attendee's current connection, if their phone is connected."""
        return self.attendee_sids.get(attendee_id)

    def holds(self, code: str, token: str) -> bool:
        """Tell whether a token is an attendee's of the open room with this code (no guess gets here)."""
        found = self.rooms.attendee_of(token)
        return found is not None and found[0] == normal_code(code)

    def connect_attendee(self, sid: str, code: str, token: str) -> None:
        """Let an attendee's phone in, replacing an older connection for the same token."""
        code = normal_code(code)
        found = self.rooms.attendee_of(token)
        room = self.rooms.room(code)
        if room is None or found is None or found[0] != room.code:
            # One answer for a wrong code and for a wrong token in a real room, so that it tells
            # nothing; only a phone that holds a real token of an ended room hears that it ended.
            if room is None and self.rooms.store.attendee_code(digest(token)) == code:
                raise Refusal(ENDED_MESSAGE, "room_ended")
            raise Refusal(NOT_KNOWN, "unknown_attendee")
        attendee_id = found[1]
        replaced = []

        def greet(room: Room) -> None:
            replaced.append(self.attendee_sids.get(attendee_id))
            self.attendee_sids[attendee_id] = sid
            self.by_sid[sid] = Connection(room.code, "attendee", attendee_id)
            broadcast.admit_attendee(self.socketio, sid, room, attendee_id)

        self.rooms.run(room.code, lambda r: r.connect(attendee_id, self.rooms.clock(), self.rooms.rng),
                       then=greet)
        old_sid = replaced[0]
        if old_sid is not None and old_sid != sid:
            self.by_sid.pop(old_sid, None)
            broadcast.replaced(self.socketio, old_sid)

    def connect_facilitator(self, sid: str, code: str, key: str, links) -> None:
        """Let a facilitator's console in and send it the whole room."""
        code = normal_code(code)

        def greet(room: Room) -> None:
            if not same(room.key_hash, digest(key)):
                raise Refusal(WRONG_KEY, "wrong_key")
            self.by_sid[sid] = Connection(room.code, "facilitator")
            broadcast.admit_facilitator(self.socketio, sid, room, links(room.code))

        if not self.rooms.look(code, greet):
            self._connect_to_ended(sid, code, key, links)

    def _connect_to_ended(self, sid: str, code: str, key: str, links) -> None:
        """Show an ended room's console from the database, read-only, and only once its key is right.

        The room is read for this one answer and not kept: knowing codes must not be enough
        to pull finished workshops back into memory.
        """
        key_hash = self.rooms.store.room_key_hash(code)
        if key_hash is None or not same(key_hash, digest(key)):
            raise Refusal(WRONG_KEY, "wrong_key")
        room = self.rooms.store.load_room(code)
        self.by_sid[sid] = Connection(code, "facilitator")
        broadcast.show_console(self.socketio, sid, room, links(code))

    def connect_display(self, sid: str, code: str, key: str, expected_key) -> None:
        """Let a projector in: it joins only the displays' room and gets the name-free view."""
        code = normal_code(code)
        if not same(key, expected_key(code)):  # checked before any room is loaded for a guessed code
            raise Refusal(WRONG_DISPLAY_KEY, "wrong_key")

        def greet(room: Room) -> None:
            self.by_sid[sid] = Connection(room.code, "display")
            broadcast.admit_display(self.socketio, sid, room, join_url(room.code))

        if self.rooms.look(code, greet):
            return
        # Ended, or never was: an ended room is read for this one answer, not kept.
        if self.rooms.store.room_key_hash(code) is None:
            raise Refusal(WRONG_DISPLAY_KEY, "wrong_key")
        self.by_sid[sid] = Connection(code, "display")
        broadcast.show_display(self.socketio, sid, self.rooms.store.load_room(code))

    def disconnect(self, sid: str) -> None:
        """Forget a connection; an attendee becomes away, and gone after the grace period."""
        connection = self.by_sid.pop(sid, None)
        if connection is None or connection.attendee_id is None:
            return
        attendee_id = connection.attendee_id
        if self.attendee_sids.get(attendee_id) != sid:
            return
        del self.attendee_sids[attendee_id]
        if connection.code not in self.rooms.rooms:
            return
        try:
            self.rooms.run(connection.code, lambda r: r.disconnect(attendee_id, self.rooms.clock()))
        except Refusal:  # the room ended meanwhile
            pass

    def kick(self, attendee_id: str, message: str) -> None:
        """Tell a removed attendee's phone, then close its connection."""
        sid = self.attendee_sids.pop(attendee_id, None)
        if sid is not None:
            self.by_sid.pop(sid, None)
            broadcast.removed(self.socketio, sid, message)
