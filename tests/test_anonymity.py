"""An attacker with copies of the database files: link answers to people, or find their order.

Each scenario has people answer, in an order unrelated to the order they joined,
with answers recognisable in the raw bytes; after every answer every file beside
the database is copied, as a thief between two requests would. The attacks read
only those bytes: WAL frames committed together, places in the file, and how many
copies of each answer lie about. They must succeed against the storage this server
used to have (a faithful reproduction below) and fail against the server's own.
"""

from __future__ import annotations

import json
import random
import secrets
import sqlite3
from pathlib import Path

import pytest

from workshop.core.agenda import parse_agenda
from workshop.core.room import Room, Settings
from workshop.shell.ballot import mark
from workshop.shell.store import MIGRATIONS, Store, _room_state

from .support import attendee, facilitator

PEOPLE = 12
SAMPLE_AGENDA = {"title": "Older", "steps": [
    {"kind": "feedback", "title": "Feedback", "questions": [{"id": "x", "type": "text", "text": "Say?"}]}]}
PAGE = 4096


# -- the attacks -----------------------------------------------------------------------------------

def wal_commits(wal: bytes) -> list[dict[int, bytes]]:
    """Split a WAL file into its commits, each the pages it wrote."""
    if len(wal) < 32:
        return []
    size, salt = int.from_bytes(wal[8:12], "big"), wal[16:24]
    commits, pages, at = [], {}, 32
    while at + 24 + size <= len(wal) and wal[at + 8:at + 16] == salt:
        pages[int.from_bytes(wal[at:at + 4], "big")] = wal[at + 24:at + 24 + size]
        if int.from_bytes(wal[at + 4:at + 8], "big"):
            commits.append(pages)
            pages = {}
        at += 24 + size
    return commits


def link_by_wal(main: bytes, wal: bytes, answers: list[bytes], people: list[list[bytes]]) -> dict[int, int]:
    """Pair the one answer and the one person that first appear in the same commit."""
    size = int.from_bytes(wal[8:12], "big") if len(wal) >= 32 else PAGE
    seen: dict[int, bytes] = {}
    links = {}
    for commit in wal_commits(wal):
        new_answers, new_people = set(), set()
        for number, page in commit.items():
            before = seen.get(number, main[(number - 1) * size:number * size])
            new_answers |= {i for i, a in enumerate(answers) if a in page and a not in before}
            new_people |= {j for j, ids in enumerate(people)
                           if any(x in page and x not in before for x in ids)}
            seen[number] = page
        if len(new_answers) == 1 and len(new_people) == 1:
            links[new_answers.pop()] = new_people.pop()
    return links


def link_by_place(blob: bytes, answers: list[bytes], people: list[list[bytes]]) -> dict[int, int]:
    """Pair answers and people by their order in the file, using each page that lists as many people."""
    at = {i: blob.find(a) for i, a in enumerate(answers) if a in blob}
    by_place = sorted(at, key=at.get)
    best: dict[int, int] = {}
    for start in range(0, len(blob), PAGE):
        page = blob[start:start + PAGE]
        found = {j: min(page.find(x) for x in ids if x in page) for j, ids in enumerate(people)
                 if any(x in page for x in ids)}
        if len(found) != len(by_place) or len(found) < 2:
            continue
        listed = sorted(found, key=found.get)
        for order in (listed, listed[::-1]):
            links = dict(zip(by_place, order, strict=True))
            if sum(links[i] == i for i in links) > sum(best.get(i) == i for i in best):
                best = links
    return best


def spearman(xs: list[float], ys: list[float]) -> float:
    """Return the rank correlation of two lists without ties (0 when one is constant)."""
    def ranks(values):
        order = sorted(range(len(values)), key=lambda i: values[i])
        out = [0.0] * len(values)
        for rank, i in enumerate(order):
            out[i] = rank
        return out
    if len(set(xs)) < 2 or len(set(ys)) < 2:
        return 0.0
    rx, ry = ranks(xs), ranks(ys)
    n = len(xs)
    return 1 - 6 * sum((a - b) ** 2 for a, b in zip(rx, ry, strict=True)) / (n * (n * n - 1))


def order_by_place(blob: bytes, answers: list[bytes]) -> float:
    """Return how well first places in the file follow submission order (-1 to 1)."""
    present = [i for i, a in enumerate(answers) if a in blob]
    return spearman(present, [blob.find(answers[i]) for i in present]) if len(present) >= 3 else 0.0


def order_by_copies(blob: bytes, answers: list[bytes]) -> float:
    """Return how well the number of stale copies of each answer follows submission order."""
    present = [i for i, a in enumerate(answers) if a in blob]
    return spearman(present, [blob.count(answers[i]) for i in present]) if len(present) >= 3 else 0.0


