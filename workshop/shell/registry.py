"""The rooms this process owns: one lock each; a command is applied, committed, and only then broadcast.

Arrival order is processing order (the lock), and nothing is announced that a
crash could take back (commit first). When a command or its commit fails
half-way, the room is read back from the store: what was not committed did not
happen. An ended room leaves memory; its console and report read the database.
Each room lives in exactly one process.
"""

from __future__ import annotations

import logging
import random
import secrets
import threading

from ..core.agenda import Agenda
from ..core.errors import N_, Refusal
from ..core.room import AWAY, ENDED, PRESENT, Change, Room, Settings
from .clock import Clock
from .codes import new_code, normal_code
from .keys import digest, new_secret
from .language import supported
from .store import Store

log = logging.getLogger(__name__)

ENDED_MESSAGE = N_("This workshop has ended. Thank you for taking part.")
UNAVAILABLE = N_("There is no open workshop with that code, or it is not taking new people right now. "
                 "Check the code with your facilitator.")


class Registry:
    """Every open room of this process, its lock, and the attendees' tokens that lead to it."""

    def __init__(self, store: Store, clock: Clock, settings: Settings, send,
                 rng: random.Random | None = None, max_rooms: int = 1000):
        self.store = store
        self.clock = clock
        self.settings = settings
        self.send = send  # send(room, change): told after each commit (see broadcast.send_change)
        self.rng = rng or random.SystemRandom()
        self.max_rooms = max_rooms
        self.rooms: dict[str, Room] = {}
        self.locks: dict[str, threading.Lock] = {}
        self.tokens: dict[str, tuple[str, str]] = {}  # token hash -> (code, attendee id), open rooms only
        self.owns = lambda code: True  # in a cluster, only the codes this worker owns (docs/scaling.md)

    # -- rooms entering and leaving memory ----------------------------------------

    def boot(self) -> None:
        """Load every open room; everyone starts away until their phone reconnects.

        Deadlines that passed while the server was down are acted on from their
        original times by the room's own `tick`, so the room's pace holds.
        """
        now = self.clock()
        for room in self.store.load_rooms():
            self._adopt(room)
            change = Change()
            for attendee in room.attendees.values():
                if attendee.status == PRESENT:
                    change.merge(room.disconnect(attendee.id, now))
                elif attendee.status == AWAY:
                    self._schedule_grace(room, attendee.id)
            change.merge(room.tick(now, self.rng))
            self._commit(room, change, now, send=False)
            self.clock.timer(room.code, room.next_deadline())  # even when nothing changed on the way up

    def create_room(self, agenda: Agenda, odd: str | None = None,
                    language: str | None = None) -> tuple[Room, str]:
        """Open a new room for an agenda; return it with its facilitator key."""
        if len(self.rooms) >= self.max_rooms:
            raise Refusal("This server is running as many workshops as it can. Please try again later.",
                          "server_full")
        key = new_secret()
        code = new_code(lambda c: not self.owns(c) or c in self.rooms or self.store.room_exists(c))
        language = language or supported(agenda.language) or "en"
        settings = Settings(**{**vars(self.settings), "language": language})
        room = Room(code, digest(key), agenda, self.clock(), settings)
        if odd:
            room.odd = odd
        self.store.create_room(room)
        self._adopt(room)
        log.info("room %s opened with agenda %s", code, agenda.name)
        return room, key

    def _adopt(self, room: Room) -> None:
        self.rooms[room.code] = room
        self.locks[room.code] = threading.Lock()
        for attendee in room.attendees.values():
            self.tokens[attendee.token_hash] = (room.code, attendee.id)

    def _release(self, code: str) -> None:
        """Let an ended room leave memory: its console and its report read the database from now on."""
        room = self.rooms.pop(code, None)
        self.locks.pop(code, None)
        self.clock.forget(code)
        for attendee in room.attendees.values() if room else ():
            self.tokens.pop(attendee.token_hash, None)

    # -- finding rooms ----------------------------------------------------------------

    def room(self, code: str) -> Room | None:
        """Return an open room by code, or None."""
        room = self.rooms.get(normal_code(code))
        return room if room is not None and room.status == "open" else None

    def open_room(self, code: str) -> Room:
        """Return a room in memory, or refuse: an ended room has left memory."""
        room = self.room(code)
        if room is None:
            raise Refusal(ENDED_MESSAGE, "room_ended")
        return room

    def exists(self, code: str) -> bool:
        """Tell whether a code names a workshop, open or ended (the code guard's notion of a known code)."""
        return normal_code(code) in self.rooms or self.store.room_exists(normal_code(code))

    def attendee_of(self, token: str) -> tuple[str, str] | None:
        """Return the (code, attendee id) an attendee's token leads to in an open room, or None."""
        return self.tokens.get(digest(token))

    def look(self, code: str, see) -> bool:
        """Call `see(room)` under the room's lock, changing nothing; False when the room is not in memory."""
        lock = self.locks.get(code)
        if lock is None:
            return False
        with lock:
            room = self.rooms.get(code)
            if room is None:
                return False
            see(room)
            return True

    # -- commands ---------------------------------------------------------------------

    def run(self, code: str, command, then=None) -> Change:
        """Apply a command to a room under its lock; commit, then broadcast, then `then(room)`."""
        lock = self.locks.get(code)
        if lock is None:
            raise Refusal(ENDED_MESSAGE, "room_ended")
        with lock:
            room = self.rooms.get(code)
            if room is None:  # it ended and left memory while this command waited
                raise Refusal(ENDED_MESSAGE, "room_ended")
            now = self.clock()
            try:
                change = command(room)
                self._commit(room, change, now)
            except Exception:
                # What was not committed did not happen, whether the command or the commit
                # failed half-way: go back to the last committed state.
                self._reload(code)
                raise
            if then is not None:
                then(room)
            ended = room.status == ENDED
        if ended:
            self._release(code)
        return change

    def join(self, code: str, name: str) -> tuple[Room, str, str]:
        """Admit a new attendee; return the room, their id and their token."""
        room = self.room(code)
        if room is None:
            raise Refusal(UNAVAILABLE, "room_unavailable")
        token = new_secret()
        attendee_id = "a_" + secrets.token_hex(8)
        self.run(room.code, lambda r: r.join(attendee_id, name, digest(token), self.clock(), self.rng))
        self.tokens[digest(token)] = (room.code, attendee_id)
        return room, attendee_id, token

    def act(self, code: str, kind: str, attendee_id: str | None, now: int) -> None:
        """Act on a deadline the clock says has come: a turn's end, or an away attendee's grace."""
        if code not in self.rooms:
            return
        try:
            if kind == "timer":
                self.run(code, lambda room: room.tick(now, self.rng))
            else:
                self.run(code, lambda room: room.expire_away(attendee_id, now, self.rng))
        except Refusal:  # the room ended meanwhile: nothing is due any more
            pass

    def _reload(self, code: str) -> None:
        """Put the room back as the database has it."""
        try:
            room = self.rooms[code] = self.store.load_room(code)
        except Exception:
            log.exception("room %s could not be read back", code)
            return
        self.clock.forget(code)
        self.clock.timer(code, room.next_deadline())

    def _commit(self, room: Room, change: Change, now: int, send: bool = True) -> None:
        if not change:
            return
        if change.room:
            room.seq += 1
        self.store.save(room, change, now)
        self.clock.timer(room.code, room.next_deadline())
        for attendee_id in change.attendees:
            if room.attendees[attendee_id].status == AWAY:
                self._schedule_grace(room, attendee_id)
        if send:
            self.send(room, change)

    def _schedule_grace(self, room: Room, attendee_id: str) -> None:
        """Look again at an away attendee when their grace period ends."""
        when = room.attendees[attendee_id].away_since + room.settings.grace_ms
        self.clock.at(when, room.code, "grace", attendee_id)
