"""Which language each person reads: the catalogs, the choice of locale, and sentences said at the edge.

Pages and server sentences use Flask-Babel's gettext catalogs (workshop/translations); the
JavaScript reads the very same catalogs, embedded in each page as JSON (`catalog`) or fetched from
`/i18n/<lang>.json`. A Refusal is written in English in the core and translated here, where it is
said: over HTTP in the request's language, over Socket.IO in the connection's (`auth.lang`).
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from functools import cache
from pathlib import Path

from babel import Locale
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations
from flask import Flask, g, request
from flask_babel import (
    Babel,
    force_locale,
    format_datetime,
    format_decimal,
    get_locale,
    get_translations,
    gettext,
)

from ..core.errors import Refusal, Words

log = logging.getLogger(__name__)

TRANSLATIONS = Path(__file__).resolve().parents[1] / "translations"
# Each language in its own name, as the switch offers it; English is the source of every catalog.
LANGUAGES = {"en": "English", "es": "Español", "de": "Deutsch", "fr": "Français", "pt": "Português",
             "ar": "العربية"}
RIGHT_TO_LEFT = {"ar"}
COOKIE = "h2h_lang"
# gettext numbers a catalog's plural forms in this order of CLDR's categories (babel.plural.to_gettext).
PLURAL_ORDER = ("zero", "one", "two", "few", "many", "other")


def supported(tag) -> str | None:
    """Return the supported language a tag such as 'pt-BR' or 'es_ES' names, or None."""
    if not isinstance(tag, str):
        return None
    primary = tag.strip().replace("_", "-").split("-")[0].lower()
    return primary if primary in LANGUAGES else None


def chosen() -> str | None:
    """Return the language this browser chose with the switch: `?lang=` first, then the cookie."""
    return supported(request.args.get("lang")) or supported(request.cookies.get(COOKIE))


def browser() -> str | None:
    """Return the supported language the browser prefers most (Accept-Language), or None."""
    return supported(request.accept_languages.best_match(LANGUAGES))


def select() -> str:
    """Choose the request's language: a page's own rule (g.language), else the switch, else the browser."""
    return g.get("language") or chosen() or browser() or g.get("room_language") or "en"


def current() -> str:
    """Return the language being used now."""
    locale = get_locale()
    return locale.language if locale else "en"


def direction(lang: str | None = None) -> str:
    """Return the writing direction of a language, for `<html dir>`."""
    return "rtl" if (lang or current()) in RIGHT_TO_LEFT else "ltr"


def compile_catalogs(folder: Path = TRANSLATIONS) -> None:
    """Compile every catalog whose .mo is missing or older than its .po (a fresh checkout has none)."""
    for po in folder.glob("*/LC_MESSAGES/messages.po"):
        mo = po.with_suffix(".mo")
        if mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
            continue
        with po.open("rb") as source:
            catalog = read_po(source, locale=po.parts[-3])
        try:
            with mo.open("wb") as target:
                write_mo(target, catalog)
        except OSError as error:  # a read-only install keeps the catalogs it was shipped with
            log.warning("could not compile %s: %s", po, error)


@cache
def catalog(lang: str) -> dict:
    """Return a language's messages for the JavaScript: msgid to text, or to its plural forms."""
    translations = Translations.load(str(TRANSLATIONS), [lang])
    messages = {}
    for key, text in getattr(translations, "_catalog", {}).items():
        if not key or not text:
            continue  # the header, and anything left untranslated (English shows instead)
        if isinstance(key, tuple):
            messages.setdefault(key[0], []).append((key[1], text))
        else:
            messages[key] = text
    for msgid, forms in messages.items():
        if isinstance(forms, list):
            messages[msgid] = [text for _, text in sorted(forms)]
    tags = Locale.parse(lang).plural_form.tags | {"other"}
    return {"lang": lang, "dir": direction(lang), "plural": [t for t in PLURAL_ORDER if t in tags],
            "languages": LANGUAGES, "messages": messages}


def said(error: Refusal) -> str:
    """Return a Refusal's sentence in the current language; English if a catalog's placeholders are off."""
    text = gettext(error.template)
    if not error.params:
        return text
    params = {name: gettext(value) if isinstance(value, Words) else value
              for name, value in error.params.items()}
    try:
        return text.format(**params)
    except (KeyError, IndexError, ValueError):
        return error.message


def said_in(error: Refusal, lang: str | None) -> str:
    """Return a Refusal's sentence in a given language (a connection's), whatever the request's."""
    with force_locale(supported(lang) or "en"):
        return said(error)


def in_language(lang: str | None, words: str, **params) -> str:
    """Translate one sentence into a given language, outside the request's own."""
    with force_locale(supported(lang) or "en"):
        text = gettext(words)
    return text.format(**params) if params else text


def when(ms: int | None) -> str:
    """Format server epoch milliseconds as a date and time in UTC, written the page's way."""
    if ms is None:
        return "-"
    return f"{format_datetime(datetime.fromtimestamp(ms / 1000, UTC), 'medium')} UTC"


def language_name(tag: str) -> str:
    """Name a language (any BCP 47 tag) in the page's own language: 'es' is 'Spanish' to an English reader."""
    try:
        return Locale.parse(tag.replace("-", "_")).get_display_name(current()) or tag
    except (ValueError, TypeError):
        return tag


class ReportWords:
    """The report's translator (core/report/speech.py) for this request's language, from the same catalogs."""

    def __init__(self):
        self.translations = get_translations()

    def gettext(self, message: str) -> str:
        return self.translations.ugettext(message)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return self.translations.ungettext(singular, plural, n)

    def when(self, ms: int | None) -> str:
        return when(ms)

    def number(self, n, places: int | None = None) -> str:
        return format_decimal(n) if places is None else format_decimal(n, "#,##0." + "0" * places)


def report_words() -> ReportWords:
    """Return a translator for a report in the organizer's language (their browser's, or their choice)."""
    return ReportWords()


def init_app(app: Flask) -> None:
    """Wire Flask-Babel, the catalogs and the page helpers (lang, dir, the JavaScript's catalog)."""
    compile_catalogs()
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", str(TRANSLATIONS))
    app.config.setdefault("BABEL_DEFAULT_LOCALE", "en")
    Babel(app, locale_selector=select)
    app.add_template_filter(when, "datetime")
    app.add_template_filter(supported, "supported_language")
    app.add_template_filter(language_name, "language_name")
    app.add_template_filter(format_decimal, "number")

    @app.context_processor
    def language_of_page():
        lang = current()
        return {"lang": lang, "dir": direction(lang), "languages": LANGUAGES, "catalog": catalog(lang)}