def snapshot(db: Path) -> dict[str, bytes]:
    """Copy every file that belongs to a database: main, -wal, -shm, the ballot box, any journal."""
    return {path.name[len(db.name):] or "main": path.read_bytes()
            for path in sorted(db.parent.iterdir()) if path.name.startswith(db.name)}


def attack(snapshots: list[dict[str, bytes]], answers: list[bytes], people: list[list[bytes]]) -> dict:
    """Run every attack on every snapshot and sum up what each achieved."""
    wal_links, place_links, best_place, order, copies = 0, 0, 0, [], []
    for files in snapshots:
        wal_links += sum(i == j for i, j in link_by_wal(files["main"], files.get("-wal", b""),
                                                         answers, people).items())
        for name, blob in files.items():
            if name == "-wal":
                continue
            right = sum(i == j for i, j in link_by_place(blob, answers, people).items())
            place_links, best_place = place_links + right, max(best_place, right)
            if sum(a in blob for a in answers) >= 5:
                order.append(order_by_place(blob, answers))
        joined = b"".join(files.values())
        if sum(a in joined for a in answers) >= 5:
            copies.append(order_by_copies(joined, answers))
    return {"wal_links": wal_links, "place_links": place_links, "best_place": best_place,
            "order": sum(order) / len(order) if order else 0.0,
            "copies": sum(copies) / len(copies) if copies else 0.0}


def recognisable(i: int) -> str:
    return f"answer-{i:02d}-{secrets.token_hex(3)}"


# -- the storage this server used to have ----------------------------------------------------------

OLD_SCHEMA = """
    CREATE TABLE rooms (code TEXT PRIMARY KEY, key_hash TEXT NOT NULL, agenda TEXT NOT NULL,
        created_at INTEGER NOT NULL, status TEXT NOT NULL, state TEXT NOT NULL);
    CREATE TABLE attendees (id TEXT PRIMARY KEY, code TEXT NOT NULL REFERENCES rooms(code),
        token_hash TEXT NOT NULL UNIQUE, name TEXT NOT NULL, joined_at INTEGER NOT NULL,
        agreed INTEGER NOT NULL, status TEXT NOT NULL, away_since INTEGER,
        moment INTEGER NOT NULL DEFAULT 0);
    CREATE INDEX attendees_by_room ON attendees(code);
    CREATE TABLE responses (id TEXT PRIMARY KEY, code TEXT NOT NULL REFERENCES rooms(code),
        answers TEXT NOT NULL) WITHOUT ROWID;
    CREATE INDEX responses_by_room ON responses(code);
    CREATE TABLE answered (code TEXT NOT NULL REFERENCES rooms(code), attendee_id TEXT NOT NULL,
        PRIMARY KEY (code, attendee_id)) WITHOUT ROWID;
"""


def old_storage(folder: Path, texts: list[str], order: list[int]) -> tuple[list[dict[str, bytes]], list[str]]:
    """Write answers as the old Store.save did: response and has-answered row in one WAL commit."""
    db_path = folder / "old.db"
    db = sqlite3.connect(db_path, isolation_level=None)
    for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "foreign_keys=ON", "secure_delete=ON"):
        db.execute(f"PRAGMA {pragma}")
    db.executescript(OLD_SCHEMA)
    db.execute("INSERT INTO rooms VALUES ('OLDOLD', 'h', '{}', 0, 'open', '{\"responses\": 0}')")
    ids = ["a_" + secrets.token_hex(8) for _ in texts]
    for joined in sorted(range(len(ids)), key=lambda _: random.random()):
        db.execute("INSERT INTO attendees VALUES (?, 'OLDOLD', ?, ?, 0, 1, 'present', NULL, 0)",
                   [ids[joined], secrets.token_hex(32), f"Person {joined}"])
    snapshots = []
    for count, who in enumerate(order, start=1):
        db.execute("BEGIN")
        db.execute("UPDATE rooms SET state = ? WHERE code = 'OLDOLD'", [json.dumps({"responses": count})])
        db.execute("INSERT INTO responses (id, code, answers) VALUES (?, 'OLDOLD', ?)",
                   [secrets.token_hex(16), json.dumps({"overall": 4, "anything": texts[who]})])
        db.execute("INSERT INTO answered (code, attendee_id) VALUES ('OLDOLD', ?)", [ids[who]])
        db.execute("COMMIT")
        snapshots.append(snapshot(db_path))
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    snapshots.append(snapshot(db_path))
    return snapshots, ids


def test_the_attacks_link_and_order_every_answer_in_the_old_storage(tmp_path):
    texts = [recognisable(i) for i in range(PEOPLE)]
    order = random.sample(range(PEOPLE), PEOPLE)
    snapshots, ids = old_storage(tmp_path, texts, order)
    # In submission order: answer k was given by person k.
    answers = [texts[who].encode() for who in order]
    people = [[ids[who].encode()] for who in order]
    found = attack(snapshots, answers, people)
    every_link = PEOPLE * (PEOPLE + 1) // 2
    assert found["wal_links"] == every_link, "each commit pairs one new answer with one new person"
    assert found["best_place"] == PEOPLE, "after the checkpoint, places pair answers with people"
    assert abs(found["order"]) > 0.9, "places in the file follow submission order"
    assert found["copies"] < -0.8, "older answers lie in more stale copies"
    final = snapshots[-1]["main"]
    assert order_by_place(final, answers) < -0.99, "the checkpointed file lists answers newest first"


