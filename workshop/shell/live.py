"""This app's live parts, built once by the factory and found from any request or event through `live()`.

Each part has its own module: `registry` (rooms, locks, run and commit), `clock`
(time and deadlines), `connections` (who is behind each sid); the limits are the
core's token buckets. Pages and events import this module, not each other; the code
guard's check, which both use, is here too.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app, request
from flask_babel import gettext

from ..core.errors import N_
from ..core.limits import CodeGuard, RateLimit, address_key
from .clock import Clock
from .connections import Connections
from .keys import is_join_key
from .registry import Registry
from .store import Store


@dataclass
class Live:
    """The rooms, the clock, the connections and the limits of one app."""

    rooms: Registry
    clock: Clock
    connections: Connections
    code_guard: CodeGuard  # one budget per address for every check that tells a real code from a wrong one
    creations: RateLimit
    event_limit: RateLimit

    @property
    def store(self) -> Store:
        """Return the one door to the database."""
        return self.rooms.store

    def start(self) -> None:
        """Start the clock that acts on deadlines while nobody is watching."""
        self.clock.start(self.rooms.act)

    def stop(self) -> None:
        """Stop the clock."""
        self.clock.stop()


def live() -> Live:
    """Return this app's live parts."""
    return current_app.extensions["workshop"]


BUSY = N_("Your network is very busy: scan the QR code or open the link instead.")
TOO_MANY = N_("Your network is very busy: scan the QR code or open the link instead, "
              "or try again in {seconds} s.")


def too_many(retry_after: int) -> str:
    """Say that an address is out of tries, without a word about the code it sent, and what to do instead."""
    return gettext(TOO_MANY).format(seconds=retry_after)


def holds_join_key(code: str, key) -> bool:
    """Tell whether a request carries the join key of `code` (the join link's and the QR code's)."""
    return is_join_key(current_app.config["SECRET_KEY"], code, key)


def busy() -> bool:
    """Tell whether this address's code checks wait their turn now (someone on it spent the budget)."""
    return live().code_guard.pressed(address_key(request.remote_addr))


def check_code(attempt, secret: bool = False):
    """Run a check that tells a real code from a wrong one in this address's turn (see CodeGuard).

    `attempt()` returns `(answer, known)`: `known` is false when the code or token named
    nothing, which spends the address's budget. Raises Crowded when too many wait already.
    A request that carries a valid secret for the code it names (`secret`: a join key, an
    attendee's token) skips the guard and is answered at once: a secret cannot be guessed,
    so the fast answer tells nothing about codes the asker does not already know.
    """
    if secret:
        return attempt()[0]
    return live().code_guard.check(address_key(request.remote_addr), attempt)
