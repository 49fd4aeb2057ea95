"""Workshop reports as CSV, XLSX and PDF downloads."""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from datetime import UTC, datetime
from pathlib import Path

from fpdf import FPDF
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font

from . import chart
from .feedback import neutralize_cell

# Unicode TTFs tried in order; fpdf2 ships none, so without one of these the PDF
# falls back to a core font and transliterates what Latin-1 cannot show.
FONT_CANDIDATES = (
    ("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",  # Debian, Ubuntu
     "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"),
    ("/usr/share/fonts/TTF/DejaVuSans.ttf", "/usr/share/fonts/TTF/DejaVuSans-Bold.ttf"),  # Arch
    ("/usr/share/fonts/dejavu-sans-fonts/DejaVuSans.ttf",  # Fedora
     "/usr/share/fonts/dejavu-sans-fonts/DejaVuSans-Bold.ttf"),
    ("/usr/share/fonts/truetype/noto/NotoSans-Regular.ttf",
     "/usr/share/fonts/truetype/noto/NotoSans-Bold.ttf"),
    ("/Library/Fonts/Arial Unicode.ttf", None),  # macOS
)

# Characters neither XML (inside XLSX) nor UTF-8 can carry.
_UNWRITABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_LATIN1 = str.maketrans({
    "‘": "'", "’": "'", "‚": ",", "“": '"', "”": '"', "„": '"', "–": "-", "—": "-",
    "−": "-", "…": "...", "•": "-", "€": "EUR", "\t": " ",
})


def report_filename(report: dict, ext: str) -> str:
    """Name a download like heart-to-heart-K7QF3M-2026-11-27.csv."""
    workshop = report["workshop"]
    agenda = re.sub(r"[^a-z0-9]+", "-", str(workshop.get("agenda") or "").lower()).strip("-")
    code = re.sub(r"[^A-Za-z0-9]", "", str(workshop.get("code") or "")).upper()
    started = workshop.get("started_at")
    day = datetime.fromtimestamp(started / 1000, UTC).strftime("%Y-%m-%d") if started else ""
    ext = re.sub(r"[^a-z0-9]", "", ext.lower())
    return "-".join(part for part in (agenda or "workshop", code, day) if part) + "." + ext


def to_csv(report: dict) -> bytes:
    """Write one row per response under a header of question texts (UTF-8 with BOM)."""
    out = io.StringIO(newline="")
    writer = csv.writer(out)
    if _visible(report):
        header, rows = _response_table(report)
    else:
        header, rows = ["Responses", "Note"], [[report["feedback"]["count"], _hidden_note(report)]]
    for row in [header, *rows]:
        writer.writerow([_safe(cell) for cell in row])
    return ("\ufeff" + out.getvalue()).encode("utf-8", "replace")


