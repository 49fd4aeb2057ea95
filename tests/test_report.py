import csv
import io
import re
import xml.etree.ElementTree as ET
from datetime import UTC, datetime

import openpyxl
import pytest
from pypdf import PdfReader

from workshop.core.feedback import summarize
from workshop.core.report import report_filename, to_csv, to_pdf, to_xlsx
from workshop.core.report.chart import attendance_svg, distribution_svg, rounds_svg

from .samples import QUESTIONS

pytestmark = pytest.mark.spread  # independent tests: pytest-xdist may share them out

START = int(datetime(2026, 11, 27, 18, 0, tzinfo=UTC).timestamp() * 1000)
MINUTE = 60_000
FORMULA_STARTS = ["=", "+", "-", "@", "\t", "\r"]
WORLD = ["Zoë", "李", "😊", "مرحبا بكم", "Zoë 李 😊 مرحبا"]
# With no font given the PDF uses a core font, as on a machine without DejaVu.
FONT_CHOICES = pytest.mark.parametrize("fonts", ["found", "none"])


def response(i, anything=None):
    answer = {"overall": 1 + i % 5, "length": QUESTIONS[1]["options"][i % 3],
              "helped": ["The agreements", "The timer"][: i % 3]}
    if anything is not None:
        answer["anything"] = anything
    return answer


def make_report(answers, *, threshold=5, closed=True, questions=QUESTIONS, title="Heart to Heart"):
    """Assemble a report as the server does; responses are filled even when hidden."""
    published, pending = (answers, 0) if closed else ([], len(answers))
    feedback = summarize(questions, published, threshold=threshold, pending=pending)
    return {
        "workshop": {"code": "K7QF3M", "title": title, "agenda": "heart-to-heart",
                     "started_at": START, "ended_at": START + 70 * MINUTE, "status": "ended"},
        "attendance": {"joined": 23, "peak": 21, "timeline": [[START, 0], [START + MINUTE, 12],
                                                              [START + 5 * MINUTE, 21],
                                                              [START + 60 * MINUTE, 18]]},
        "rounds": {"held": 3, "groups": [11, 11, 10]},
        "feedback": feedback,
        "responses": answers,
        "questions": questions,
    }


def visible_report(texts, **kwargs):
    return make_report([response(i, text) for i, text in enumerate(texts)], **kwargs)


def csv_parts(data: bytes) -> tuple[list[list[str]], list[list[str]]]:
    """Split a CSV download into its details block and its table, at the blank row between them."""
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data[3:].decode("utf-8"), newline="")))
    blank = rows.index([])
    return rows[:blank], rows[blank + 1:]


def csv_rows(data: bytes) -> list[list[str]]:
    return csv_parts(data)[1]


def xlsx_sheets(data: bytes) -> dict[str, list[tuple]]:
    book = openpyxl.load_workbook(io.BytesIO(data))
    return {sheet.title: list(sheet.iter_rows(values_only=True)) for sheet in book}


def xlsx_cells(data: bytes):
    book = openpyxl.load_workbook(io.BytesIO(data))
    return [cell for sheet in book for row in sheet.iter_rows() for cell in row]


def pdf_text(data: bytes) -> str:
    assert data.startswith(b"%PDF")
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def make_pdf(report, fonts):
    return to_pdf(report) if fonts == "found" else to_pdf(report, fonts=())


def test_download_names_carry_agenda_code_and_day():
    report = make_report([])
    assert report_filename(report, "csv") == "heart-to-heart-K7QF3M-2026-11-27.csv"
    report["workshop"]["agenda"] = "../Quick Connect!"
    assert report_filename(report, ".XLSX") == "quick-connect-K7QF3M-2026-11-27.xlsx"


def test_csv_has_a_header_of_question_texts_and_one_row_per_response():
    rows = csv_rows(to_csv(visible_report(["a", "b", None, "d", "e"])))
    assert rows[0] == [q["text"] for q in QUESTIONS]
    assert rows[1:] == [
        ["1", "Too short", "", "a"],
        ["2", "About right", "The agreements", "b"],
        ["3", "Too long", "The agreements; The timer", ""],
        ["4", "Too short", "", "d"],
        ["5", "About right", "The agreements", "e"],
    ]


def test_csv_starts_with_the_workshops_details_and_never_counts_what_waits():
    report = visible_report(["a", "b", None, "d", "e"])
    report["feedback"]["pending"] = 3  # answers waiting to be published are not in the download
    details = dict(csv_parts(to_csv(report))[0])
    assert details["Workshop"] == report["workshop"]["title"] and details["Code"] == "K7QF3M"
    assert details["Agenda"] == "heart-to-heart"
    assert re.fullmatch(r"2026-11-27T\d\d:\d\d:\d\d\+00:00", details["Started"])
    assert details["Joined"] == "23" and details["Most present at once"] == "21"
    assert details["Rounds held"] == "3" and details["Round 3: groups formed"] == "10"
    assert details["Responses in these results"] == "5"
    assert "8" not in details.values() and not any("wait" in v for v in details.values())
    report["feedback"]["pending"] = 4
    assert to_csv(report) == to_csv({**report, "feedback": {**report["feedback"], "pending": 0}})


