"""How a report speaks: English by itself, or the reader's language through a translator the shell passes.

A translator (`say`) has gettext's two methods, `gettext` and `ngettext`, and two formatters,
`when` (epoch ms to a date and time) and `number`. The core never imports Flask-Babel: the shell
builds one from its catalogs for the organizer's language (shell/language.py `report_words`).
"""

from __future__ import annotations

from datetime import UTC, datetime


def clock(ms: int | None) -> str:
    """Format server epoch milliseconds as a UTC date and time."""
    if ms is None:
        return "-"
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%d %H:%M UTC")


class English:
    """Say a report's words in English, as they are written."""

    def gettext(self, message: str) -> str:
        return message

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return singular if n == 1 else plural

    def when(self, ms: int | None) -> str:
        return clock(ms)

    def number(self, n, places: int | None = None) -> str:
        return str(n) if places is None else f"{n:.{places}f}"


ENGLISH = English()


def counted(say, singular: str, plural: str, n: int, **params) -> str:
    """Say a counted sentence in the reader's language: counted(say, "{n} response", "{n} responses", 2)."""
    say = say or ENGLISH
    return say.ngettext(singular, plural, n).format(n=say.number(n), **params)
