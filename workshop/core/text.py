"""Text that people type: what it may hold, for names (refused) and for free text (cleaned)."""

from __future__ import annotations

import unicodedata

# Embeddings, overrides and isolates reorder what follows them: in a name or an answer
# they can make a report or a console show something other than what was typed.
BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
BYTE_ORDER_MARK = "\ufeff"
LINE_BREAKS = {"\r\n": "\n", "\r": "\n", "\u2028": "\n", "\u2029": "\n"}
# Cc: control characters; Cs: lone surrogates, which JSON allows but UTF-8 cannot encode;
# Zl, Zp: line and paragraph separators, which break a line that should stay one.
UNWANTED_CATEGORIES = frozenset(("Cc", "Cs", "Zl", "Zp"))
BLANK_CATEGORIES = frozenset(("Cf", "Zs", "Zl", "Zp", "Mn"))


def unwanted(ch: str, multiline: bool = False) -> bool:
    """Tell whether a character has no business in typed text: controls, surrogates, bidi controls, BOM."""
    if ch == "\n":
        return not multiline
    return (ch in BIDI_CONTROLS or ch == BYTE_ORDER_MARK
            or unicodedata.category(ch) in UNWANTED_CATEGORIES)


def first_unwanted(value: str, multiline: bool = False) -> str | None:
    """Return the first character of `value` that typed text may not hold, or None."""
    return next((ch for ch in value if unwanted(ch, multiline)), None)


def normal(value: str, multiline: bool = False) -> str:
    """Return text in NFC with every line break written as `\\n` (multiline text only)."""
    if multiline:
        for old, new in LINE_BREAKS.items():
            value = value.replace(old, new)
    return unicodedata.normalize("NFC", value)


def clean_text(value: str, multiline: bool = False) -> str:
    """Return free text normalised, without the characters it may not hold, trimmed."""
    return "".join(ch for ch in normal(value, multiline) if not unwanted(ch, multiline)).strip()


def visible(value: str) -> bool:
    """Tell whether text shows anything: not only spaces, marks and zero-width characters."""
    return any(not ch.isspace() and unicodedata.category(ch) not in BLANK_CATEGORIES for ch in value)