def test_xlsx_has_a_summary_and_one_response_row_each():
    sheets = xlsx_sheets(to_xlsx(visible_report(["a", "b", None, "d", "e"])))
    assert sheets["Responses"][0] == tuple(q["text"] for q in QUESTIONS)
    assert sheets["Responses"][3] == (3, "Too long", "The agreements; The timer", None)
    summary = {row[0]: row[1] for row in sheets["Summary"] if row[0]}
    assert summary["Code"] == "K7QF3M"
    assert summary["Joined"] == 23
    assert summary["Most present at once"] == 21
    assert summary["Round 3: groups formed"] == 10
    assert summary["Responses"] == 5
    assert summary["5 Very much"] == 1
    assert summary["Average (1 to 5)"] == 3.0
    assert summary["About right"] == 2


def test_pdf_shows_facts_charts_results_and_text_answers():
    text = pdf_text(to_pdf(visible_report(["kind words", "b", None, "d", "e"])))
    for expected in ["Heart to Heart", "K7QF3M", "23 joined", "at most 21 present",
                     "3 rounds held", "Round 3", "5 responses", "How was today for you?",
                     "5 Very much", "Average 3.00 of 5", "About right", "kind words"]:
        assert expected in text


@pytest.mark.parametrize("start", FORMULA_STARTS)
def test_csv_neutralises_formula_like_answers_and_headers(start):
    payload = start + "HYPERLINK(1)"
    questions = [*QUESTIONS[:3], {**QUESTIONS[3], "text": payload}]
    report = visible_report([payload] * 5, questions=questions)
    rows = csv_rows(to_csv(report))
    assert rows[0][3] == "'" + payload
    assert [row[3] for row in rows[1:]] == ["'" + payload] * 5


@pytest.mark.parametrize("start", FORMULA_STARTS)
def test_xlsx_neutralises_formula_like_text_in_every_sheet(start):
    payload = start + "HYPERLINK(1)"
    questions = [*QUESTIONS[:1], {**QUESTIONS[1], "options": [payload, "b"]},
                 {**QUESTIONS[2], "text": payload}, QUESTIONS[3]]
    answers = [{"overall": 3, "length": payload, "anything": payload}] * 5
    cells = xlsx_cells(to_xlsx(make_report(answers, questions=questions, title=payload)))
    assert not [cell for cell in cells if cell.data_type == "f"]
    stored = payload.replace("\r", "\n")  # XML parsers read a bare CR as LF
    found = [cell.value for cell in cells if isinstance(cell.value, str) and stored in cell.value]
    assert len(found) >= 9
    assert all(value == stored for value in found)
    assert all(cell.data_type == "s" and cell.quotePrefix for cell in cells
               if isinstance(cell.value, str) and stored in cell.value)


def test_xlsx_shows_a_lone_dash_as_text_without_an_apostrophe():
    report = make_report([])
    report["workshop"]["ended_at"] = None
    book = openpyxl.load_workbook(io.BytesIO(to_xlsx(report)))
    ended = next(row[1] for row in book["Summary"].iter_rows() if row[0].value == "Ended")
    assert (ended.value, ended.data_type, ended.quotePrefix) == ("-", "s", True)
    assert not [cell for cell in xlsx_cells(to_xlsx(report))
                if isinstance(cell.value, str) and cell.value.startswith("'")]


@FONT_CHOICES
@pytest.mark.parametrize("start", FORMULA_STARTS)
def test_pdf_shows_formula_like_answers_as_written_since_nothing_evaluates_them(start, fonts):
    payload = start + "HYPERLINK(1)"
    text = pdf_text(make_pdf(visible_report([payload] * 5), fonts))
    assert re.sub(r"\s", "", text).count(payload.strip()) == 5
    assert "'" + payload.strip() not in text


@pytest.mark.parametrize("word", WORLD)
def test_answers_and_titles_in_any_script_survive_csv_exactly(word):
    report = visible_report([word] * 5, title=word)
    assert [row[3] for row in csv_rows(to_csv(report))[1:]] == [word] * 5


@pytest.mark.parametrize("word", WORLD)
def test_answers_and_titles_in_any_script_survive_xlsx_exactly(word):
    sheets = xlsx_sheets(to_xlsx(visible_report([word] * 5, title=word)))
    assert [row[3] for row in sheets["Responses"][1:]] == [word] * 5
    assert sheets["Summary"][0][0] == word


@FONT_CHOICES
@pytest.mark.parametrize("word", WORLD)
def test_answers_and_titles_in_any_script_do_not_break_the_pdf(word, fonts):
    text = pdf_text(make_pdf(visible_report([word] * 5, title=word), fonts))
    assert "5 responses" in text


@FONT_CHOICES
def test_latin_names_survive_the_pdf_with_or_without_a_unicode_font(fonts):
    text = pdf_text(make_pdf(visible_report(["Zoë sagte: „schön“ – danke"] * 5), fonts))
    assert "Zoë" in text
    assert "schön" in text


