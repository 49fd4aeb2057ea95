"""Organizer access: revocable sign-ins, a limit on wrong keys, Secure cookies, owner-only files, quiet logs.

Sessions, limits and cookies run in process through Flask's test client; the printed key, the
file modes and the log need a real `python -m workshop` process.
"""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest
import requests

from workshop.shell.keys import digest, report_key

from .in_process import ORGANIZER_KEY as KEY
from .in_process import make_app
from .support import Server, attendee, facilitator

HOUR_MS = 3600 * 1000


@pytest.fixture
def apps(tmp_path):
    """Make apps on one database file, as successive starts of one server, and stop them afterwards."""
    made = []

    def make(**config):
        app = make_app(tmp_path, **config)
        made.append(app)
        return app

    yield make
    for app in made:
        app.extensions["workshop"].stop()


def signed_in(app, key: str = KEY, **environ):
    client = app.test_client()
    answer = client.post("/organizer", data={"key": key}, environ_base=environ)
    assert answer.status_code == 303, answer.status_code
    return client


def session_cookie(client) -> str:
    return client.get_cookie("session").value


def with_cookie(app, cookie: str):
    """A new browser that holds a copy of another browser's session cookie."""
    client = app.test_client()
    client.set_cookie("session", cookie)
    return client


def sees_every_workshop(client) -> bool:
    page = client.get("/organizer")
    return page.status_code == 200 and "Every workshop" in page.get_data(as_text=True)


def new_workshop(client) -> str:
    made = client.post("/api/workshops", json={"agenda": "quick-connect"})
    assert made.status_code == 201
    return made.get_json()["code"]


# -- sessions ------------------------------------------------------------------------------------

def test_a_cookie_copied_before_logout_is_refused_after_logout(apps):
    app = apps()
    organizer = signed_in(app)
    code = new_workshop(organizer)
    stolen = session_cookie(organizer)
    thief = with_cookie(app, stolen)
    assert sees_every_workshop(thief) and thief.get(f"/reports/{code}.csv").status_code == 200
    assert organizer.post("/organizer/logout").status_code == 303
    thief = with_cookie(app, stolen)
    assert not sees_every_workshop(thief)
    assert code not in thief.get("/organizer").get_data(as_text=True)
    assert thief.get(f"/reports/{code}").status_code == 403
    for ext in ("csv", "xlsx", "pdf"):
        assert thief.get(f"/reports/{code}.{ext}").status_code == 403, ext
    assert not sees_every_workshop(organizer)


def test_logging_out_ends_only_that_sign_in(apps):
    app = apps()
    first, second = signed_in(app), signed_in(app)
    first.post("/organizer/logout")
    assert sees_every_workshop(second) and not sees_every_workshop(first)


def test_a_cookie_issued_before_a_key_change_is_refused_after_a_restart_with_the_new_key(apps):
    before = apps()
    organizer = signed_in(before)
    code = new_workshop(organizer)
    stolen = session_cookie(organizer)
    before.extensions["workshop"].stop()
    # A restart with the same key keeps the sign-in: what ends it below is the key change.
    same_key = apps()
    assert sees_every_workshop(with_cookie(same_key, stolen))
    same_key.extensions["workshop"].stop()
    after = apps(ORGANIZER_KEY="a-new-organizer-key")
    thief = with_cookie(after, stolen)
    assert not sees_every_workshop(thief)
    assert thief.get(f"/reports/{code}.csv").status_code == 403
    assert after.test_client().post("/organizer", data={"key": KEY}).status_code == 403
    assert sees_every_workshop(signed_in(after, "a-new-organizer-key"))
    # Changing the key back does not bring the old sign-in back to life.
    again = apps()
    assert not sees_every_workshop(with_cookie(again, stolen))


def test_an_old_style_cookie_that_only_says_organizer_is_refused(apps):
    app = apps()
    forged = app.test_client()
    with forged.session_transaction() as session:
        session["organizer"] = True
    assert not sees_every_workshop(forged)


def test_a_sign_in_unused_for_twelve_hours_ends_and_one_in_use_lasts_a_week(apps):
    app = apps()
    now = [1_700_000_000_000]
    app.extensions["workshop"].clock.now = lambda: now[0]
    idle, busy = signed_in(app), signed_in(app)
    for _ in range(15):  # 165 hours, never 12 of them idle
        now[0] += 11 * HOUR_MS
        assert sees_every_workshop(busy)
    assert not sees_every_workshop(idle)
    now[0] += 3 * HOUR_MS  # a week since sign-in
    assert not sees_every_workshop(busy)