def to_xlsx(report: dict) -> bytes:
    """Write a Summary sheet (facts, attendance, rounds, results) and a Responses sheet."""
    book = Workbook()
    summary = book.active
    summary.title = "Summary"
    bold = Font(bold=True)
    for row in _summary_rows(report):
        summary.append([_safe(cell) for cell in row[1:]])
        if row[0]:
            summary.cell(summary.max_row, 1).font = Font(bold=True, size=14 if row[0] == 1 else 11)
    summary.column_dimensions["A"].width = 44
    summary.column_dimensions["B"].width = 28

    responses = book.create_sheet("Responses")
    if _visible(report):
        header, rows = _response_table(report)
        for row in [header, *rows]:
            responses.append([_safe(cell) for cell in row])
        for cell in responses[1]:
            cell.font = bold
        responses.freeze_panes = "A2"
        for column in responses.iter_cols(min_row=1, max_row=responses.max_row):
            responses.column_dimensions[column[0].column_letter].width = 36
            for cell in column:
                cell.alignment = Alignment(wrap_text=True, vertical="top")
    else:
        responses.append([_safe(_hidden_note(report))])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def to_pdf(report: dict, *, fonts=FONT_CANDIDATES) -> bytes:
    """Lay out the report with its charts as a PDF; `fonts` lists (regular, bold) TTF paths."""
    pdf = _Pdf(fonts)
    workshop, attendance, rounds = report["workshop"], report["attendance"], report["rounds"]
    feedback = report["feedback"]
    pdf.set_title(pdf.clean(workshop.get("title") or "Workshop report"))
    pdf.heading(workshop.get("title") or "Workshop", 20)
    pdf.paragraph("Workshop report", color=chart.MUTED)
    for label, value in _facts(report)[1:]:
        pdf.fact(label, value)

    pdf.heading("Attendance", 14)
    pdf.paragraph(f"{attendance.get('joined', 0)} joined · at most {attendance.get('peak', 0)} "
                  "present at once")
    chart.draw_attendance(pdf, report)

    pdf.heading("Rounds", 14)
    groups = rounds.get("groups") or []
    pdf.paragraph(f"{rounds.get('held', 0)} rounds held · {sum(groups)} groups formed in all")
    chart.draw_rounds(pdf, groups)

    pdf.heading("Feedback", 14)
    pdf.paragraph(_plural(feedback["count"], "response"))
    if not _visible(report):
        pdf.paragraph(_hidden_note(report), color=chart.MUTED)
    else:
        if _pending_note(report):
            pdf.paragraph(_pending_note(report), color=chart.MUTED)
        questions = {q["id"]: q for q in report["questions"]}
        for summary in feedback["questions"]:
            question = questions.get(summary["id"], summary)
            pdf.heading(summary["text"], 11)
            if "answers" in summary:
                count = _plural(len(summary["answers"]), "written answer")
                pdf.paragraph(count, color=chart.MUTED)
                for answer in summary["answers"]:
                    pdf.paragraph(answer, indent=4, bullet=True)
            else:
                pdf.paragraph(f"{summary.get('answered', 0)} answered", color=chart.MUTED)
                chart.draw_bars(pdf, chart.bar_rows(summary, question), summary.get("average"))
    return bytes(pdf.output())


def _visible(report: dict) -> bool:
    # The server only fills responses when results are visible; check anyway.
    return report["feedback"].get("visible") is True


def _hidden_note(report: dict) -> str:
    feedback = report["feedback"]
    return (f"{_plural(feedback['count'], 'response')}; results are shown once the form is "
            f"closed and at least {feedback['threshold']} people have answered.")


def _pending_note(report: dict) -> str:
    """Say how many newer answers these results leave out, and why; empty when none wait."""
    feedback = report["feedback"]
    pending = feedback.get("pending", 0)
    if not pending:
        return ""
    newer = "newer answer waits" if pending == 1 else "newer answers wait"
    return (f"These results show {feedback.get('published', 0)} answers. {pending} {newer} until there "
            f"are at least {feedback['threshold']}, so that no difference between two results is "
            "one person's answer.")


