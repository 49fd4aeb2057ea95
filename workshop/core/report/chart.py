"""Report charts as static, accessible SVG, and the numbers behind them.

One drawing serves the page and the PDF: colours are presentation attributes, which fpdf2
reads, and each shape also carries a class the page's stylesheet can restyle.
"""

from __future__ import annotations

import re
from xml.sax.saxutils import escape, quoteattr

from .speech import ENGLISH, counted

WIDTH = 600
INK, MUTED, GRID = "#2f3e46", "#6b7b80", "#d9e2e2"
BAR, FILL, LINE, AVERAGE = "#7fa8a4", "#e4efee", "#4f7c8a", "#c8815f"
FONT = 'font-family="system-ui, -apple-system, Segoe UI, sans-serif" font-size="13"'

# Characters XML 1.0 cannot carry at all, even escaped.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def bar_rows(question_summary: dict, question: dict) -> list[tuple[str, int]]:
    """Return (label, count) rows for a scale or choice question's visible summary."""
    if "distribution" in question_summary:
        labels = question.get("labels") or []
        return [
            (f"{point} {labels[point - 1]}" if point <= len(labels) else str(point), count)
            for point, count in enumerate(question_summary["distribution"], start=1)
        ]
    return list(question_summary.get("counts", {}).items())


def distribution_svg(question_summary: dict, question: dict, say=None) -> str:
    """Draw one question's answers as horizontal bars with counts; mark a scale's average."""
    ident = "q-" + _slug(question["id"])
    title = question["text"]
    rows = bar_rows(question_summary, question)
    if not rows:
        answered = question_summary.get("answered")
        note = (_say(say).gettext("Results are not shown yet") if answered is None
                else counted(say, "{n} written answer", "{n} written answers", answered))
        return _message_svg(ident, title, note)
    average = question_summary.get("average")
    answered = question_summary.get("answered", 0)
    label_w, bar_w, row_h, top = 210, 300, 28, 8
    height = top + row_h * len(rows) + (26 if average is not None else 10)
    most = max(count for _, count in rows) or 1
    parts = []
    for i, (label, count) in enumerate(rows):
        y = top + i * row_h
        width = round(bar_w * count / most, 1)
        parts.append(
            f'<text x="{label_w - 8}" y="{y + 18}" text-anchor="end" fill="{INK}" class="ink">'
            f"{_text(shorten(label, 30))}</text>"
            f'<rect x="{label_w}" y="{y + 5}" width="{bar_w}" height="18" fill="{FILL}" class="track"/>'
            f'<rect x="{label_w}" y="{y + 5}" width="{width}" height="18" fill="{BAR}" class="bar"/>'
            f'<text x="{label_w + bar_w + 8}" y="{y + 18}" fill="{INK}" class="ink">{count}</text>'
        )
    summary = "; ".join(f"{label}: {count}" for label, count in rows)
    desc = counted(say, "{n} answered.", "{n} answered.", answered) + f" {summary}."
    if average is not None:
        mean = _say(say).gettext("Average {average} of 5").format(average=_say(say).number(average, 2))
        # The rows are the points of the scale, so the average is a height between them.
        y = round(top + row_h * (average - 1) + 14, 1)
        parts.append(
            f'<line x1="{label_w}" x2="{label_w + bar_w}" y1="{y}" y2="{y}" stroke="{AVERAGE}" '
            f'stroke-width="2" stroke-dasharray="6 4" class="average"/>'
            f'<text x="{label_w + bar_w}" y="{height - 6}" text-anchor="end" fill="{AVERAGE}" '
            f'class="average">'
            f"{_text(mean)}</text>"
        )
        desc += f" {mean}."
    return _svg(ident, height, title, desc, "".join(parts))


