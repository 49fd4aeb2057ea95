"""The rooms this process owns: one lock each, their connections, and the clock that keeps their pace.

A command runs under its room's lock, is committed to the store, and only then
broadcast, so that arrival order is processing order and nothing is announced
that a crash could take back. Each room lives in exactly one process.
"""

from __future__ import annotations

import heapq
import itertools
import logging
import random
import secrets
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from ..core.agenda import Agenda, AgendaError, load_agendas
from ..core.errors import Refusal
from ..core.limits import CodeGuard, RateLimit
from ..core.room import AWAY, ENDED, PRESENT, Change, Room, Settings
from ..core.view import console_view, display_view, room_view, you_view
from . import broadcast
from .keys import digest, new_secret, same
from .store import Store

log = logging.getLogger(__name__)

CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 6


def now_ms() -> int:
    """Return the server clock in epoch milliseconds."""
    return int(time.time() * 1000)


def normal_code(code: str) -> str:
    """Return a room code as stored: upper case, without spaces or dashes."""
    return code.strip().upper().replace("-", "").replace(" ", "")


def is_code(code: str) -> bool:
    """Tell whether a (normalized) code could name a room at all; that much is no secret."""
    return len(code) == CODE_LENGTH and all(c in CODE_ALPHABET for c in code)


@dataclass(frozen=True)
class Connection:
    code: str
    role: str
    attendee_id: str | None = None