def _plural(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")


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
        value = _UNWRITABLE.sub("", value)
    return neutralize_cell(value)


def _facts(report: dict) -> list[tuple[str, object]]:
    workshop = report["workshop"]
    return [
        ("Title", workshop.get("title") or ""),
        ("Code", workshop.get("code") or ""),
        ("Agenda", workshop.get("agenda") or ""),
        ("Status", workshop.get("status") or ""),
        ("Started", chart.clock(workshop.get("started_at"))),
        ("Ended", chart.clock(workshop.get("ended_at"))),
    ]


def _summary_rows(report: dict) -> list[list]:
    """Rows of the XLSX summary; the first item marks a heading (1 title, 2 section)."""
    attendance, rounds, feedback = report["attendance"], report["rounds"], report["feedback"]
    rows = [[1, report["workshop"].get("title") or "Workshop"]]
    rows += [[0, label, value] for label, value in _facts(report)]
    rows += [[0], [2, "Attendance"], [0, "Joined", attendance.get("joined", 0)],
             [0, "Most present at once", attendance.get("peak", 0)],
             [0], [2, "Rounds"], [0, "Rounds held", rounds.get("held", 0)]]
    rows += [[0, f"Round {i}: groups formed", n]
             for i, n in enumerate(rounds.get("groups") or [], start=1)]
    rows += [[0], [2, "Feedback"], [0, "Responses", feedback["count"]]]
    if not _visible(report):
        return [*rows, [0, _hidden_note(report)]]
    rows.append([0, "Shown in these results", feedback.get("published", feedback["count"])])
    if _pending_note(report):
        rows.append([0, _pending_note(report)])
    questions = {q["id"]: q for q in report["questions"]}
    for summary in feedback["questions"]:
        rows += [[0], [2, summary["text"]]]
        if "answers" in summary:
            rows.append([0, "Written answers (see the Responses sheet)", len(summary["answers"])])
            continue
        question = questions.get(summary["id"], summary)
        rows += [[0, label, count] for label, count in chart.bar_rows(summary, question)]
        rows.append([0, "Answered", summary.get("answered", 0)])
        if "distribution" in summary:
            rows.append([0, "Average (1 to 5)", summary.get("average")])
    return rows


class _Pdf(FPDF):
    """An A4 page with the report's few text styles and charts drawn from primitives."""

    def __init__(self, fonts):
        super().__init__(format="A4")
        self.set_margins(18, 18, 18)
        self.set_auto_page_break(True, 18)
        self.set_creator("Heart to Heart")
        self.glyphs = None
        for regular, bold in fonts:
            if Path(regular).is_file():
                self.add_font("Body", "", regular)
                has_bold = bold and Path(bold).is_file()
                self.add_font("Body", "B", bold if has_bold else regular)
                self.body_font = "Body"
                self.set_font("Body", size=10)
                self.glyphs = self.current_font.cmap
                break
        else:
            self.body_font = "helvetica"
        self.add_page()

    def clean(self, value: object) -> str:
        """Return text the current font can draw, replacing what it cannot."""
        value = str(value).replace("\r\n", "\n").replace("\r", "\n").translate(
            {9: " "} if self.glyphs else _LATIN1)
        value = _UNWRITABLE.sub("", value)
        return "".join(ch if self._drawable(ch) else self._stand_in(ch) for ch in value)

    def _drawable(self, ch: str) -> bool:
        return ch == "\n" or (ord(ch) in self.glyphs if self.glyphs else ord(ch) < 256)

    def _stand_in(self, ch: str) -> str:
        if unicodedata.category(ch) in ("Cf", "Mn", "Me"):  # joiners, variation selectors
            return ""
        plain = "".join(c for c in unicodedata.normalize("NFKD", ch)
                        if self._drawable(c) and not unicodedata.combining(c))
        return plain or "?"

    def heading(self, value: str, size: int):
        self.ln(2 if size < 14 else 4)
        if self.will_page_break(size * 1.2):
            self.add_page()
        self.set_font(self.body_font, "B", size)
        self.set_text_color(*chart.rgb(chart.INK))
        self.multi_cell(0, size * 0.5, self.clean(value), align="L", new_x="LMARGIN")
        self.ln(1)

    def paragraph(self, value: str, *, color=chart.INK, indent=0, bullet=False):
        self.set_font(self.body_font, "", 10)
        self.set_text_color(*chart.rgb(color))
        self.set_x(self.l_margin + indent)
        if bullet:
            self.cell(4, 5.5, self.clean("•"))
        self.multi_cell(0, 5.5, self.clean(value), align="L", new_x="LMARGIN")
        if bullet:
            self.ln(1)

    def fact(self, label: str, value: object):
        self.set_font(self.body_font, "B", 10)
        self.set_text_color(*chart.rgb(chart.MUTED))
        self.cell(28, 5.5, self.clean(label))
        self.set_font(self.body_font, "", 10)
        self.set_text_color(*chart.rgb(chart.INK))
        self.multi_cell(0, 5.5, self.clean(value), align="L", new_x="LMARGIN")
