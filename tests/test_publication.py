"""Results that cannot be differenced: a reopened form publishes only in steps of k, in every format."""

from __future__ import annotations

import io
import re

import openpyxl
import pypdf

from .in_process import attendee, create_workshop, facilitator
from .test_reports import answers, organizer_session

K = 5


class Downloads:
    """Everything an organizer can see of one workshop's results, fetched at one moment."""

    def __init__(self, session, base: str):
        self.page = session.get(base).get_data(as_text=True)
        self.csv = session.get(base + ".csv").get_data()
        book = openpyxl.load_workbook(io.BytesIO(session.get(base + ".xlsx").get_data()))
        self.sheets = {sheet.title: [row for row in sheet.iter_rows(values_only=True)] for sheet in book}
        pdf = pypdf.PdfReader(io.BytesIO(session.get(base + ".pdf").get_data()))
        self.pdf = re.sub(r"\s+", " ", " ".join(page.extract_text() for page in pdf.pages))

    def data(self) -> dict:
        """Return the results themselves, without the counts and the note about waiting answers."""
        feedback = self.page[self.page.index('id="feedback-heading"'):]
        summary = [row for row in self.sheets["Summary"]
                   if row[0] not in ("Responses",) and "wait until" not in str(row[0])
                   and "waits until" not in str(row[0])]
        pdf = re.sub(r"\d+ responses?|These results show .*? one person's answer\.", "", self.pdf)
        pdf = re.sub(r"\s+", " ", pdf)
        return {"page": _without_notes(feedback), "csv": self.csv, "responses": self.sheets["Responses"],
                "summary": summary, "pdf": pdf}


def _without_notes(html: str) -> str:
    html = re.sub(r"<p>\d+ responses?\.</p>", "", html)
    html = re.sub(r'<p class="notice">These results show.*?</p>', "", html, flags=re.S)
    return re.sub(r"\s+", " ", html)


def test_a_reopened_form_shows_new_results_only_once_k_more_have_answered(app):
    workshop = create_workshop(app.test_client(), "quick-connect")
    code = workshop["code"]
    console = facilitator(app, workshop)
    phones = [attendee(app, code, f"Person {i}") for i in range(2 * K + 1)]
    assert console.send("open_feedback") == {"ok": True}
    questions = console.sees(lambda c: c.latest("room")["step"].get("questions"))
    session = organizer_session(app)
    base = f"/reports/{code}"

    def answer(who: range) -> None:
        for i in who:
            assert phones[i].send("send_feedback", {"answers": answers(i + 1, questions)}) == {"ok": True}

    def reopen_answer_close(who: range) -> Downloads:
        assert console.send("open_feedback") == {"ok": True}
        answer(who)
        assert console.send("close_feedback") == {"ok": True}
        return Downloads(session, base)

    answer(range(K))
    assert console.send("close_feedback") == {"ok": True}
    first = Downloads(session, base)
    assert "Thanks 5 🌿" in first.page and len(first.sheets["Responses"]) == 1 + K
    assert Downloads(session, base).data() == first.data(), "the same results, downloaded twice"

    # One more person answers on a reopened form: every format shows exactly the same results.
    one_more = reopen_answer_close(range(K, K + 1))
    assert one_more.data() == first.data()
    assert f"Thanks {K + 1} 🌿" not in one_more.page + one_more.pdf + repr(one_more.sheets)
    note = "1 newer answer waits until there are at least 5"
    assert note in one_more.page and note in one_more.pdf
    assert any(note in str(row[0]) for row in one_more.sheets["Summary"])

    # While the form is open again, the published results stay as they were.
    assert console.send("open_feedback") == {"ok": True}
    assert Downloads(session, base).data() == first.data()
    assert console.send("close_feedback") == {"ok": True}

    # Once k more wait, they are published together: the difference is k answers, never one.
    after = reopen_answer_close(range(K + 1, 2 * K))
    assert len(after.sheets["Responses"]) == 1 + 2 * K
    assert set(first.sheets["Responses"]) < set(after.sheets["Responses"])
    assert "newer answer" not in after.page
    assert all(f"Thanks {i} 🌿" in after.page for i in range(1, 2 * K + 1))


def test_results_below_k_stay_hidden_however_often_the_form_is_closed(app):
    workshop = create_workshop(app.test_client(), "quick-connect")
    code = workshop["code"]
    console = facilitator(app, workshop)
    phones = [attendee(app, code, f"Person {i}") for i in range(K - 1)]
    questions = None
    session = organizer_session(app)
    for phone in phones:
        assert console.send("open_feedback") == {"ok": True}
        questions = questions or console.sees(lambda c: c.latest("room")["step"].get("questions"))
        assert phone.send("send_feedback", {"answers": answers(phones.index(phone) + 1, questions)})["ok"]
        assert console.send("close_feedback") == {"ok": True}
        seen = Downloads(session, f"/reports/{code}")
        assert "Thanks" not in seen.page + seen.pdf + seen.csv.decode("utf-8-sig") + repr(seen.sheets)
