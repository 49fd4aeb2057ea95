"""The one door to SQLite: rooms, attendees and groups are written here and read back on start.

Feedback is not kept in this file: it goes to the ballot box, a file of its own (see
`ballot`), and this one holds only the count of answers. It is one piece past 300 lines
because the migrations, the writes and the reads share one schema: split, a table's
shape would stand in two files.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
from collections import defaultdict
from pathlib import Path

import sqlite_utils

from ..core.agenda import Agenda
from ..core.room import Attendee, Change, Room, Settings
from ..core.round import Group
from ..core.timer import Timer
from .ballot import BallotBox, ballot_path

MIGRATIONS = [
    """
    CREATE TABLE rooms (
        code TEXT PRIMARY KEY,
        key_hash TEXT NOT NULL,
        agenda TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        status TEXT NOT NULL,
        state TEXT NOT NULL
    );
    CREATE TABLE attendees (
        id TEXT PRIMARY KEY,
        code TEXT NOT NULL REFERENCES rooms(code),
        token_hash TEXT NOT NULL UNIQUE,
        name TEXT NOT NULL,
        joined_at INTEGER NOT NULL,
        agreed INTEGER NOT NULL,
        status TEXT NOT NULL,
        away_since INTEGER,
        moment INTEGER NOT NULL DEFAULT 0
    );
    CREATE INDEX attendees_by_room ON attendees(code);
    CREATE TABLE groups (
        id TEXT PRIMARY KEY,
        code TEXT NOT NULL REFERENCES rooms(code),
        members TEXT NOT NULL,
        since INTEGER NOT NULL,
        prompt_round INTEGER NOT NULL,
        prompt_index INTEGER NOT NULL,
        done_round INTEGER NOT NULL,
        done_phase INTEGER NOT NULL
    );
    CREATE INDEX groups_by_room ON groups(code);
    CREATE TABLE meetings (
        code TEXT NOT NULL REFERENCES rooms(code),
        groups TEXT NOT NULL
    );
    CREATE INDEX meetings_by_room ON meetings(code);
    CREATE TABLE attendance (
        code TEXT NOT NULL REFERENCES rooms(code),
        minute INTEGER NOT NULL,
        present INTEGER NOT NULL,
        PRIMARY KEY (code, minute)
    );
    """,
    # Feedback as it was first kept; migration 4 moves it to the ballot box.
    """
    CREATE TABLE responses (
        id TEXT PRIMARY KEY,
        code TEXT NOT NULL REFERENCES rooms(code),
        answers TEXT NOT NULL
    ) WITHOUT ROWID;
    CREATE INDEX responses_by_room ON responses(code);
    CREATE TABLE answered (
        code TEXT NOT NULL REFERENCES rooms(code),
        attendee_id TEXT NOT NULL,
        PRIMARY KEY (code, attendee_id)
    ) WITHOUT ROWID;
    """,
    # An organizer's sign-in, kept server-side so that logging out or changing the key
    # revokes it: the cookie holds a random id, this table only its hash and a fingerprint
    # of the organizer key it was issued under.
    """
    CREATE TABLE organizer_sessions (
        id_hash TEXT PRIMARY KEY,
        key_print TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        seen_at INTEGER NOT NULL
    ) WITHOUT ROWID;
    """,
    # Rows written in one transaction of a WAL database are linked by its frames and
    # by their places in the file: feedback moves out, and the file is rewritten once.
    lambda store, number: store.move_feedback_out(number),
    # A group's pair number, fixed when it forms; rows from before read back numbered in
    # the order they were written, as the pairs were numbered then.
    """
    ALTER TABLE groups ADD COLUMN number INTEGER NOT NULL DEFAULT 0;
    """,
    # Agendas written in the studio (shell/agendas.py): each save is a new version, never an
    # overwrite; a workshop keeps its own copy in rooms.agenda, so deleting one loses no report.
    """
    CREATE TABLE studio_agendas (
        id TEXT PRIMARY KEY,
        key_hash TEXT NOT NULL,
        created_at INTEGER NOT NULL
    ) WITHOUT ROWID;
    CREATE TABLE studio_versions (
        agenda_id TEXT NOT NULL REFERENCES studio_agendas(id) ON DELETE CASCADE,
        version INTEGER NOT NULL,
        saved_at INTEGER NOT NULL,
        title TEXT NOT NULL,
        source TEXT NOT NULL,
        PRIMARY KEY (agenda_id, version)
    ) WITHOUT ROWID;
    """,
    # A group changed mid-round keeps its members' letters ("" follows the rotation).
    """
    ALTER TABLE groups ADD COLUMN roles TEXT NOT NULL DEFAULT '';
    """,
]

UPSERT_ATTENDEE = """
    INSERT INTO attendees (id, code, token_hash, name, joined_at, agreed, status, away_since, moment)
    VALUES (:id, :code, :token_hash, :name, :joined_at, :agreed, :status, :away_since, :moment)
    ON CONFLICT (id) DO UPDATE SET agreed = excluded.agreed, status = excluded.status,
        away_since = excluded.away_since, moment = excluded.moment
