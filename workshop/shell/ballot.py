"""The ballot box: feedback kept in a file of its own, laid out so that it links nothing and orders nothing.

Each room has three rows here and no others: the published answers, the answers
waiting to be published, and the marks of who has answered. Every write rewrites a
whole row: the answer lists freshly shuffled with the system's CSPRNG, the marks
sorted. An answer and its author's mark go in one transaction of a rollback
journal (deleted at commit) with `secure_delete`, so between two requests the file
holds each answer once, in an order that owes nothing to time, and no WAL or
journal keeps an older copy. See docs/privacy.md.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
import sqlite3
import threading
from contextlib import contextmanager
from pathlib import Path

from ..core.errors import Refusal
from ..core.feedback import add_to_bag, publish

PUBLISHED, PENDING, ANSWERED = "published", "pending", "answered"
SCHEMA = """
    CREATE TABLE IF NOT EXISTS bags (
        code TEXT NOT NULL,
        kind TEXT NOT NULL,
        body TEXT NOT NULL,
        PRIMARY KEY (code, kind)
    )
"""
# user_version 2: answers kept by an older main database have been moved in here.
IMPORTED = 2


def ballot_path(db_path: str) -> str:
    """Return where the ballot box of a main database lives: a file beside it."""
    return db_path if db_path == ":memory:" else db_path + ".feedback"


def mark(secret: str, code: str, attendee_id: str) -> str:
    """Return what the has-answered list keeps for a person: a keyed hash, not their id."""
    message = f"answered:{code}:{attendee_id}".encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()[:32]


class AlreadyAnswered(Refusal):
    """The has-answered list already holds this person: one answer each."""

    def __init__(self):
        super().__init__("You have already answered. Thank you!", "already_answered")


class BallotBox:
    """Each room's answers and has-answered list, in an SQLite file with a rollback journal."""

    def __init__(self, path: str, secret: str = ""):
        self.path = path
        self.secret = secret
        self.rng = secrets.SystemRandom()
        self.lock = threading.Lock()
        if path != ":memory:" and not Path(path).exists():
            # Owner only, like the keys: SQLite gives its journal the same mode.
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))
        self.db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        # DELETE: the journal exists only inside a write and holds the rows as they were
        # before it; no WAL keeps every version in order. FULL: an acknowledged answer
        # survives a power cut too, for one fsync'd write per answer (see docs/privacy.md).
        for pragma in ("journal_mode=DELETE", "synchronous=FULL", "secure_delete=ON",
                       "busy_timeout=5000"):
            self.db.execute(f"PRAGMA {pragma}")
        self.db.execute(SCHEMA)
        if self.db.execute("PRAGMA user_version").fetchone()[0] == 0:
            self.db.execute("PRAGMA user_version=1")

    def mark(self, code: str, attendee_id: str) -> str:
        """Return this box's mark for a person in a room."""
        return mark(self.secret, code, attendee_id)

    # -- writes ----------------------------------------------------------------

    def cast(self, code: str, answers: dict, attendee_id: str) -> None:
        """Put one answer sheet in the bag and its author's mark in the list, in one transaction."""
        with self._write():
            marks = set(self._read(code, ANSWERED))
            who = self.mark(code, attendee_id)
            if who in marks:
                raise AlreadyAnswered()
            self._write_row(code, PENDING, add_to_bag(self._read(code, PENDING), answers, self.rng))
            self._write_row(code, ANSWERED, sorted(marks | {who}))

    def results(self, code: str, threshold: int, closed: bool) -> tuple[list[dict], int]:
        """Return the published answers and how many wait; a closed form publishes when k wait."""
        with self._write():
            published, pending = self._read(code, PUBLISHED), self._read(code, PENDING)
            if closed:
                now_published, still_pending = publish(published, pending, threshold, self.rng)
                if not still_pending and pending:
                    self._write_row(code, PUBLISHED, now_published)
                    self._write_row(code, PENDING, [])
                published, pending = now_published, still_pending
        return published, len(pending)

    def forget_who_answered(self, code: str) -> None:
        """Drop a finished workshop's has-answered list: afterwards it is only a liability."""
        with self._write():
            self.db.execute("DELETE FROM bags WHERE code = ? AND kind = ?", [code, ANSWERED])

    def keep_who_answered_only_for(self, open_codes: set[str]) -> None:
        """Drop the has-answered list of every room that is not open (a crash can leave one)."""
        with self._write():
            stale = [row[0] for row in self.db.execute("SELECT code FROM bags WHERE kind = ?", [ANSWERED])
                     if row[0] not in open_codes]
            for code in stale:
                self.db.execute("DELETE FROM bags WHERE code = ? AND kind = ?", [code, ANSWERED])

    def import_once(self, responses: dict[str, list[dict]], answered: dict[str, list[str]]) -> None:
        """Take in answers an older main database kept, once even if the caller is cut short."""
        with self._write():
            if self.db.execute("PRAGMA user_version").fetchone()[0] >= IMPORTED:
                return
            for code, sheets in responses.items():
                bag = [*self._read(code, PENDING), *sheets]
                self.rng.shuffle(bag)
                self._write_row(code, PENDING, bag)
            for code, ids in answered.items():
                marks = set(self._read(code, ANSWERED)) | {self.mark(code, i) for i in ids}
                self._write_row(code, ANSWERED, sorted(marks))
            self.db.execute(f"PRAGMA user_version={IMPORTED}")

    # -- reads -----------------------------------------------------------------

    def answered(self, code: str, attendee_ids) -> set[str]:
        """Return which of these people have answered in a room."""
        with self.lock:
            marks = set(self._read(code, ANSWERED))
        return {who for who in attendee_ids if self.mark(code, who) in marks}

    def count(self, code: str) -> int:
        """Return how many answers a room has, published or not."""
        with self.lock:
            return len(self._read(code, PUBLISHED)) + len(self._read(code, PENDING))

    # -- helpers ---------------------------------------------------------------

    def _read(self, code: str, kind: str) -> list:
        row = self.db.execute("SELECT body FROM bags WHERE code = ? AND kind = ?", [code, kind]).fetchone()
        return json.loads(row[0]) if row else []

    def _write_row(self, code: str, kind: str, items: list) -> None:
        body = json.dumps(items, ensure_ascii=False, separators=(",", ":"))
        self.db.execute("INSERT INTO bags (code, kind, body) VALUES (?, ?, ?) "
                        "ON CONFLICT (code, kind) DO UPDATE SET body = excluded.body", [code, kind, body])

    @contextmanager
    def _write(self):
        """Hold the lock around one immediate transaction: commit on success, roll back on error."""
        with self.lock:
            self.db.execute("BEGIN IMMEDIATE")
            try:
                yield
            except BaseException:
                self.db.execute("ROLLBACK")
                raise
            self.db.execute("COMMIT")
