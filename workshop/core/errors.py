"""How the workshop says no: one error type, with a sentence for a person and a code for a program."""

from __future__ import annotations


def N_(message: str) -> str:
    """Mark an English sentence for the catalogs; the shell translates it where it is said."""
    return message


class Words(str):
    """A phrase placed inside a sentence (a field's name) that the shell translates with the sentence."""


class Refusal(ValueError):
    """A request the workshop refuses: `message` is said to the person, `code` is for their software.

    `template` is the English sentence as the catalogs know it, with `{name}` placeholders filled
    from `params`; the shell says it in the person's language (shell/language.py). The shell turns
    every Refusal into the same wire answer, `{"ok": false, "error", "code"}`, in one place; the
    codes are listed in docs/protocol.md. A limit's refusal also carries `retry_after`, the
    seconds to wait, which the HTTP answer gives as its Retry-After.
    """

    def __init__(self, message: str, code: str, retry_after: int | None = None, **params):
        self.template = message
        self.params = params
        self.message = message.format(**params) if params else message
        super().__init__(self.message)
        self.code = code
        self.retry_after = retry_after
