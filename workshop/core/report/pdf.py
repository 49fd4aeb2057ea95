"""The report as a PDF: answers in any script, shaped, from bundled Noto fonts; charts from the page's SVG."""

from __future__ import annotations

import io
import logging
import unicodedata
import xml.etree.ElementTree as ET
from functools import cache
from pathlib import Path

from fontTools.ttLib import TTFont
from fpdf import FPDF
from fpdf.bidi import auto_detect_base_direction
from fpdf.enums import TextDirection

from . import chart
from .bidi import VisualLine, level_runs
from .speech import ENGLISH, counted
from .words import UNWRITABLE, facts, hidden_note, pending_note, visible

FONT_DIR = Path(__file__).parent / "fonts"
# (family, regular, bold): the first is the body face; the others fill in what it lacks.
FONTS = (
    ("Body", FONT_DIR / "NotoSans-Regular.ttf", FONT_DIR / "NotoSans-Bold.ttf"),
    ("Arabic", FONT_DIR / "NotoSansArabic-Regular.ttf", None),
    ("Hebrew", FONT_DIR / "NotoSansHebrew-Regular.ttf", None),
    ("Thai", FONT_DIR / "NotoSansThai-Regular.ttf", None),
    ("Devanagari", FONT_DIR / "NotoSansDevanagari-Regular.ttf", None),
    ("Bengali", FONT_DIR / "NotoSansBengali-Regular.ttf", None),
    ("Tamil", FONT_DIR / "NotoSansTamil-Regular.ttf", None),
    ("CJK", FONT_DIR / "NotoSansCJKsc-Regular.ttf", None),
    ("Emoji", FONT_DIR / "NotoEmoji-Regular.ttf", None),
)
# Without a Unicode font, Helvetica shows Latin-1; these keep common punctuation readable.
_LATIN1 = str.maketrans({
    "‘": "'", "’": "'", "‚": ",", "“": '"', "”": '"', "„": '"', "–": "-", "—": "-",
    "−": "-", "…": "...", "•": "-", "€": "EUR",
})
_SVG = "{http://www.w3.org/2000/svg}"
ET.register_namespace("", _SVG[1:-1])  # fpdf2 knows an SVG by its plain <svg> start tag
_CHART_WIDTH = 174  # mm: the width between the margins of an A4 page
# Marks stacked on one letter beyond these would spill into the lines around it ("Zalgo" text);
# real writing stacks at most three (a Hebrew letter with a point, a vowel and a cantillation).
MARKS_KEPT = 3
# The monochrome emoji font draws 👍🏽 as a plain 👍: the tone is kept in the text but counted.
SKIN_TONES = range(0x1F3FB, 0x1F400)


def to_pdf(report: dict, *, fonts=FONTS, say=ENGLISH) -> bytes:
    """Lay out the report with its charts in `say`'s language; `fonts` lists (family, regular, bold) faces,
    () for core fonts."""
    _quiet_font_logs()
    pdf = _Pdf(fonts, say)
    _ = say.gettext
    workshop, attendance, rounds = report["workshop"], report["attendance"], report["rounds"]
    feedback = report["feedback"]
    pdf.set_title(UNWRITABLE.sub("", str(workshop.get("title") or _("Workshop report"))))
    pdf.heading(workshop.get("title") or _("Workshop"), 20)
    pdf.paragraph(_("Workshop report"), color=chart.MUTED)
    for label, value in facts(report, say)[1:]:
        pdf.fact(label, value)

    attendance_chart = chart.attendance_svg(report, say)
    pdf.keep(attendance_chart)
    pdf.heading(_("Attendance"), 14)
    pdf.paragraph(_("{joined} joined · at most {peak} present at once").format(
        joined=say.number(attendance.get("joined", 0)), peak=say.number(attendance.get("peak", 0))))
    pdf.chart(attendance_chart)

    rounds_chart = chart.rounds_svg(report, say)
    pdf.keep(rounds_chart)
    pdf.heading(_("Rounds"), 14)
    groups = rounds.get("groups") or []
    held = counted(say, "{n} round held", "{n} rounds held", rounds.get("held", 0))
    formed = counted(say, "{n} group formed in all", "{n} groups formed in all", sum(groups))
    pdf.paragraph(f"{held} · {formed}")
    pdf.chart(rounds_chart)

    pdf.heading(_("Feedback"), 14)
    pdf.paragraph(counted(say, "{n} response", "{n} responses", feedback["count"]))
    if not visible(report):
        pdf.paragraph(hidden_note(report, say), color=chart.MUTED)
        return bytes(pdf.output())
    if pending_note(report, say):
        pdf.paragraph(pending_note(report, say), color=chart.MUTED)
    questions = {q["id"]: q for q in report["questions"]}
    for summary in feedback["questions"]:
        if "answers" in summary:
            pdf.heading(summary["text"], 11)
            pdf.paragraph(counted(say, "{n} written answer", "{n} written answers", len(summary["answers"])),
                          color=chart.MUTED)
            for answer in summary["answers"]:
                pdf.paragraph(answer, indent=4, bullet=True)
            continue
        bars = chart.distribution_svg(summary, questions.get(summary["id"], summary), say)
        pdf.keep(bars)
        pdf.heading(summary["text"], 11)
        answered = counted(say, "{n} answered", "{n} answered", summary.get("answered", 0))
        pdf.paragraph(answered, color=chart.MUTED)
        pdf.chart(bars)
    return bytes(pdf.output())


