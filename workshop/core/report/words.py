"""What every format of a report says in words: its facts, and the notes on hidden or waiting results.

Every sentence goes through `say` (report/speech.py): English unless the shell passes the
organizer's language.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

from .speech import ENGLISH, counted

# Characters neither XML (inside XLSX) nor UTF-8 can carry.
UNWRITABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def visible(report: dict) -> bool:
    """Tell whether results may be shown."""
    # The server only fills responses when results are visible; check anyway.
    return report["feedback"].get("visible") is True


def hidden_note(report: dict, say=ENGLISH) -> str:
    """Say why no results are shown yet."""
    feedback = report["feedback"]
    return " ".join((
        counted(say, "{n} response;", "{n} responses;", feedback["count"]),
        counted(say, "results are shown once the form is closed and at least {n} person has answered.",
                "results are shown once the form is closed and at least {n} people have answered.",
                feedback["threshold"])))


def pending_note(report: dict, say=ENGLISH) -> str:
    """Say how many newer answers these results leave out, and why; empty when none wait."""
    feedback = report["feedback"]
    pending = feedback.get("pending", 0)
    if not pending:
        return ""
    return " ".join((
        counted(say, "These results show {n} answer.", "These results show {n} answers.",
                feedback.get("published", 0)),
        counted(say, "{n} newer answer waits until there are at least {threshold}, so that no difference "
                     "between two results is one person's answer.",
                "{n} newer answers wait until there are at least {threshold}, so that no difference "
                "between two results is one person's answer.", pending, threshold=feedback["threshold"])))


def status(value: str | None, say=ENGLISH) -> str:
    """Name a workshop's status in words."""
    return {"open": say.gettext("open"), "ended": say.gettext("ended")}.get(value or "", value or "")


def iso(ms: int | None) -> str:
    """Write server epoch milliseconds as an ISO 8601 UTC instant, or nothing."""
    return datetime.fromtimestamp(ms / 1000, UTC).isoformat(timespec="seconds") if ms is not None else ""


def details(report: dict, say=ENGLISH) -> list[tuple[str, object]]:
    """Return what a spreadsheet says of the workshop above its answers: the same in every download
    of the same published results (no live count, nothing about answers still waiting)."""
    workshop, attendance, rounds = report["workshop"], report["attendance"], report["rounds"]
    rows = [(say.gettext("Workshop"), workshop.get("title") or ""),
            (say.gettext("Code"), workshop.get("code") or ""),
            (say.gettext("Agenda"), workshop.get("agenda") or ""),
            (say.gettext("Status"), status(workshop.get("status"), say)),
            (say.gettext("Started"), iso(workshop.get("started_at"))),
            (say.gettext("Ended"), iso(workshop.get("ended_at"))),
            (say.gettext("Joined"), attendance.get("joined", 0)),
            (say.gettext("Most present at once"), attendance.get("peak", 0)),
            (say.gettext("Rounds held"), rounds.get("held", 0))]
    rows += [(say.gettext("Round {number}: groups formed").format(number=i), n)
             for i, n in enumerate(rounds.get("groups") or [], start=1)]
    if visible(report):
        rows.append((say.gettext("Responses in these results"), report["feedback"].get("published", 0)))
    return rows


def facts(report: dict, say=ENGLISH) -> list[tuple[str, object]]:
    """Return the workshop's facts as label and value pairs, title first."""
    workshop = report["workshop"]
    return [
        (say.gettext("Title"), workshop.get("title") or ""),
        (say.gettext("Code"), workshop.get("code") or ""),
        (say.gettext("Agenda"), workshop.get("agenda") or ""),
        (say.gettext("Status"), status(workshop.get("status"), say)),
        (say.gettext("Started"), say.when(workshop.get("started_at"))),
        (say.gettext("Ended"), say.when(workshop.get("ended_at"))),
    ]