def attendance_steps(report: dict) -> tuple[list[tuple[int, int]], int]:
    """Return the corners of the present-count step line, and the highest count to scale to."""
    attendance = report["attendance"]
    points = sorted((int(t), int(n)) for t, n in attendance.get("timeline") or [])
    if not points:
        return [], 1
    end = max(points[-1][0], report["workshop"].get("ended_at") or 0)
    corners, previous = [points[0]], points[0][1]
    for t, n in points[1:]:
        if n != previous:
            corners += [(t, previous), (t, n)]
            previous = n
    corners.append((end, previous))
    return corners, max(max(n for _, n in points), attendance.get("peak") or 0, 1)


def attendance_svg(report: dict, say=None) -> str:
    """Draw the number of people present over time as a step line."""
    corners, most = attendance_steps(report)
    words = _say(say)
    title = words.gettext("People present over time")
    if not corners:
        return _message_svg("attendance", title, words.gettext("No attendance recorded yet"))
    start, end = corners[0][0], corners[-1][0]
    if end - start < 60_000:
        return _moment_svg(report, corners, most, title, say)
    left, right, top, plot_h, height = 44, 16, 12, 150, 200
    plot_w = WIDTH - left - right

    def xy(t, n):
        x = left + plot_w * (t - start) / max(end - start, 1)
        return f"{round(x, 1)} {round(top + plot_h - plot_h * n / most, 1)}"

    line = "M" + "L".join(xy(t, n) for t, n in corners)
    area = f"{line}L{xy(end, 0)}L{xy(start, 0)}Z"
    base = top + plot_h
    body = (
        f'<line x1="{left}" x2="{left + plot_w}" y1="{base}" y2="{base}" stroke="{GRID}" class="grid"/>'
        f'<line x1="{left}" x2="{left + plot_w}" y1="{top}" y2="{top}" stroke="{GRID}" '
        f'stroke-dasharray="3 3" class="grid"/>'
        f'<path d="{area}" fill="{FILL}" class="track"/>'
        f'<path d="{line}" fill="none" stroke="{LINE}" stroke-width="2" class="line"/>'
        f'<text x="{left - 6}" y="{base + 4}" text-anchor="end" fill="{MUTED}" class="muted">0</text>'
        f'<text x="{left - 6}" y="{top + 4}" text-anchor="end" fill="{MUTED}" class="muted">{most}</text>'
        f'<text x="{left}" y="{height - 12}" fill="{MUTED}" class="muted">{_text(words.when(start))}</text>'
        f'<text x="{left + plot_w}" y="{height - 12}" text-anchor="end" fill="{MUTED}" class="muted">'
        f"{_text(words.when(end))}</text>"
    )
    attendance = report["attendance"]
    desc = words.gettext("From {start} to {end}: at most {most} present at once, {last} present at the end, "
                         "{joined} joined in all.").format(
        start=words.when(start), end=words.when(end), most=words.number(most),
        last=words.number(corners[-1][1]), joined=words.number(attendance.get("joined", 0)))
    return _svg("attendance", height, title, desc, body)


def _moment_svg(report: dict, corners: list[tuple[int, int]], most: int, title: str, say=None) -> str:
    """Draw attendance that spans under a minute as one bar: a line over no time would be invisible."""
    words = _say(say)
    left, top, plot_h, height, bar_w = 44, 24, 126, 190, 64
    base, middle = top + plot_h, WIDTH // 2
    bar_h = round(plot_h * most / max(most, 1), 1)
    final = corners[-1][1]
    at = words.when(corners[0][0])
    body = (
        f'<line x1="{left}" x2="{WIDTH - left}" y1="{base}" y2="{base}" stroke="{GRID}" class="grid"/>'
        f'<rect x="{middle - bar_w // 2}" y="{round(base - bar_h, 1)}" width="{bar_w}" '
        f'height="{bar_h}" fill="{BAR}" class="bar"/>'
        f'<text x="{middle}" y="{round(base - bar_h - 6, 1)}" text-anchor="middle" fill="{INK}" '
        f'class="ink">{_text(counted(say, "{n} present", "{n} present", most))}</text>'
        f'<text x="{middle}" y="{base + 20}" text-anchor="middle" fill="{MUTED}" class="muted">'
        f"{_text(at)}</text>"
    )
    desc = words.gettext("Everyone came within one minute, at {start}: at most {most} present at once, "
                         "{last} present at the end, {joined} joined in all.").format(
        start=at, most=words.number(most), last=words.number(final),
        joined=words.number(report["attendance"].get("joined", 0)))
    return _svg("attendance", height, title, desc, body)


