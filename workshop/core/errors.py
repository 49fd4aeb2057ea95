"""How the workshop says no: one error type, with a sentence for a person and a code for a program."""

from __future__ import annotations


class Refusal(ValueError):
    """A request the workshop refuses: `message` is said to the person, `code` is for their software.

    The shell turns every Refusal into the same wire answer, `{"ok": false, "error", "code"}`,
    in one place; the codes are listed in docs/protocol.md. A limit's refusal also carries
    `retry_after`, the seconds to wait, which the HTTP answer gives as its Retry-After.
    """

    def __init__(self, message: str, code: str, retry_after: int | None = None):
        super().__init__(message)
        self.message = message
        self.code = code
        self.retry_after = retry_after