def test_the_idle_time_is_a_setting(apps):
    app = apps(ORGANIZER_IDLE_HOURS=1)
    now = [1_700_000_000_000]
    app.extensions["workshop"].clock.now = lambda: now[0]
    organizer = signed_in(app)
    now[0] += HOUR_MS - 1
    assert sees_every_workshop(organizer)
    now[0] += HOUR_MS
    assert not sees_every_workshop(organizer)
    assert app.config["PERMANENT_SESSION_LIFETIME"].total_seconds() == 3600


def test_the_cookie_carries_a_random_id_whose_hash_alone_is_stored(apps, tmp_path):
    app = apps()
    organizer = signed_in(app)
    sid = app.session_interface.get_signing_serializer(app).loads(session_cookie(organizer))["organizer"]
    assert isinstance(sid, str) and len(sid) >= 32
    app.extensions["workshop"].stop()
    stored = b"".join(p.read_bytes() for p in tmp_path.glob("test.db*"))
    assert sid.encode() not in stored and digest(sid).encode() in stored
    assert KEY.encode() not in stored


# -- the limit on wrong keys ------------------------------------------------------------------------

def test_wrong_keys_from_one_address_are_limited_with_a_clear_429(apps):
    app = apps()
    guesser = app.test_client()
    for i in range(5):
        assert guesser.post("/organizer", data={"key": f"guess {i}"}).status_code == 403
    limited = guesser.post("/organizer", data={"key": "guess 5"})
    assert limited.status_code == 429
    assert limited.headers["Retry-After"] == "60"
    assert "Too many wrong keys" in limited.get_data(as_text=True)
    # While limited the key is not even compared, so guessing stays slow; the organizer waits a minute.
    assert guesser.post("/organizer", data={"key": KEY}).status_code == 429
    elsewhere = app.test_client()
    assert elsewhere.post("/organizer", data={"key": KEY},
                          environ_base={"REMOTE_ADDR": "10.0.0.7"}).status_code == 303


def test_a_few_typos_then_the_right_key_signs_in(apps):
    app = apps()
    organizer = app.test_client()
    for i in range(4):
        assert organizer.post("/organizer", data={"key": f"typo {i}"}).status_code == 403
    assert organizer.post("/organizer", data={"key": KEY}).status_code == 303
    assert sees_every_workshop(organizer)


@pytest.mark.parametrize("hops, separate", [(1, True), (0, False)])
def test_the_limit_counts_the_address_the_trusted_proxy_names(apps, hops, separate):
    app = apps(PROXY_HOPS=hops)
    client = app.test_client()
    for i in range(5):
        client.post("/organizer", data={"key": "guess"}, headers={"X-Forwarded-For": f"192.0.2.{i}"})
    other = client.post("/organizer", data={"key": KEY}, headers={"X-Forwarded-For": "198.51.100.9"})
    assert other.status_code == (303 if separate else 429)


# -- cookies -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("hops, proto, public_url, secure", [
    (1, "https", None, True),
    (1, "http", None, False),
    (0, "https", None, False),  # an untrusted header is ignored
    (0, None, None, False),
    (0, None, "https://workshop.example.org", True),
    (2, "https, http", None, True),  # two proxies: the outer one saw https
])
def test_the_session_cookie_is_secure_whenever_the_request_came_over_https(apps, hops, proto, public_url,
                                                                         secure):
    app = apps(PROXY_HOPS=hops, PUBLIC_URL=public_url)
    headers = {"X-Forwarded-Proto": proto, "X-Forwarded-For": "192.0.2.1, 192.0.2.2"} if proto else {}
    answer = app.test_client().post("/organizer", data={"key": KEY}, headers=headers)
    assert answer.status_code == 303
    cookie = answer.headers["Set-Cookie"]
    assert ("; Secure" in cookie) is secure, cookie
    assert "; HttpOnly" in cookie and "; SameSite=Lax" in cookie


def test_a_shared_report_link_cookie_is_secure_behind_an_https_proxy(apps):
    app = apps(PROXY_HOPS=1)
    code = new_workshop(app.test_client())
    assert app.test_client().get(f"/reports/{code}").status_code == 403
    link_key = report_key(app.config["SECRET_KEY"], code)
    answer = app.test_client().post(f"/reports/{code}/unlock", json={"key": link_key},
                                    headers={"X-Forwarded-Proto": "https"})
    assert answer.status_code == 200 and "; Secure" in answer.headers["Set-Cookie"]


# -- a real server: the printed key, file modes, the log ---------------------------------------------

