"""Read untrusted payloads against a declared shape, with plain-language errors."""

from __future__ import annotations

import unicodedata


class PayloadError(ValueError):
    """A payload that does not have the declared shape."""

    code = "bad_request"

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def as_object(payload) -> dict:
    """Return the payload as a dict; a missing payload is an empty one."""
    if payload is None:
        return {}
    if not isinstance(payload, dict):
        raise PayloadError("The request must be a JSON object.")
    return payload


def whole(payload: dict, key: str, low: int, high: int, default: int | None = None) -> int:
    """Read a whole number in [low, high]."""
    value = payload.get(key, default)
    if value is None:
        raise PayloadError(f"'{key}' is required.")
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise PayloadError(f"'{key}' must be a whole number from {low} to {high}.")
    return value


def flag(payload: dict, key: str, default: bool | None = None) -> bool:
    """Read true or false."""
    value = payload.get(key, default)
    if not isinstance(value, bool):
        raise PayloadError(f"'{key}' must be true or false.")
    return value


def choice(payload: dict, key: str, choices: tuple[str, ...], default: str | None = None) -> str:
    """Read one of a few words."""
    value = payload.get(key, default)
    if value not in choices:
        raise PayloadError(f"'{key}' must be one of: {', '.join(choices)}.")
    return value


def text(payload: dict, key: str, high: int, low: int = 1, what: str | None = None,
         default: str | None = None, multiline: bool = False) -> str:
    """Read a trimmed string of `low` to `high` characters without control characters."""
    what = what or f"'{key}'"
    value = payload.get(key, default)
    if not isinstance(value, str):
        raise PayloadError(f"{what} must be text.")
    value = clean_text(value, multiline).strip()
    if low and not visible(value):
        raise PayloadError(f"{what} cannot be empty.")
    if not low <= len(value) <= high:
        raise PayloadError(f"{what} must be at most {high} characters.")
    return value


def identifier(payload: dict, key: str, prefix: str) -> str:
    """Read an id such as `a_0123456789abcdef`."""
    value = payload.get(key)
    if not isinstance(value, str) or not value.startswith(prefix) or len(value) > 40:
        raise PayloadError(f"'{key}' must be an id starting with '{prefix}'.")
    return value


def visible(value: str) -> bool:
    """Tell whether text shows anything: not only spaces and zero-width characters."""
    return any(not ch.isspace() and unicodedata.category(ch) not in ("Cf", "Zs", "Zl", "Zp", "Mn")
               for ch in value)


def clean_text(value: str, multiline: bool = False) -> str:
    """Drop control and format characters that have no business in a name or an answer."""
    keep = "\n" if multiline else ""
    value = unicodedata.normalize("NFC", value)
    return "".join(
        ch for ch in value
        if ch in keep or unicodedata.category(ch) not in ("Cc", "Cs", "Co", "Cn")
        and ch not in "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
    )
