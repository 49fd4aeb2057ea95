"""Studio agendas in SQLite: each save a new version, each agenda opened by its own edit key.

The rows hold the agenda as the studio sends it (the YAML's structure, as JSON), problems
and all: a facilitator may save a draft that cannot be started yet. Only a hash of the
edit key is kept, like a facilitator's key (keys.py).
"""

from __future__ import annotations

import json
import secrets

from .keys import digest, new_secret
from .store import Store


def _title(source: dict) -> str:
    """Return the title to list a version under, whatever its problems."""
    title = source.get("title") if isinstance(source, dict) else None
    return title.strip()[:80] if isinstance(title, str) and title.strip() else "Untitled agenda"


class Shelf:
    """The studio's agendas, kept in the store's file under its lock."""

    def __init__(self, store: Store):
        self.db, self.lock = store.db, store.lock

    def create(self, source: dict, now: int) -> tuple[str, str]:
        """Keep a new agenda as its version 1; return its id and its edit key (never stored)."""
        agenda_id, key = secrets.token_hex(8), new_secret()
        with self.lock, self.db.atomic():
            self.db.execute("INSERT INTO studio_agendas (id, key_hash, created_at) VALUES (?, ?, ?)",
                            [agenda_id, digest(key), now])
            self._add_version(agenda_id, 1, source, now)
        return agenda_id, key

    def save(self, agenda_id: str, source: dict, now: int) -> int | None:
        """Keep a new version of an agenda and return its number (None when there is no such agenda)."""
        with self.lock, self.db.atomic():
            if not self._exists(agenda_id):
                return None
            row = self.db.execute("SELECT max(version) FROM studio_versions WHERE agenda_id = ?",
                                  [agenda_id]).fetchone()
            version = (row[0] or 0) + 1
            self._add_version(agenda_id, version, source, now)
        return version

    def _add_version(self, agenda_id: str, version: int, source: dict, now: int) -> None:
        self.db.execute("INSERT INTO studio_versions (agenda_id, version, saved_at, title, source) "
                        "VALUES (?, ?, ?, ?, ?)",
                        [agenda_id, version, now, _title(source), json.dumps(source, ensure_ascii=False)])

    def _exists(self, agenda_id: str) -> bool:
        row = self.db.execute("SELECT 1 FROM studio_agendas WHERE id = ?", [agenda_id]).fetchone()
        return row is not None

    def key_hash(self, agenda_id: str) -> str | None:
        """Return the hash of an agenda's edit key, or None when there is no such agenda."""
        with self.lock:
            row = self.db.execute("SELECT key_hash FROM studio_agendas WHERE id = ?", [agenda_id]).fetchone()
        return row[0] if row else None

    def version(self, agenda_id: str, number: int | None = None) -> dict | None:
        """Return one version of an agenda (the newest by default) and the list of all its versions."""
        with self.lock:
            versions = [{"version": v, "saved_at": at, "title": title} for v, at, title in self.db.execute(
                "SELECT version, saved_at, title FROM studio_versions WHERE agenda_id = ? "
                "ORDER BY version DESC", [agenda_id])]
            if not versions:
                return None
            number = versions[0]["version"] if number is None else number
            row = self.db.execute("SELECT saved_at, source FROM studio_versions "
                                  "WHERE agenda_id = ? AND version = ?", [agenda_id, number]).fetchone()
        if row is None:
            return None
        return {"id": agenda_id, "version": number, "saved_at": row[0], "source": json.loads(row[1]),
                "versions": versions}

    def delete(self, agenda_id: str) -> bool:
        """Forget an agenda and every version of it; workshops run from it keep their own copy."""
        with self.lock, self.db.atomic():
            gone = self.db.execute("DELETE FROM studio_agendas WHERE id = ?", [agenda_id]).rowcount
        return bool(gone)

    def all(self) -> list[dict]:
        """Return every studio agenda with its newest version's title and time, newest first."""
        with self.lock:
            rows = self.db.execute(
                "SELECT a.id, a.created_at, v.version, v.saved_at, v.title FROM studio_agendas a "
                "JOIN studio_versions v ON v.agenda_id = a.id AND v.version = "
                "(SELECT max(version) FROM studio_versions WHERE agenda_id = a.id) "
                "ORDER BY v.saved_at DESC, a.id").fetchall()
        return [{"id": i, "created_at": c, "version": v, "saved_at": s, "title": t} for i, c, v, s, t in rows]