def mode(path: Path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.fixture
def permissive_umask():
    """Start servers under the common umask 022, under which plain files come out 0644."""
    old = os.umask(0o022)
    yield
    os.umask(old)


def keyless_server(tmp_path: Path) -> Server:
    """A server (not started) whose environment sets no organizer key, so that it makes its own."""
    server = Server(tmp_path / "server.db")
    del server.env["WORKSHOP_ORGANIZER_KEY"]
    return server


@pytest.mark.server
def test_the_organizer_key_is_printed_once_when_made_and_never_again(tmp_path, permissive_umask):
    server = keyless_server(tmp_path)
    server.start()
    try:
        key_file = tmp_path / "instance" / "organizer.key"
        key = key_file.read_text().strip()
        assert len(key) >= 32
        first = server.output()
        assert first.count(key) == 1 and "shown only this once" in first
        signed = requests.Session()
        assert signed.post(server.url + "/organizer", data={"key": key}, timeout=5).status_code == 200
    finally:
        server.stop()
    for _ in range(2):
        server.start()
        server.stop()
    log = server.output()
    assert log.count(key) == 1
    assert log.count(f"kept in {key_file} (never printed again)") == 2


@pytest.mark.server
def test_a_key_set_in_the_environment_is_never_printed_nor_written(tmp_path):
    server = Server(tmp_path / "server.db").start()
    server.stop()
    assert KEY not in server.output() and "set by WORKSHOP_ORGANIZER_KEY" in server.output()
    assert not (tmp_path / "instance" / "organizer.key").exists()


@pytest.mark.server
def test_the_database_its_wal_and_shm_and_every_key_file_are_owner_only(tmp_path, permissive_umask):
    server = keyless_server(tmp_path)
    server.start()
    try:
        workshop = server.create_workshop()
        server.join(workshop["code"], "Ana")
        files = [server.db, Path(f"{server.db}-wal"), Path(f"{server.db}-shm"),
                 tmp_path / "instance" / "secret.key", tmp_path / "instance" / "organizer.key"]
        assert os.path.getsize(files[1]) > 0, "the WAL has been written"
        for path in files:
            assert mode(path) == 0o600, (path.name, oct(mode(path)))
        assert mode(tmp_path / "instance") & 0o077 == 0
    finally:
        server.stop()


# Answers no log may echo: distinctive words in several scripts, and an attendee's id beside them.
ANSWERS = ["Quillwort-{i} remembers the lighthouse", "مرحبا-{i} بالجميع", "紫藤-{i} 花开",
           "Ελπίδα-{i} πάντα", "🦉-{i} 🌊"]


@pytest.mark.server
def test_no_log_line_reveals_anything_about_answers(tmp_path):
    # With the access log on: the most a deployment can be told to log.
    server = Server(tmp_path / "server.db", "--time-scale", "0.01", "--access-log").start()
    console, phones = None, []
    try:
        workshop = server.create_workshop("quick-connect")
        console = facilitator(server, workshop)
        phones = [attendee(server, workshop["code"], f"Reader {i}") for i in range(6)]
        assert console.send("open_feedback") == {"ok": True}
        questions = console.wait_for(lambda c: c.latest("room")["step"].get("questions"))
        texts = []
        for i, phone in enumerate(phones):
            text = ANSWERS[i % len(ANSWERS)].format(i=i)
            texts.append(text)
            sent = {q["id"]: {"scale": 1 + i % 5, "text": text}.get(q["type"], (q.get("options") or [""])[0])
                    for q in questions if q["type"] != "multiple"}
            assert phone.send("send_feedback", {"answers": sent}) == {"ok": True}
        assert phones[0].send("send_feedback", {"answers": {}})["code"] == "already_answered"
        assert console.send("close_feedback") == {"ok": True}
        organizer = requests.Session()
        organizer.post(server.url + "/organizer", data={"key": KEY}, timeout=5)
        base = f"{server.url}/reports/{workshop['code']}"
        page = organizer.get(base, timeout=10)
        assert texts[0] in page.text, "the report shows the answers, so the log had its chance"
        for ext in ("csv", "xlsx", "pdf"):
            assert organizer.get(f"{base}.{ext}", timeout=30).status_code == 200, ext
        assert console.send("end_workshop") == {"ok": True}
        organizer.get(f"{base}.pdf", timeout=30)
    finally:
        for phone in [*phones, *([console] if console else [])]:
            phone.close()
        server.stop()
    log = server.output()
    for text in texts:
        for piece in (text, json.dumps(text)[1:-1], text.split("-")[0]):
            assert piece not in log, piece
    for phone in phones:
        assert phone.id not in log and phone.token not in log
    assert "Reader" not in log and KEY not in log
    assert "glyph" not in log.lower() and "fontTools" not in log
