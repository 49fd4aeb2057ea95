"""Room codes: how they are made, written and recognised (knowing the shape of a code is no secret)."""

from __future__ import annotations

import secrets

CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 6


def normal_code(code: str) -> str:
    """Return a room code as stored: upper case, without spaces or dashes."""
    return code.strip().upper().replace("-", "").replace(" ", "")


def is_code(code: str) -> bool:
    """Tell whether a (normalized) code could name a room at all; that much is no secret."""
    return len(code) == CODE_LENGTH and all(c in CODE_ALPHABET for c in code)


def new_code(taken) -> str:
    """Draw a random code that `taken(code)` says no workshop, open or ended, already has."""
    while True:
        code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
        if not taken(code):
            return code