def _quiet_font_logs():
    """Keep font libraries from logging glyph lists: they tell which scripts the answers used."""
    logging.getLogger("fontTools").setLevel(logging.WARNING)
    # fpdf2's warnings quote the very characters a font lacked; only errors may pass.
    logging.getLogger("fpdf").setLevel(logging.ERROR)


@cache
def _code_points(path: Path) -> frozenset[int]:
    """Return the characters a font file has glyphs for, read once from its cmap."""
    with TTFont(path, lazy=True) as font:
        return frozenset(font.getBestCmap())


def _direction(text: str) -> str:
    """Tell a paragraph's direction by its first strongly directional character."""
    for ch in text:
        kind = unicodedata.bidirectional(ch)
        if kind in ("R", "AL"):
            return "rtl"
        if kind == "L":
            return "ltr"
    return "ltr"


def _rgb(color: str) -> tuple[int, int, int]:
    return tuple(int(color[i:i + 2], 16) for i in (1, 3, 5))


class _Pdf(FPDF):
    """An A4 page with the report's few text styles, and the page's SVG charts."""

    def __init__(self, fonts, say=ENGLISH):
        super().__init__(format="A4")
        self.say = say
        self.set_margins(18, 18, 18)
        self.set_auto_page_break(True, 18)
        self.set_creator("Heart to Heart")
        fonts = [font for font in fonts if Path(font[1]).is_file()]
        self.glyphs, self.faces, self.files, self.loaded = set(), {}, {}, []
        for family, regular, bold in fonts:
            self.files[family] = (regular, bold if bold and Path(bold).is_file() else regular)
            self.faces[family] = _code_points(Path(regular))
            self.glyphs |= self.faces[family]
        self.body_font = fonts[0][0] if fonts else "helvetica"
        if fonts:
            self.set_text_shaping(True)
            self._load(self.body_font)
        self.add_page()

    def _load(self, family: str) -> str:
        """Add a face the first time the text needs it: loading and embedding all nine cost 0.4 s a PDF."""
        if family in self.files and family not in self.loaded:
            regular, bold = self.files[family]
            self.add_font(family, "", regular)
            self.add_font(family, "B", bold)
            self.loaded.append(family)
            self.set_fallback_fonts([name for name in self.files if name in self.loaded], exact_match=False)
        return family

    def get_fallback_font(self, char: str, style: str = ""):
        """Load the first face (in FONTS order) that has `char`, then let fpdf2 choose as among all nine."""
        family = next((name for name, points in self.faces.items() if ord(char) in points), None)
        if family:
            self._load(family)
        return super().get_fallback_font(char, style)

    def clean(self, value: object) -> tuple[str, int]:
        """Return the text the fonts can draw, and how many characters none of them has."""
        text = str(value).replace("\r\n", "\n").replace("\r", "\n").replace("\t", " ")
        text = UNWRITABLE.sub("", text)
        if not self.faces:
            text = text.translate(_LATIN1)
        out, missing, marks = [], 0, 0
        for ch in text:
            marks = marks + 1 if unicodedata.category(ch) in ("Mn", "Me") else 0
            if marks > MARKS_KEPT:
                missing += 1
                continue
            if ord(ch) in SKIN_TONES and self.faces and out and ord(out[-1]) >= 0x2600:
                out.append(ch)
                missing += 1
            elif ch == "\n" or self._drawable(ch):
                out.append(ch)
            elif unicodedata.category(ch) in ("Cf", "Cc") or 0xFE00 <= ord(ch) <= 0xFE0F:
                continue  # joiners, direction marks, variation selectors: nothing to see
            elif unicodedata.category(ch) == "Zs":
                out.append(" ")
            else:
                plain = "".join(c for c in unicodedata.normalize("NFKD", ch)
                                if self._drawable(c) and not unicodedata.combining(c))
                out.append(plain or ("\ufffd" if self.faces else "?"))
                missing += not plain
        return "".join(out), missing

    def _drawable(self, ch: str) -> bool:
        return ord(ch) in self.glyphs if self.faces else ord(ch) < 256

    def _plain(self, label: str) -> bool:
        """Tell whether fpdf2 can draw a label as SVG text: unshaped, in the body face alone."""
        body = self.faces.get(self.body_font)
        return all((ord(c) in body) if body else ord(c) < 256 for c in label) \
            and _direction(label) == "ltr"

    def _face(self, text: str) -> str:
        """Start a right-to-left paragraph in its own script's face, so spaces shape with it."""
        if _direction(text) == "rtl":
            for family, points in self.faces.items():
                if family != self.body_font and all(ord(c) in points for c in text if c.isalpha()):
                    return self._load(family)
        return self.body_font

    def _preload_bidirectional_text(self, text, markdown):
        """Give each run of one bidi level its own fragments, marked with the level, for VisualLine."""
        if not self.text_shaping or markdown:
            return super()._preload_bidirectional_text(text, markdown)
        base = self.text_shaping["direction"] or auto_detect_base_direction(text)
        self.text_shaping["paragraph_direction"] = base
        fragments = []
        for run, level in level_runs(text, base):
            self.text_shaping["fragment_direction"] = TextDirection.RTL if level % 2 else TextDirection.LTR
            self.text_shaping["bidi_level"] = level
            fragments += self._preload_font_styles(run, False)
        self.text_shaping["bidi_level"] = None
        return tuple(fragments)

    def _render_styled_text_line(self, text_line, *args, **kwargs):
        return super()._render_styled_text_line(VisualLine(*text_line), *args, **kwargs)

    def write_text(self, value: object, size: float, height: float, *, bold=False, note=True):
        """Write each paragraph in its direction; say below how many characters could not be printed."""
        text, missing = self.clean(value)
        rtl = _direction(text) == "rtl"
        for line in text.split("\n"):
            self.set_font(self._face(line), "B" if bold else "", size)
            self.multi_cell(0, height, line, align="R" if _direction(line or text) == "rtl" else "L",
                            new_x="LMARGIN", new_y="NEXT")
        if missing and note:
            self.set_font(self.body_font, "", 8)
            lost = counted(self.say, "{n} character could not be printed in this PDF; see the CSV",
                           "{n} characters could not be printed in this PDF; see the CSV", missing)
            self.multi_cell(0, 4.5, f"[{lost}]", align="R" if rtl else "L", new_x="LMARGIN", new_y="NEXT")

    def heading(self, value: str, size: int):
        self.ln(2 if size < 14 else 4)
        if self.will_page_break(size * 1.2):
            self.add_page()
        self.set_text_color(*_rgb(chart.INK))
        self.write_text(value, size, size * 0.5, bold=True)
        self.ln(1)

    def paragraph(self, value: str, *, color=chart.INK, indent=0, bullet=False):
        self.set_text_color(*_rgb(color))
        left, right = self.l_margin, self.r_margin
        if bullet:
            # A right-to-left answer starts at the right margin: its bullet goes there too.
            rtl = _direction(self.clean(value)[0]) == "rtl"
            self.set_font(self.body_font, "", 10)
            if rtl:
                self.set_x(self.w - right - indent)
            self.cell(indent, 5.5, "•" if self.faces else "-", align="L" if rtl else "R")
            if rtl:
                self.set_x(left)
                self.set_right_margin(right + indent + 2)
            else:
                self.set_left_margin(left + indent + 2)
        try:
            self.write_text(value, 10, 5.5)
        finally:
            self.set_left_margin(left)
            self.set_right_margin(right)
        if bullet:
            self.ln(1)

    def fact(self, label: str, value: object):
        self.set_font(self.body_font, "B", 10)
        self.set_text_color(*_rgb(chart.MUTED))
        self.cell(28, 5.5, label)
        self.set_text_color(*_rgb(chart.INK))
        self.write_text(value, 10, 5.5)

    def chart(self, svg: str):
        """Draw one of the page's SVG charts; labels it cannot draw become [1], [2]... keyed below it."""
        root = ET.fromstring(svg)
        root.set("font-family", self.body_font)
        width, height = (float(n) for n in root.get("viewBox").split()[2:])
        keys = []
        for text in root.iter(_SVG + "text"):
            label = (text.text or "") if self.faces else (text.text or "").translate(_LATIN1)
            if not self._plain(label):
                keys.append(label)
                label = f"[{len(keys)}]"
            text.text = label
        self.image(io.BytesIO(ET.tostring(root)), x=self.l_margin, w=_CHART_WIDTH,
                   h=_CHART_WIDTH * height / width)
        self.set_text_color(*_rgb(chart.MUTED))
        for number, label in enumerate(keys, start=1):
            self.write_text(f"[{number}] {label}", 9, 5)
        self.ln(2)

    def keep(self, svg: str, lines: int = 2):
        """Start a new page unless a heading, its note and this chart fit on this one."""
        width, height = (float(n) for n in ET.fromstring(svg).get("viewBox").split()[2:])
        if self.will_page_break(_CHART_WIDTH * height / width + 6 * lines + 4):
            self.add_page()