"""
UPSERT_GROUP = """
    INSERT INTO groups (id, code, members, since, prompt_round, prompt_index, done_round, done_phase, number,
                        roles)
    VALUES (:id, :code, :members, :since, :prompt_round, :prompt_index, :done_round, :done_phase, :number,
            :roles)
    ON CONFLICT (id) DO UPDATE SET members = excluded.members, roles = excluded.roles, since = excluded.since,
        prompt_round = excluded.prompt_round,
        prompt_index = excluded.prompt_index, done_round = excluded.done_round,
        done_phase = excluded.done_phase
"""
UPSERT_ATTENDANCE = """
    INSERT INTO attendance (code, minute, present) VALUES (?, ?, ?)
    ON CONFLICT (code, minute) DO UPDATE SET present = max(present, excluded.present)
"""

ROOM_STATE = ("status", "ended_at", "locked", "odd", "step_index", "rounds_held", "message",
              "feedback_open", "feedback_closed", "responses", "seq")
# The round's part of the room's state row, under the names the row has always used.
ROUND_STATE = {"phases": "turns", "phase_index": "turn", "round_no": "number", "groups_used": "started",
               "done_count": "done_count", "pending": "pending", "fresh": "fresh"}
# What a row from before a key existed means: nobody held; groups not yet met are for the next round.
ROUND_DEFAULTS = {"pending": lambda state: {}, "fresh": lambda state: not state["groups_used"]}


class Store:
    """Rooms and their people, kept in an SQLite file in WAL mode."""

    def __init__(self, path: str | Path, secret: str = ""):
        self.path = str(path)
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            # SQLite gives the -wal and -shm files the main file's mode: make it owner-only first.
            os.close(os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600))
        conn = sqlite3.connect(self.path, check_same_thread=False)
        self.db = sqlite_utils.Database(conn)
        self.lock = threading.Lock()
        if self.path != ":memory:":
            self.db.enable_wal()
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.execute("PRAGMA busy_timeout=5000")
        self.db.execute("PRAGMA foreign_keys=ON")
        self.db.execute("PRAGMA secure_delete=ON")
        self.ballots = BallotBox(ballot_path(self.path), secret)
        self.migrate()

    def migrate(self) -> None:
        """Bring the schema up to date, one numbered migration at a time."""
        version = self.db.execute("PRAGMA user_version").fetchone()[0]
        for number, script in enumerate(MIGRATIONS[version:], start=version + 1):
            if callable(script):
                script(self, number)
                continue
            with self.lock, self.db.atomic():
                for statement in filter(str.strip, script.split(";")):
                    self.db.execute(statement)
                self.db.execute(f"PRAGMA user_version={number}")

    def move_feedback_out(self, number: int) -> None:
        """Migration 4: copy answers into the ballot box, drop them here, and rewrite this file."""
        responses, answered = defaultdict(list), defaultdict(list)
        with self.lock:
            for code, answers in self.db.execute("SELECT code, answers FROM responses"):
                responses[code].append(json.loads(answers))
            for code, attendee_id in self.db.execute("SELECT code, attendee_id FROM answered"):
                answered[code].append(attendee_id)
            # Copied first, and only once: a crash before the drop below runs this again.
            self.ballots.import_once(responses, answered)
            with self.db.atomic():
                self.db.execute("DROP TABLE responses")
                self.db.execute("DROP TABLE answered")
                self.db.execute(f"PRAGMA user_version={number}")
            if (responses or answered) and self.path != ":memory:":
                # secure_delete zeroed the dropped pages; VACUUM also drops their places in the file.
                self.db.execute("VACUUM")
                self.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    def ping(self) -> bool:
        """Tell whether the database answers."""
        with self.lock:
            return self.db.execute("SELECT 1").fetchone()[0] == 1

    # -- organizer sessions ------------------------------------------------------

    def open_organizer_session(self, id_hash: str, key_print: str, now: int, idle_ms: int) -> None:
        """Record a new organizer sign-in, and drop the ones that have expired."""
        with self.lock, self.db.atomic():
            self.db.execute("DELETE FROM organizer_sessions WHERE seen_at <= ? OR key_print != ?",
                            [now - idle_ms, key_print])
            self.db.execute("INSERT INTO organizer_sessions (id_hash, key_print, created_at, seen_at) "
                            "VALUES (?, ?, ?, ?)", [id_hash, key_print, now, now])

    def organizer_session_alive(self, id_hash: str, key_print: str, now: int, idle_ms: int,
                                life_ms: int) -> bool:
        """Tell whether a sign-in still holds (same key, not idle, not too old); note it was used."""
        with self.lock:
            row = self.db.execute("SELECT key_print, created_at, seen_at FROM organizer_sessions "
                                  "WHERE id_hash = ?", [id_hash]).fetchone()
            if row is None:
                return False
            issued_under, created_at, seen_at = row
            with self.db.atomic():
                if issued_under != key_print or now - seen_at >= idle_ms or now - created_at >= life_ms:
                    self.db.execute("DELETE FROM organizer_sessions WHERE id_hash = ?", [id_hash])
                    return False
                if now - seen_at >= 60_000:  # one write a minute at most, not one per page
                    self.db.execute("UPDATE organizer_sessions SET seen_at = ? WHERE id_hash = ?",
                                    [now, id_hash])
            return True

    def close_organizer_session(self, id_hash: str) -> None:
        """Forget an organizer sign-in, wherever its cookie has been copied."""
        with self.lock, self.db.atomic():
            self.db.execute("DELETE FROM organizer_sessions WHERE id_hash = ?", [id_hash])

    # -- writes ----------------------------------------------------------------

    def create_room(self, room: Room) -> None:
        """Write a new room."""
        with self.lock, self.db.atomic():
            self.db["rooms"].insert({
                "code": room.code,
                "key_hash": room.key_hash,
                "agenda": json.dumps(room.agenda.to_dict()),
                "created_at": room.created_at,
                "status": room.status,
                "state": _room_state(room),
            })

    def save(self, room: Room, change: Change, now: int) -> None:
        """Write everything a change touched, in one transaction.

        These run on every event, so they are plain prepared statements: sqlite-utils'
        upsert reads the table's layout on each call, several times the cost.
        """
        with self.lock:
            if change.response is not None:
                # First, and on its own: the answer and its author's mark, in the ballot box.
                # A crash before the room row below leaves the count behind; loading counts the box.
                self.ballots.cast(room.code, change.response, change.answered)
            self._save(room, change, now)
            if change.room and room.responses and (room.feedback_closed or room.status == "ended"):
                # A closed form publishes what waits, if at least k wait; a report read does too.
                self.ballots.results(room.code, room.settings.feedback_threshold, closed=True)

    def _save(self, room: Room, change: Change, now: int) -> None:
        with self.db.atomic():
            # The room's row holds its shared state, the waiting list and the counts of
            # responses and groups done: only these change it.
            if change.room or change.groups_changed or change.response is not None:
                self.db.execute("UPDATE rooms SET status = ?, state = ? WHERE code = ?",
                                [room.status, _room_state(room), room.code])
            for attendee_id in change.attendees:
                self.db.execute(UPSERT_ATTENDEE, _attendee_row(room, room.attendees[attendee_id]))
            for group_id in change.groups:
                group = room.groups.by_id.get(group_id)
                if group is not None:
                    self.db.execute(UPSERT_GROUP, _group_row(room, group))
            for group_id in change.dropped_groups:
                self.db.execute("DELETE FROM groups WHERE id = ?", [group_id])
            if change.met:
                # An append-only log of who met whom: replayed on start, never rewritten.
                self.db.execute("INSERT INTO meetings (code, groups) VALUES (?, ?)",
                                [room.code, json.dumps(change.met)])
            if change.attendees:
                self.db.execute(UPSERT_ATTENDANCE, [room.code, now // 60_000, room.present])

    # -- reads -----------------------------------------------------------------

    def load_rooms(self, grace_ms: int | None = None) -> list[Room]:
        """Read back every open room, as it was at the last commit."""
        with self.lock:
            rows = list(self.db.query("SELECT * FROM rooms WHERE status = 'open'"))
            self.ballots.keep_who_answered_only_for({row["code"] for row in rows})
            return [self._load_room(row) for row in rows]

    def load_room(self, code: str) -> Room:
        """Read back one room as it was at the last commit."""
        with self.lock:
            return self._load_room(self.db["rooms"].get(code))

    def _load_room(self, row: dict) -> Room:
        state = json.loads(row["state"])
        room = Room(row["code"], row["key_hash"], Agenda.from_dict(json.loads(row["agenda"])),
                    row["created_at"], Settings(**state.pop("settings")))
        timer = state.pop("timer")
        for name in ROOM_STATE:
            setattr(room, name, state[name])
        for key, name in ROUND_STATE.items():
            setattr(room.round, name, state[key] if key in state else ROUND_DEFAULTS[key](state))
        room.groups.waiting = state["waiting"]
        room.timer = Timer.from_dict(timer)
        for a in self.db.query("SELECT * FROM attendees WHERE code = ?", [room.code]):
            room.attendees[a["id"]] = Attendee(a["id"], a["name"], a["token_hash"], a["joined_at"],
                                               bool(a["agreed"]), a["status"], a["away_since"],
                                               bool(a["moment"]))
        room.present = sum(a.status == "present" for a in room.attendees.values())
        rows = self.db.query("SELECT * FROM groups WHERE code = ? ORDER BY number = 0, rowid", [room.code])
        for g in rows:  # numbered groups first, so that the unnumbered take the free numbers
            room.groups.add(Group(g["id"], tuple(json.loads(g["members"])), g["since"], g["prompt_round"],
                                  g["prompt_index"], g["done_round"], g["done_phase"], g["number"],
                                  g["roles"]))
        room.answered = self.ballots.answered(room.code, room.attendees)
        room.responses = self.ballots.count(room.code)
        for row in self.db.execute("SELECT groups FROM meetings WHERE code = ? ORDER BY rowid", [room.code]):
            for entry in json.loads(row[0]):  # groups, whole groupings and joins, in the order they happened
                room.round.history.replay(entry)
        return room

    def forget_who_answered(self, code: str) -> None:
        """Drop a finished workshop's has-answered list: while the form is open it stops
        double answers; afterwards it is only a liability."""
        self.ballots.forget_who_answered(code)

    def results(self, code: str, threshold: int, closed: bool) -> tuple[list[dict], int]:
        """Return a workshop's published answers, in no meaningful order, and how many wait."""
        return self.ballots.results(code, threshold, closed)

    def room_record(self, code: str) -> dict | None:
        """Return what a report needs of a room, open or ended: its agenda and last state."""
        with self.lock:
            row = self.db.execute(
                "SELECT code, agenda, created_at, status, state, "
                "(SELECT count(*) FROM attendees a WHERE a.code = rooms.code) AS joined "
                "FROM rooms WHERE code = ?", [code]).fetchone()
        if row is None:
            return None
        keys = ("code", "agenda", "created_at", "status", "state", "joined")
        record = dict(zip(keys, row, strict=True))
        record["agenda"], record["state"] = json.loads(record["agenda"]), json.loads(record["state"])
        return record

    def room_exists(self, code: str) -> bool:
        """Tell whether a code was ever used, open or ended."""
        with self.lock:
            return self.db.execute("SELECT 1 FROM rooms WHERE code = ?", [code]).fetchone() is not None

    def room_key_hash(self, code: str) -> str | None:
        """Return the hash of a room's facilitator key, open or ended."""
        with self.lock:
            row = self.db.execute("SELECT key_hash FROM rooms WHERE code = ?", [code]).fetchone()
        return row[0] if row else None

    def attendee_code(self, token_hash: str) -> str | None:
        """Return the code of the room an attendee token belongs to, open or ended."""
        with self.lock:
            row = self.db.execute("SELECT code FROM attendees WHERE token_hash = ?", [token_hash]).fetchone()
        return row[0] if row else None

    def attendance(self, code: str) -> list[list[int]]:
        """Return a room's present count per minute, oldest first."""
        with self.lock:
            rows = self.db.query(
                "SELECT minute, present FROM attendance WHERE code = ? ORDER BY minute", [code])
            return [[r["minute"] * 60_000, r["present"]] for r in rows]

    def rooms(self) -> list[str]:
        """Return every room's code, newest first."""
        with self.lock:
            return [r[0] for r in self.db.execute("SELECT code FROM rooms ORDER BY created_at DESC")]


def _room_state(room: Room) -> str:
    state = {name: getattr(room, name) for name in ROOM_STATE}
    state |= {key: getattr(room.round, name) for key, name in ROUND_STATE.items()}
    state["timer"] = room.timer.to_dict() if room.timer else None
    state["waiting"] = room.waiting
    state["settings"] = vars(room.settings)
    return json.dumps(state, separators=(",", ":"))


def _attendee_row(room: Room, a: Attendee) -> dict:
    return {"id": a.id, "code": room.code, "token_hash": a.token_hash, "name": a.name,
            "joined_at": a.joined_at, "agreed": int(a.agreed), "status": a.status,
            "away_since": a.away_since, "moment": int(a.moment)}


def _group_row(room: Room, g: Group) -> dict:
    return {"id": g.id, "code": room.code, "members": json.dumps(g.members), "since": g.since,
            "prompt_round": g.prompt_round, "prompt_index": g.prompt_index,
            "done_round": g.done_round, "done_phase": g.done_phase, "number": g.number, "roles": g.roles}