# -- the server's own storage --------------------------------------------------------------------

@pytest.mark.server
def test_the_attacks_learn_nothing_from_the_ballot_box_of_a_real_server(server):
    workshop = server.create_workshop("quick-connect")
    code = workshop["code"]
    console = facilitator(server, workshop)
    phones = [attendee(server, code, f"Person {i}") for i in range(PEOPLE)]
    assert console.send("open_feedback") == {"ok": True}
    questions = console.wait_for(lambda c: c.latest("room")["step"].get("questions"))
    text_id = next(q["id"] for q in questions if q["type"] == "text")
    secret = (server.db.parent / "instance" / "secret.key").read_text().strip()
    order = random.sample(range(PEOPLE), PEOPLE)
    texts = {who: recognisable(who) for who in order}
    snapshots = []
    for who in order:
        sent = {q["id"]: 1 + who % 5 if q["type"] == "scale" else q["options"][0]
                for q in questions if q["type"] in ("scale", "single")} | {text_id: texts[who]}
        assert phones[who].send("send_feedback", {"answers": sent}) == {"ok": True}
        snapshots.append(snapshot(server.db))
    assert console.send("close_feedback") == {"ok": True}
    snapshots.append(snapshot(server.db))
    assert console.send("end_workshop") == {"ok": True}
    snapshots.append(snapshot(server.db))

    answers = [texts[who].encode() for who in order]
    # The attacker is granted even the server's secret: each person by id and by mark.
    people = [[phones[who].id.encode(), mark(secret, code, phones[who].id).encode()] for who in order]
    for files in snapshots:
        assert not {"-journal", ".feedback-journal"} & set(files), "no journal between requests"
        for name in ("main", "-wal", "-shm"):
            assert not any(a in files.get(name, b"") for a in answers), f"an answer in {name}"
        box = files[".feedback"]
        assert all(box.count(a) <= 1 for a in answers), "a stale copy of an answer survived"
    assert all(snapshots[-1][".feedback"].count(a) == 1 for a in answers)
    assert not any(x in snapshots[-1][".feedback"] for ids in people for x in ids), "forgotten at the end"

    found = attack(snapshots, answers, people)
    assert found["wal_links"] == 0
    assert found["copies"] == 0.0, "every answer lies exactly once"
    # By chance alone, pairing a shuffled bag with a sorted list gets about one right per
    # snapshot; the old storage got all 12 right from its one checkpointed file.
    assert found["place_links"] <= 3 * len(snapshots), found
    assert found["best_place"] <= PEOPLE // 2, found
    assert abs(found["order"]) < 0.5, found


def test_an_older_database_moves_its_answers_out_and_keeps_no_trace_of_them(tmp_path):
    db_path = tmp_path / "older.db"
    db = sqlite3.connect(db_path, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    for script in MIGRATIONS[:2]:
        db.executescript(script)
    db.execute("PRAGMA user_version=2")
    room = Room("OLDROO", "h", parse_agenda(SAMPLE_AGENDA, name="old", file="old.yaml"), 0, Settings())
    db.execute("INSERT INTO rooms VALUES ('OLDROO', 'h', ?, 0, 'open', ?)",
               [json.dumps(room.agenda.to_dict()), _room_state(room)])
    texts = [recognisable(i) for i in range(6)]
    for i, text in enumerate(texts):
        db.execute("INSERT INTO attendees VALUES (?, 'OLDROO', ?, ?, 0, 1, 'away', 0, 0)",
                   [f"a_{i:016x}", f"t{i}", f"P{i}"])
        db.execute("INSERT INTO responses VALUES (?, 'OLDROO', ?)",
                   [secrets.token_hex(16), json.dumps({"x": text})])
        db.execute("INSERT INTO answered VALUES ('OLDROO', ?)", [f"a_{i:016x}"])
    db.close()

    store = Store(db_path, secret="s")
    loaded = store.load_room("OLDROO")
    assert loaded.answered == {f"a_{i:016x}" for i in range(6)} and loaded.responses == 6
    files = snapshot(db_path)
    for name in ("main", "-wal", "-shm"):
        assert not any(t.encode() in files.get(name, b"") for t in texts), name
    assert all(files[".feedback"].count(t.encode()) == 1 for t in texts)
    assert store.results("OLDROO", 5, closed=True)[1] == 0, "closed: six waiting answers are published"
    store.db.conn.close()
    assert Store(db_path, secret="s").load_room("OLDROO").responses == 6, "moved only once"
