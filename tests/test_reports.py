"""Anonymous feedback end to end, in process: answers, the database, the report and its downloads."""

import csv
import io
import json
import sqlite3

import openpyxl
import pypdf

from .in_process import ORGANIZER_KEY, Logged, attendee, create_workshop, facilitator


def organizer_session(app):
    """Return Flask's test client signed in as the organizer."""
    session = app.test_client()
    signed_in = session.post("/organizer", data={"key": ORGANIZER_KEY}, follow_redirects=True)
    assert signed_in.status_code == 200 and "Every workshop" in signed_in.get_data(as_text=True)
    return session


def answers(i: int, questions: list[dict]) -> dict:
    """Return attendee i's answers: scales by i, the first option, and a note (a formula for the first)."""
    note = f"=cmd|' /C calc'!A{i}" if i == 0 else f"Thanks {i} 🌿"
    kinds = {"scale": 1 + i % 5, "text": note}
    return {q["id"]: kinds.get(q["type"], q.get("options", [None])[0]) for q in questions
            if q["type"] != "multiple"}


def run_feedback(app, people: int, close: bool = True):
    workshop = create_workshop(app.test_client(), "quick-connect")
    console = facilitator(app, workshop)
    phones = [attendee(app, workshop["code"], f"Person {i}") for i in range(people)]
    assert console.send("open_feedback") == {"ok": True}
    questions = console.sees(lambda c: c.latest("room")["step"]["kind"] == "feedback"
                             and c.latest("room")["step"]["questions"])
    for i, phone in enumerate(phones):
        sent = answers(i, questions)
        assert phone.send("send_feedback", {"answers": sent}) == {"ok": True}, sent
    if close:
        assert console.send("close_feedback") == {"ok": True}
    return workshop, console, phones


def test_the_quick_connect_form_has_a_scale_and_a_free_text_question(app, client):
    workshop = create_workshop(client, "quick-connect")
    console = facilitator(app, workshop)
    console.send("open_feedback")
    questions = console.sees(lambda c: c.latest("room")["step"].get("questions"))
    assert {"scale", "text"} <= {q["type"] for q in questions}


def test_an_attendee_answers_once_and_the_facilitator_sees_only_the_count(app):
    workshop, console, phones = run_feedback(app, 2, close=False)
    again = phones[0].send("send_feedback", {"answers": {}})
    assert again["ok"] is False and again["code"] == "already_answered"
    count = console.sees(lambda c: (c.latest("feedback_count") or {}).get("responses") == 2
                         and c.latest("feedback_count"))
    assert set(count) == {"responses", "open"}
    assert phones[1].latest("you")["attendee"]["answered"] is True


def test_bad_answers_are_refused_with_the_question_named(app, client):
    workshop = create_workshop(client, "quick-connect")
    console = facilitator(app, workshop)
    phone = attendee(app, workshop["code"], "Ana")
    console.send("open_feedback")
    questions = phone.sees(lambda p: p.latest("room")["step"].get("questions"))
    scale = next(q for q in questions if q["type"] == "scale")
    reply = phone.send("send_feedback", {"answers": {**answers(1, questions), scale["id"]: True}})
    assert reply["ok"] is False and reply["code"] == "bad_answers"
    assert phone.send("send_feedback", {"answers": answers(1, questions)})["ok"] is True


def test_the_database_holds_nothing_that_links_an_answer_to_a_person(app):
    run_feedback(app, 6)
    path = app.config["DB"]
    db = sqlite3.connect(path)
    tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert not tables & {"responses", "answered"}, "the main file keeps only the count"
    secrets = {value for row in db.execute("SELECT id, token_hash, name FROM attendees") for value in row}
    box = sqlite3.connect(f"{path}.feedback")
    kinds = {kind: json.loads(body) for kind, body in box.execute("SELECT kind, body FROM bags")}
    assert set(kinds) == {"pending", "published", "answered"}
    assert len(kinds["published"]) == 6 and kinds["pending"] == []
    assert kinds["answered"] == sorted(kinds["answered"]) and len(kinds["answered"]) == 6
    stored = box.execute("SELECT group_concat(body) FROM bags").fetchone()[0]
    assert not any(secret in stored for secret in secrets)


