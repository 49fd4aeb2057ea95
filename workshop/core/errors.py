"""How the workshop says no: one error type, with a sentence for a person and a code for a program."""

from __future__ import annotations


class Refusal(ValueError):
    """A request the workshop refuses: `message` is said to the person, `code` is for their software.

    The shell turns every Refusal into the same wire answer, `{"ok": false, "error", "code"}`,
    in one place; the codes are listed in docs/protocol.md.
    """

    def __init__(self, message: str, code: str):
        super().__init__(message)
        self.message = message
        self.code = code