def rounds_svg(report: dict, say=None) -> str:
    """Draw how many groups (pairs and triads) were formed in each round held."""
    groups = list(report["rounds"].get("groups") or [])
    words = _say(say)
    title = words.gettext("Groups formed in each round")
    if not groups:
        return _message_svg("rounds", title, words.gettext("No rounds held yet"))
    left, top, plot_h, height = 16, 24, 130, 190
    slot = (WIDTH - 2 * left) / len(groups)
    bar_w = min(64, slot * 0.6)
    most = max(max(groups), 1)
    base = top + plot_h
    parts = [f'<line x1="{left}" x2="{WIDTH - left}" y1="{base}" y2="{base}" stroke="{GRID}" class="grid"/>']
    for i, count in enumerate(groups):
        middle = left + slot * (i + 0.5)
        bar_h = round(plot_h * count / most, 1)
        parts.append(
            f'<rect x="{round(middle - bar_w / 2, 1)}" y="{round(top + plot_h - bar_h, 1)}" '
            f'width="{round(bar_w, 1)}" height="{bar_h}" fill="{BAR}" class="bar"/>'
            f'<text x="{round(middle, 1)}" y="{round(top + plot_h - bar_h - 6, 1)}" '
            f'text-anchor="middle" fill="{INK}" class="ink">{count}</text>'
            f'<text x="{round(middle, 1)}" y="{top + plot_h + 20}" text-anchor="middle" '
            f'fill="{MUTED}" class="muted">{_text(round_label(i + 1, slot > 60, say))}</text>'
        )
    desc = counted(say, "{n} round held.", "{n} rounds held.", len(groups)) + " " + "; ".join(
        counted(say, "round {number}: {n} group", "round {number}: {n} groups", n, number=i)
        for i, n in enumerate(groups, start=1)
    ) + "."
    return _svg("rounds", height, title, desc, "".join(parts))


def round_label(number: int, roomy: bool, say=None) -> str:
    return _say(say).gettext("Round {number}").format(number=number) if roomy else str(number)


def _say(say):
    """Return the translator to use: the one given, or English."""
    return say or ENGLISH


def _message_svg(ident: str, title: str, note: str) -> str:
    body = (f'<text x="{WIDTH // 2}" y="28" text-anchor="middle" fill="{MUTED}" class="muted">'
            f"{_text(note)}</text>")
    return _svg(ident, 44, title, note + ".", body)


def _svg(ident: str, height: int, title: str, desc: str, body: str) -> str:
    ident = _slug(ident)
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" '
        f'width="{WIDTH}" height="{height}" role="img" '
        f"aria-labelledby={quoteattr(f'{ident}-title {ident}-desc')} {FONT}>"
        f'<title id="{ident}-title">{_text(title)}</title>'
        f'<desc id="{ident}-desc">{_text(desc)}</desc>'
        f"{body}</svg>"
    )


def _text(value: object) -> str:
    """Escape text for XML content, dropping characters XML cannot hold."""
    return escape(_NOT_XML.sub("", str(value)))


def shorten(label: str, limit: int) -> str:
    return label if len(label) <= limit else label[: limit - 1].rstrip() + "…"


def _slug(value: object) -> str:
    return re.sub(r"[^a-z0-9]+", "-", str(value).lower()).strip("-") or "chart"


def rgb(color: str) -> tuple[int, int, int]:
    """Turn #rrggbb into the (r, g, b) fpdf2 takes."""
    return tuple(int(color[i:i + 2], 16) for i in (1, 3, 5))
