"""Workshop reports as tables: the CSV and XLSX downloads.

openpyxl is imported when a spreadsheet is written, not with the server: it is a twentieth of a
second of every start, for a download an organizer asks for once a workshop.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime

from ..feedback import FORMULA_STARTS, neutralize_cell
from . import chart
from .words import ENGLISH, UNWRITABLE, details, facts, hidden_note, iso, pending_note, visible


def report_filename(report: dict, ext: str) -> str:
    """Name a download like heart-to-heart-K7QF3M-2026-11-27.csv."""
    workshop = report["workshop"]
    agenda = re.sub(r"[^a-z0-9]+", "-", str(workshop.get("agenda") or "").lower()).strip("-")
    code = re.sub(r"[^A-Za-z0-9]", "", str(workshop.get("code") or "")).upper()
    started = workshop.get("started_at")
    day = datetime.fromtimestamp(started / 1000, UTC).strftime("%Y-%m-%d") if started else ""
    ext = re.sub(r"[^a-z0-9]", "", ext.lower())
    return "-".join(part for part in (agenda or "workshop", code, day) if part) + "." + ext


def to_csv(report: dict, say=ENGLISH) -> bytes:
    """Write the workshop's details (label, value), a blank row, then one row per response under a
    header of question texts (UTF-8 with BOM), in `say`'s language."""
    out = io.StringIO(newline="")
    writer = csv.writer(out)
    for row in [*details(report, say), ()]:
        writer.writerow([_safe(cell) for cell in row])
    if visible(report):
        header, rows = _response_table(report)
    else:
        header = [say.gettext("Responses"), say.gettext("Note")]
        rows = [[report["feedback"]["count"], hidden_note(report, say)]]
    for row in [header, *rows]:
        writer.writerow([_safe(cell) for cell in row])
    return ("\ufeff" + out.getvalue()).encode("utf-8", "replace")


def to_xlsx(report: dict, say=ENGLISH) -> bytes:
    """Write a Summary sheet (facts, attendance, rounds, results) and a Responses sheet, in `say`'s words."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    book = Workbook()
    summary = book.active
    summary.title = _sheet_name(say.gettext("Summary"))
    bold = Font(bold=True)
    for row in _summary_rows(report, say):
        summary.append([_text_cell(summary, cell) for cell in row[1:]])
        if row[0]:
            summary.cell(summary.max_row, 1).font = Font(bold=True, size=14 if row[0] == 1 else 11)
    summary.column_dimensions["A"].width = 44
    summary.column_dimensions["B"].width = 28

    responses = book.create_sheet(_sheet_name(say.gettext("Responses")))
    if visible(report):
        header, rows = _response_table(report)
        for row in [header, *rows]:
            responses.append([_text_cell(responses, cell) for cell in row])
        for cell in responses[1]:
            cell.font = bold
        responses.freeze_panes = "A2"
        for column in responses.iter_cols(min_row=1, max_row=responses.max_row):
            responses.column_dimensions[column[0].column_letter].width = 36
            for cell in column:
                cell.alignment = Alignment(wrap_text=True, vertical="top")
    else:
        responses.append([_text_cell(responses, hidden_note(report, say))])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _sheet_name(name: str) -> str:
    """Make a sheet name Excel accepts: 31 characters at most, none of []:*?/\\."""
    return re.sub(r"[\[\]:*?/\\]", "", name)[:31] or "Sheet"


def _response_table(report: dict) -> tuple[list, list[list]]:
    questions = report["questions"]
    rows = [[_answer_cell(response.get(q["id"])) for q in questions]
            for response in report["responses"]]
    return [q["text"] for q in questions], rows


def _answer_cell(value):
    if value is None:
        return ""
    if isinstance(value, list):
        return "; ".join(str(v) for v in value)
    return value


def _safe(value):
    """Make a value safe to put in a spreadsheet cell."""
    if isinstance(value, str):
        value = UNWRITABLE.sub("", value)
    return neutralize_cell(value)


def _text_cell(sheet, value):
    """Put a value in an XLSX cell; formula-like text stays text, shown without an apostrophe.

    An inline-string cell is never evaluated; Excel's quote prefix (a style, not a character)
    also keeps it text once someone edits it. CSV has no such cell type, so it keeps the '.
    """
    from openpyxl.cell import Cell

    if isinstance(value, str):
        value = UNWRITABLE.sub("", value)
    cell = Cell(sheet, value=value)
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        cell.data_type = "s"
        cell.quotePrefix = True
    return cell


def _summary_rows(report: dict, say=ENGLISH) -> list[list]:
    """Rows of the XLSX summary; the first item marks a heading (1 title, 2 section)."""
    attendance, rounds, feedback = report["attendance"], report["rounds"], report["feedback"]
    _ = say.gettext
    rows = [[1, report["workshop"].get("title") or _("Workshop")]]
    rows += [[0, label, value] for label, value in facts(report, say)]
    rows.append([0, _("Date (ISO 8601)"), iso(report["workshop"].get("started_at"))[:10]])
    rows += [[0], [2, _("Attendance")], [0, _("Joined"), attendance.get("joined", 0)],
             [0, _("Most present at once"), attendance.get("peak", 0)],
             [0], [2, _("Rounds")], [0, _("Rounds held"), rounds.get("held", 0)]]
    rows += [[0, _("Round {number}: groups formed").format(number=i), n]
             for i, n in enumerate(rounds.get("groups") or [], start=1)]
    rows += [[0], [2, _("Feedback")], [0, _("Responses"), feedback["count"]]]
    if not visible(report):
        return [*rows, [0, hidden_note(report, say)]]
    rows.append([0, _("Shown in these results"), feedback.get("published", feedback["count"])])
    if pending_note(report, say):
        rows.append([0, pending_note(report, say)])
    questions = {q["id"]: q for q in report["questions"]}
    for summary in feedback["questions"]:
        rows += [[0], [2, summary["text"]]]
        if "answers" in summary:
            rows.append([0, _("Written answers (see the Responses sheet)"), len(summary["answers"])])
            continue
        question = questions.get(summary["id"], summary)
        rows += [[0, label, count] for label, count in chart.bar_rows(summary, question)]
        rows.append([0, _("Answered"), summary.get("answered", 0)])
        if "distribution" in summary:
            rows.append([0, _("Average (1 to 5)"), summary.get("average")])
    return rows