def test_below_the_threshold_every_format_shows_only_the_count(app):
    workshop, _, _ = run_feedback(app, 3)
    session = organizer_session(app)
    base = f"/reports/{workshop['code']}"
    page = session.get(base).get_data(as_text=True)
    assert "3 responses" in page and "Thanks 1" not in page
    text = session.get(base + ".csv").get_data().decode("utf-8-sig")
    assert "Thanks" not in text and "3" in text
    book = openpyxl.load_workbook(io.BytesIO(session.get(base + ".xlsx").get_data()))
    cells = [c for sheet in book for row in sheet.iter_rows(values_only=True) for c in row if c]
    assert not any("Thanks" in str(c) for c in cells)
    pdf = pypdf.PdfReader(io.BytesIO(session.get(base + ".pdf").get_data()))
    assert "Thanks" not in "".join(page.extract_text() for page in pdf.pages)


def test_a_closed_form_with_enough_answers_is_reported_in_every_format(app):
    workshop, _, _ = run_feedback(app, 6)
    session = organizer_session(app)
    code = workshop["code"]
    page = session.get(f"/reports/{code}")
    assert page.status_code == 200
    assert "Thanks 1 🌿" in page.get_data(as_text=True) and "<svg" in page.get_data(as_text=True)
    download = session.get(f"/reports/{code}.csv").get_data().decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(download)))
    details, rows = dict(rows[:rows.index([])]), rows[rows.index([]) + 1:]
    assert details["Code"] == code and details["Joined"] == "6"
    assert details["Responses in these results"] == "6"
    assert len(rows) == 1 + 6
    flat = [cell for row in rows for cell in row]
    assert "Thanks 5 🌿" in flat
    assert not any(cell.startswith("=") for cell in flat), "formula injection neutralised"
    book = openpyxl.load_workbook(io.BytesIO(session.get(f"/reports/{code}.xlsx").get_data()))
    assert {"Summary", "Responses"} <= set(book.sheetnames)
    assert book["Responses"].max_row == 7
    pdf = session.get(f"/reports/{code}.pdf")
    assert pdf.headers["Content-Disposition"].startswith("attachment")
    pages = pypdf.PdfReader(io.BytesIO(pdf.get_data())).pages
    assert "Feedback" in "".join(p.extract_text() for p in pages)


def test_reports_need_the_organizer_key_or_the_shared_link(app):
    workshop, console, _ = run_feedback(app, 5)
    code = workshop["code"]
    stranger = app.test_client()
    assert stranger.get(f"/reports/{code}.csv").status_code == 403
    assert stranger.post("/organizer", data={"key": "guess"}).status_code == 403
    assert stranger.post(f"/reports/{code}/unlock", json={"key": "guess"}).status_code == 403
    shared = console.latest("console")["report_url"]
    key = shared.split("#key=")[1]
    assert stranger.post(f"/reports/{code}/unlock", json={"key": key}).get_json() == {"ok": True}
    assert stranger.get(f"/reports/{code}.csv").status_code == 200
    other = create_workshop(app.test_client(), "quick-connect")["code"]
    assert stranger.get(f"/reports/{other}.csv").status_code == 403


def test_the_organizer_lists_every_workshop_newest_first(app, client):
    first = create_workshop(client, "quick-connect")["code"]
    second = create_workshop(client, "heart-to-heart")["code"]
    page = organizer_session(app).get("/organizer").get_data(as_text=True)
    assert page.index(second) < page.index(first)


def test_answers_never_reach_the_log(app):
    with Logged() as log:
        run_feedback(app, 5)
    assert log.records, "the app logged nothing: the check would be empty"
    assert "Thanks 3" not in log.since()
    assert json.dumps("Thanks 3")[1:-1] not in log.since()
