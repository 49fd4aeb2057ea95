"""What every format of a report says in words: its facts, and the notes on hidden or waiting results."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from . import chart

# Characters neither XML (inside XLSX) nor UTF-8 can carry.
UNWRITABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def visible(report: dict) -> bool:
    """Tell whether results may be shown."""
    # The server only fills responses when results are visible; check anyway.
    return report["feedback"].get("visible") is True


def hidden_note(report: dict) -> str:
    """Say why no results are shown yet."""
    feedback = report["feedback"]
    return (f"{plural(feedback['count'], 'response')}; results are shown once the form is "
            f"closed and at least {feedback['threshold']} people have answered.")


def pending_note(report: dict) -> str:
    """Say how many newer answers these results leave out, and why; empty when none wait."""
    feedback = report["feedback"]
    pending = feedback.get("pending", 0)
    if not pending:
        return ""
    newer = "newer answer waits" if pending == 1 else "newer answers wait"
    return (f"These results show {feedback.get('published', 0)} answers. {pending} {newer} until there "
            f"are at least {feedback['threshold']}, so that no difference between two results is "
            "one person's answer.")


def plural(n: int, noun: str) -> str:
    """Count a noun in words: 1 response, 2 responses."""
    return f"{n} {noun}" + ("" if n == 1 else "s")


def iso(ms: int | None) -> str:
    """Write server epoch milliseconds as an ISO 8601 UTC instant, or nothing."""
    return datetime.fromtimestamp(ms / 1000, UTC).isoformat(timespec="seconds") if ms is not None else ""


def details(report: dict) -> list[tuple[str, object]]:
    """Return what a spreadsheet says of the workshop above its answers: the same in every download
    of the same published results (no live count, nothing about answers still waiting)."""
    workshop, attendance, rounds = report["workshop"], report["attendance"], report["rounds"]
    rows = [("Workshop", workshop.get("title") or ""), ("Code", workshop.get("code") or ""),
            ("Agenda", workshop.get("agenda") or ""), ("Status", workshop.get("status") or ""),
            ("Started", iso(workshop.get("started_at"))), ("Ended", iso(workshop.get("ended_at"))),
            ("Joined", attendance.get("joined", 0)), ("Most present at once", attendance.get("peak", 0)),
            ("Rounds held", rounds.get("held", 0))]
    rows += [(f"Round {i}: groups formed", n) for i, n in enumerate(rounds.get("groups") or [], start=1)]
    if visible(report):
        rows.append(("Responses in these results", report["feedback"].get("published", 0)))
    return rows


def facts(report: dict) -> list[tuple[str, object]]:
    """Return the workshop's facts as label and value pairs, title first."""
    workshop = report["workshop"]
    return [
        ("Title", workshop.get("title") or ""),
        ("Code", workshop.get("code") or ""),
        ("Agenda", workshop.get("agenda") or ""),
        ("Status", workshop.get("status") or ""),
        ("Started", chart.clock(workshop.get("started_at"))),
        ("Ended", chart.clock(workshop.get("ended_at"))),
    ]