@FONT_CHOICES
def test_odd_input_does_not_break_the_pdf(fonts):
    report = visible_report(["x" * 1000, "line\nbreaks\r\nand\ttabs", "\x00\x07", "", "ok"])
    report["rounds"] = {"held": 30, "groups": list(range(30))}
    report["attendance"]["timeline"] = [[START, 3]]
    report["workshop"].update(ended_at=None, status="open")
    assert "ok" in pdf_text(make_pdf(report, fonts))


SECRETS = [f"secret answer {i}" for i in range(4)]


@pytest.mark.parametrize("report", [
    make_report([response(i, s) for i, s in enumerate(SECRETS)]),
    make_report([response(i, s) for i, s in enumerate(SECRETS * 3)], closed=False),
], ids=["below-threshold", "form-still-open"])
class TestHiddenResults:
    def test_csv_shows_only_the_count(self, report):
        n = report["feedback"]["count"]
        assert csv_rows(to_csv(report)) == [["Responses", "Note"], [str(n), (
            f"{n} responses; results are shown once the form is closed "
            "and at least 5 people have answered.")]]

    def test_xlsx_shows_only_the_count(self, report):
        sheets = xlsx_sheets(to_xlsx(report))
        assert len(sheets["Responses"]) == 1
        assert "results are shown once" in sheets["Responses"][0][0]
        assert ("Responses", report["feedback"]["count"]) in sheets["Summary"]
        assert not any("secret" in repr(rows) for rows in sheets.values())
        assert "How was today" not in repr(sheets)

    @FONT_CHOICES
    def test_pdf_shows_only_the_count(self, report, fonts):
        text = pdf_text(make_pdf(report, fonts))
        assert f"{report['feedback']['count']} responses" in text
        assert "results are shown once" in re.sub(r"\s+", " ", text)
        assert "secret" not in text
        assert "How was today" not in text


def parse_svg(svg: str) -> ET.Element:
    root = ET.fromstring(svg)
    ns = "{http://www.w3.org/2000/svg}"
    assert root.tag == ns + "svg"
    assert root.get("role") == "img"
    assert root.find(ns + "title").text
    assert root.find(ns + "desc").text
    assert not list(root.iter(ns + "script"))
    return root


def every_chart(report):
    yield attendance_svg(report)
    yield rounds_svg(report)
    summaries = report["feedback"]["questions"]
    for summary, question in zip(summaries, report["questions"], strict=True):
        yield distribution_svg(summary, question)


def test_charts_are_well_formed_accessible_svg():
    for svg in every_chart(visible_report(["a"] * 5)):
        parse_svg(svg)


def test_charts_of_an_empty_workshop_are_well_formed_too():
    report = make_report([])
    report["attendance"] = {"joined": 0, "peak": 0, "timeline": []}
    report["rounds"] = {"held": 0, "groups": []}
    for svg in every_chart(report):
        assert "No " in svg or "not shown" in svg
        parse_svg(svg)


def test_chart_labels_are_escaped():
    evil = '<script>alert("hi")</script> & \x01'
    questions = [{**QUESTIONS[0], "text": evil, "labels": [evil] * 5},
                 {**QUESTIONS[1], "options": [evil, "b", "c"]}, *QUESTIONS[2:]]
    report = make_report([{"overall": 4, "length": evil}] * 5, questions=questions)
    for svg in every_chart(report):
        assert "<script" not in svg
        root = parse_svg(svg)
        assert not [el for el in root.iter() if el.tag.endswith("script")]
    assert "&lt;script&gt;" in distribution_svg(report["feedback"]["questions"][1], questions[1])


def test_scale_chart_marks_the_average_and_counts():
    report = visible_report(["a"] * 5)
    svg = distribution_svg(report["feedback"]["questions"][0], QUESTIONS[0])
    texts = [el.text for el in ET.fromstring(svg).iter() if el.text]
    assert "Average 3.00 of 5" in texts
    assert "5 Very much" in texts
    assert "Average 3.00 of 5" in ET.fromstring(svg)[1].text


def test_attendance_chart_describes_the_peak():
    assert "at most 21 present" in attendance_svg(make_report([]))


def test_attendance_within_one_minute_is_drawn_as_one_labelled_bar():
    report = make_report([])
    report["workshop"]["ended_at"] = None
    report["attendance"]["timeline"] = [[START, 0], [START + 20_000, 12], [START + 50_000, 21]]
    root = parse_svg(attendance_svg(report))
    ns = "{http://www.w3.org/2000/svg}"
    bars = [el for el in root.iter(ns + "rect") if el.get("class") == "bar"]
    assert len(bars) == 1 and float(bars[0].get("width")) > 0 and float(bars[0].get("height")) > 0
    texts = [el.text for el in root.iter(ns + "text")]
    assert "21 present" in texts and "2026-11-27 18:00 UTC" in texts
    assert "at most 21 present" in root.find(ns + "desc").text