class Live:
    """Every open room of this process, with its lock, its people's connections and its deadlines."""

    def __init__(self, store: Store, socketio, agendas_dir: Path, settings: Settings,
                 clock=now_ms, rng: random.Random | None = None, tick_s: float = 0.05,
                 limits: dict | None = None, max_rooms: int = 1000):
        self.store = store
        self.socketio = socketio
        self.agendas_dir = Path(agendas_dir)
        self.settings = settings
        self.clock = clock
        self.rng = rng or random.SystemRandom()
        self.tick_s = tick_s
        self.rooms: dict[str, Room] = {}
        self.locks: dict[str, threading.Lock] = {}
        self.tokens: dict[str, tuple[str, str]] = {}
        self.connections: dict[str, Connection] = {}
        self.attendee_sids: dict[str, str] = {}
        self.deadlines: list[tuple] = []
        self.timer_at: dict[str, int] = {}
        self.order = itertools.count()
        self.running = False
        limits = limits or {}
        # One budget per address for every check that tells a real code from a wrong one.
        self.code_guard = CodeGuard(sleep=lambda seconds: self.socketio.sleep(seconds),
                                    **limits.get("codes", {}))
        self.creations = RateLimit(**limits.get("creations", {"per_second": 1 / 60, "burst": 20}))
        self.max_rooms = max_rooms
        self.event_limit = RateLimit(per_second=10, burst=40)
        self.owns = lambda code: True  # in a cluster, only the codes this worker owns (docs/scaling.md)

    # -- life cycle ----------------------------------------------------------

    def boot(self) -> None:
        """Load every open room; everyone starts away until their phone reconnects."""
        now = self.clock()
        for room in self.store.load_rooms():
            self._adopt(room)
            change = Change()
            for attendee in room.attendees.values():
                if attendee.status == PRESENT:
                    change.merge(room.disconnect(attendee.id, now))
                elif attendee.status == AWAY:
                    self._schedule_grace(room, attendee.id)
            change.merge(room.tick(now))
            self._commit(room, change, now, send=False)
            self._schedule_timer(room)  # even when nothing changed on the way up

    def start(self) -> None:
        """Start the clock that acts on deadlines while nobody is watching."""
        if not self.running:
            self.running = True
            self.socketio.start_background_task(self._run_clock)

    def stop(self) -> None:
        """Stop the clock."""
        self.running = False

    def _run_clock(self) -> None:
        while self.running:
            # Wake for the next deadline, or at least every tick to notice new ones.
            until_next = (self.deadlines[0][0] - self.clock()) / 1000 if self.deadlines else self.tick_s
            self.socketio.sleep(min(self.tick_s, max(0.002, until_next)))
            try:
                self.run_due(self.clock())
            except Exception:  # the clock must outlive any one room's failure
                log.exception("deadline handling failed")

    def run_due(self, now: int) -> None:
        """Act on every deadline that has come."""
        while self.deadlines and self.deadlines[0][0] <= now:
            when, _, code, kind, arg = heapq.heappop(self.deadlines)
            if code not in self.rooms:
                continue
            try:
                if kind == "timer":
                    if self.timer_at.get(code) == when:
                        del self.timer_at[code]
                    self.run(code, lambda room: room.tick(now))
                else:
                    self.run(code, lambda room, who=arg: room.expire_away(who, now, self.rng))
            except Refusal:  # the room ended meanwhile: nothing is due any more
                continue

    # -- agendas and rooms ---------------------------------------------------

    def agendas(self) -> tuple[dict[str, Agenda], list[AgendaError]]:
        """Read the agenda folder afresh, so that edits show without a restart."""
        return load_agendas(self.agendas_dir)

    def create_room(self, agenda: Agenda, odd: str | None = None) -> tuple[Room, str]:
        """Open a new room for an agenda; return it with its facilitator key."""
        if len(self.rooms) >= self.max_rooms:
            raise Refusal("This server is running as many workshops as it can. Please try again later.",
                            "server_full")
        key = new_secret()
        code = self._free_code()
        room = Room(code, digest(key), agenda, self.clock(), Settings(**vars(self.settings)))
        if odd:
            room.odd = odd
        self.store.create_room(room)
        self._adopt(room)
        log.info("room %s opened with agenda %s", code, agenda.name)
        return room, key

    def _free_code(self) -> str:
        while True:
            code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
            if self.owns(code) and code not in self.rooms and not self.store.room_exists(code):
                return code

    def _adopt(self, room: Room) -> None:
        self.rooms[room.code] = room
        self.locks[room.code] = threading.Lock()
        for attendee in room.attendees.values():
            self.tokens[attendee.token_hash] = (room.code, attendee.id)

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

    def _release(self, code: str) -> None:
        """Let an ended room leave memory: its console and its report read the database from now on."""
        room = self.rooms.pop(code, None)
        self.locks.pop(code, None)
        self.timer_at.pop(code, None)
        for attendee in room.attendees.values() if room else ():
            self.tokens.pop(attendee.token_hash, None)

    # -- commands ------------------------------------------------------------

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

    def _reload(self, code: str) -> None:
        """Put the room back as the database has it."""
        try:
            room = self.rooms[code] = self.store.load_room(code)
        except Exception:
            log.exception("room %s could not be read back", code)
            return
        self.timer_at.pop(code, None)
        self._schedule_timer(room)

    def _commit(self, room: Room, change: Change, now: int, send: bool = True) -> None:
        if not change:
            return
        if change.room:
            room.seq += 1
        self.store.save(room, change, now)
        self._schedule_timer(room)
        for attendee_id in change.attendees:
            if room.attendees[attendee_id].status == AWAY:
                self._schedule_grace(room, attendee_id)
        if send:
            broadcast.send_change(self.socketio, room, change, self.attendee_sids.get)

    def _schedule_timer(self, room: Room) -> None:
        """Put the room's running deadline on the clock, once."""
        deadline = room.next_deadline()
        if deadline is not None and self.timer_at.get(room.code) != deadline:
            self.timer_at[room.code] = deadline
            self._schedule(deadline, room.code, "timer", None)

    def _schedule_grace(self, room: Room, attendee_id: str) -> None:
        """Look again at an away attendee when their grace period ends."""
        when = room.attendees[attendee_id].away_since + room.settings.grace_ms
        self._schedule(when, room.code, "grace", attendee_id)

    def _schedule(self, when: int, code: str, kind: str, arg) -> None:
        heapq.heappush(self.deadlines, (when, next(self.order), code, kind, arg))

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

    # -- connections ---------------------------------------------------------

    def connect_attendee(self, sid: str, code: str, token: str) -> None:
        """Let an attendee's phone in, replacing an older connection for the same token."""
        code = normal_code(code)
        found = self.tokens.get(digest(token))
        room = self.room(code)
        if room is None or found is None or found[0] != room.code:
            # One answer for a wrong code and for a wrong token in a real room, so that it tells
            # nothing; only a phone that holds a real token of an ended room hears that it ended.
            if room is None and self.store.attendee_code(digest(token)) == code:
                raise Refusal(ENDED_MESSAGE, "room_ended")
            raise Refusal(NOT_KNOWN, "unknown_attendee")
        attendee_id = found[1]
        replaced = []

        def greet(room: Room) -> None:
            replaced.append(self.attendee_sids.get(attendee_id))
            self.attendee_sids[attendee_id] = sid
            self.connections[sid] = Connection(room.code, "attendee", attendee_id)
            self.socketio.server.enter_room(sid, room.code, namespace="/")
            self.socketio.emit("room", room_view(room), to=sid)
            self.socketio.emit("you", you_view(room, attendee_id), to=sid)

        self.run(room.code, lambda r: r.connect(attendee_id, self.clock(), self.rng), then=greet)
        old_sid = replaced[0]
        if old_sid is not None and old_sid != sid:
            self.socketio.emit("replaced", {"message": "This workshop is open in another tab or window."},
                               to=old_sid)
            self.connections.pop(old_sid, None)
            self.socketio.server.disconnect(old_sid, namespace="/")

    def connect_facilitator(self, sid: str, code: str, key: str, links) -> None:
        """Let a facilitator's console in and send it the whole room."""
        code = normal_code(code)
        room, lock = self.rooms.get(code), self.locks.get(code)
        if room is None or lock is None:
            self._connect_to_ended(sid, code, key, links)
            return
        if not same(room.key_hash, digest(key)):
            raise Refusal(WRONG_KEY, "wrong_key")
        with lock:
            self.connections[sid] = Connection(room.code, "facilitator")
            self.socketio.server.enter_room(sid, room.code, namespace="/")
            self.socketio.server.enter_room(sid, broadcast.facilitators(room.code), namespace="/")
            self.socketio.emit("console", console_view(room, *links(room.code)), to=sid)

    def connect_display(self, sid: str, code: str, key: str, expected_key) -> None:
        """Let a projector in: it joins only the displays' room and gets the name-free view."""
        code = normal_code(code)
        if not same(key, expected_key(code)):  # checked before any room is loaded for a guessed code
            raise Refusal("That projector link is not valid.", "wrong_key")
        room = self.rooms.get(code)
        if room is None:  # ended, or never was: an ended room is read for this one answer, not kept
            if self.store.room_key_hash(code) is None:
                raise Refusal("That projector link is not valid.", "wrong_key")
            self.connections[sid] = Connection(code, "display")
            self.socketio.emit("display", display_view(self.store.load_room(code)), to=sid)
            return
        with self.locks[room.code]:
            self.connections[sid] = Connection(room.code, "display")
            self.socketio.server.enter_room(sid, broadcast.displays(room.code), namespace="/")
            self.socketio.emit("display", display_view(room), to=sid)

    def _connect_to_ended(self, sid: str, code: str, key: str, links) -> None:
        """Show an ended room's console from the database, read-only, and only once its key is right.

        The room is read for this one answer and not kept: knowing codes must not be enough
        to pull finished workshops back into memory.
        """
        key_hash = self.store.room_key_hash(code)
        if key_hash is None or not same(key_hash, digest(key)):
            raise Refusal(WRONG_KEY, "wrong_key")
        room = self.store.load_room(code)
        self.connections[sid] = Connection(code, "facilitator")
        self.socketio.emit("console", console_view(room, *links(code)), to=sid)

    def disconnect(self, sid: str) -> None:
        """Forget a connection; an attendee becomes away, and gone after the grace period."""
        connection = self.connections.pop(sid, None)
        if connection is None or connection.attendee_id is None:
            return
        attendee_id = connection.attendee_id
        if self.attendee_sids.get(attendee_id) != sid:
            return
        del self.attendee_sids[attendee_id]
        if connection.code not in self.rooms:
            return
        try:
            self.run(connection.code, lambda r: r.disconnect(attendee_id, self.clock()))
        except Refusal:  # the room ended meanwhile
            pass

    def kick(self, attendee_id: str, message: str) -> None:
        """Tell a removed attendee's phone, then close its connection."""
        sid = self.attendee_sids.pop(attendee_id, None)
        if sid is not None:
            self.socketio.emit("removed", {"message": message}, to=sid)
            self.connections.pop(sid, None)
            self.socketio.server.disconnect(sid, namespace="/")

    def connection(self, sid: str) -> Connection | None:
        """Return who is behind a connection."""
        return self.connections.get(sid)



ENDED_MESSAGE = "This workshop has ended. Thank you for taking part."
NOT_KNOWN = "This phone is not known in an open workshop with this code; please join again."
WRONG_KEY = "That facilitator link is not valid."
UNAVAILABLE = ("There is no open workshop with that code, or it is not taking new people right now. "
               "Check the code with your facilitator.")
