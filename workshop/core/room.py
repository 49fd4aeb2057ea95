"""A workshop room as pure state: its people, its place in the agenda, its timer and feedback form.

Its groups and their turns are its `round` (see `round.py`), which it tells where the
agenda is and asks to change the groups. It is one piece past 300 lines because every
command here moves one state machine (open or ended, step, turn, timer) that the
shell saves as one row: split, each half would have to re-check the other's state.

Every command takes `now` (server epoch ms) and, where chance is involved, an `rng`,
changes the room in memory and returns a `Change` naming what the shell must save
and broadcast. Nothing here touches the network, the database or the clock.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from .agenda import Agenda, PairingStep, RoundStep, Step
from .change import Change
from .errors import Refusal
from .round import ROUND_OVER, Groups, Round, round_turns
from .timer import DONE, PAUSED, RUNNING, Timer, TimerError

PRESENT, AWAY, GONE, REMOVED = "present", "away", "gone", "removed"
OPEN, ENDED = "open", "ended"


@dataclass
class Settings:
    """Per-room settings, fixed when the room is made."""

    grace_ms: int = 120_000
    time_scale: float = 1.0
    max_attendees: int = 2000
    feedback_threshold: int = 5
    language: str = "en"  # what phones whose browser speaks none of the server's languages see


@dataclass
class Attendee:
    id: str
    name: str
    token_hash: str
    joined_at: int
    agreed: bool = False
    status: str = AWAY
    away_since: int | None = None
    moment: bool = False


class Room:
    """One workshop in progress."""

    def __init__(self, code: str, key_hash: str, agenda: Agenda, created_at: int, settings: Settings):
        self.code = code
        self.key_hash = key_hash
        self.agenda = agenda
        self.created_at = created_at
        self.settings = settings
        self.status = OPEN
        self.ended_at: int | None = None
        self.locked = False
        self.odd = agenda.odd
        self.round = Round()
        self.step_index = 0
        self.timer: Timer | None = None
        self.rounds_held: list[dict] = []
        self.message: dict | None = None
        self.feedback_open = False
        self.feedback_closed = False
        self.responses = 0
        self.seq = 0
        self.attendees: dict[str, Attendee] = {}
        self.answered: set[str] = set()
        self.present = 0
        self.needs_agreement = agenda.agreements is not None
        self._enter_step(0, rng=None)

    # -- what the views read -------------------------------------------------

    @property
    def step_index(self) -> int:
        return self._step_index

    @step_index.setter
    def step_index(self, index: int) -> None:
        """Move the agenda's place; the round follows, so a room read back has its round's step too."""
        self._step_index = index
        step = self.agenda.steps[index]
        self.round.step = step if isinstance(step, RoundStep) else None

    @property
    def step(self) -> Step:
        return self.agenda.steps[self.step_index]

    @property
    def phase(self) -> dict | None:
        """Return the current turn of a round, or ROUND_OVER, or None outside rounds."""
        return self.round.phase

    @property
    def groups(self) -> Groups:
        return self.round.groups

    @property
    def waiting(self) -> list[str]:
        return self.round.groups.waiting

    def eligible(self, attendee: Attendee) -> bool:
        """Tell whether someone can be put in a group now."""
        return attendee.status in (PRESENT, AWAY) and (attendee.agreed or not self.needs_agreement)

    def next_deadline(self) -> int | None:
        """Return when the server next has to act on its own for this room's timer."""
        return self.timer.deadline if self.timer and self.timer.state == RUNNING else None

    # -- people --------------------------------------------------------------

    def join(self, attendee_id: str, name: str, token_hash: str, now: int, rng) -> Change:
        """Admit a new attendee; they count as away until their phone connects."""
        self._check_open()
        if self.locked:
            raise Refusal("This workshop is not taking new people.", "room_unavailable")
        if len(self.attendees) >= self.settings.max_attendees:
            raise Refusal("This workshop is full.", "room_full")
        attendee = Attendee(attendee_id, name, token_hash, now, away_since=now)
        self.attendees[attendee_id] = attendee
        return Change(attendees={attendee_id}).merge(self._place(attendee, rng, "new"))

    def connect(self, attendee_id: str, now: int, rng) -> Change:
        """Mark an attendee connected; someone who was gone comes back into the pairing."""
        self._check_open()
        attendee = self._attendee(attendee_id)
        if attendee.status == REMOVED:
            raise Refusal("The facilitator has removed you from this workshop.", "removed")
        back = attendee.status == GONE  # their grace period ran out: they come back to a new place
        self._set_status(attendee, PRESENT, None)
        return Change(attendees={attendee_id}).merge(self._place(attendee, rng, "back" if back else "new"))

    def disconnect(self, attendee_id: str, now: int) -> Change:
        """Mark an attendee away; they keep their group through the grace period."""
        attendee = self.attendees.get(attendee_id)
        if self.status != OPEN or attendee is None or attendee.status != PRESENT:
            return Change()  # an ended room keeps everyone as they were when it ended
        self._set_status(attendee, AWAY, now)
        return Change(attendees={attendee_id})

    def expire_away(self, attendee_id: str, now: int, rng) -> Change:
        """Treat an attendee as gone once their grace period has passed, and re-pair their partner."""
        attendee = self.attendees.get(attendee_id)
        if self.status != OPEN or attendee is None or attendee.status != AWAY \
                or attendee.away_since + self.settings.grace_ms > now:
            return Change()
        self._set_status(attendee, GONE, attendee.away_since)
        return Change(attendees={attendee_id}).merge(self._unplace(attendee_id, rng))

    def agree(self, attendee_id: str, rng) -> Change:
        """Record that an attendee agreed to the room's agreements."""
        self._check_open()
        if not self.needs_agreement:
            raise Refusal("This workshop has no agreements to accept.", "no_agreements")
        attendee = self._attendee(attendee_id)
        if attendee.agreed:
            return Change()
        attendee.agreed = True
        change = Change(attendees={attendee_id}, personal={attendee_id})
        return change.merge(self._place(attendee, rng, "new"))

    def remove(self, attendee_id: str, rng) -> Change:
        """Remove an attendee for good; their token stops working."""
        self._check_open()
        attendee = self._attendee(attendee_id)
        if attendee.status == REMOVED:
            return Change()
        self._set_status(attendee, REMOVED, None)
        attendee.moment = False
        return Change(attendees={attendee_id}).merge(self._unplace(attendee_id, rng))

    def ask_moment(self, attendee_id: str, needed: bool) -> Change:
        """Let an attendee quietly tell the facilitator they need a moment."""
        self._check_open()
        attendee = self._attendee(attendee_id)
        if attendee.moment == needed:
            return Change()
        attendee.moment = needed
        return Change(attendees={attendee_id}, personal={attendee_id})

    def clear_moment(self, attendee_id: str) -> Change:
        """Let the facilitator clear a "needs a moment" once they have seen to it."""
        self._check_open()
        return self.ask_moment(attendee_id, False)

    # -- agenda and timers ---------------------------------------------------

    def go_to_step(self, index: int, now: int, rng) -> Change:
        """Move the room to step `index`."""
        self._check_open()
        if not 0 <= index < len(self.agenda.steps):
            raise Refusal("There is no step {number} in this agenda.", "bad_step", number=index + 1)
        if index == self.step_index:
            return Change()
        self.step_index = index
        return self._enter_step(index, rng)

    def start_timer(self, now: int) -> Change:
        """Start the step's timer; a round starts its first turn."""
        timer = self._timer()
        if self.phase is ROUND_OVER:
            raise Refusal("This round is complete.", "round_over")
        self.timer = _checked(timer.start, now)
        if self.round.step is not None and not self.round.started:
            self.rounds_held.append({"round": self.round.number, "groups": len(self.groups), "at": now})
            return Change(room=True).merge(self.round.start())
        return Change(room=True)

    def pause_timer(self, now: int) -> Change:
        """Pause the running timer."""
        self.timer = _checked(self._timer().pause, now)
        return Change(room=True)

    def resume_timer(self, now: int) -> Change:
        """Resume the paused timer."""
        self.timer = _checked(self._timer().resume, now)
        return Change(room=True)

    def extend_timer(self, seconds: int, now: int) -> Change:
        """Add time to the current timer."""
        self.timer = _checked(self._timer().extend, self._scaled(seconds / 60), now)
        return Change(room=True)

    def skip_timer(self, now: int, rng=None) -> Change:
        """End the current timer now; a round moves on to its next turn."""
        timer = self._timer()
        if self.round.step is None:
            self.timer = timer.finish()
            return Change(room=True)
        if self.phase is ROUND_OVER:
            raise Refusal("This round is complete.", "round_over")
        return self._next_phase(now, rng)

    def tick(self, now: int, rng=None) -> Change:
        """Act on every deadline that has passed, as if the server had been there."""
        change = Change()
        if self.status != OPEN:
            return change  # its timer stopped when it ended
        while self.timer and self.timer.expired(now):
            if self.round.step is not None:
                change.merge(self._next_phase(self.timer.deadline, rng))
            else:
                self.timer = self.timer.finish()
                change.room = True
        return change

    def send_message(self, text: str, now: int) -> Change:
        """Show a message to everyone, or clear it with empty text."""
        self._check_open()
        last = self.message["id"] if self.message else 0
        self.message = {"id": last + 1, "text": text, "at": now} if text else None
        return Change(room=True)

    def lock(self, locked: bool) -> Change:
        """Lock or unlock the room to new joiners."""
        self._check_open()
        if self.locked == locked:
            return Change()
        self.locked = locked
        return Change(room=True)

    def set_odd(self, odd: str) -> Change:
        """Choose what happens to an odd person: a triad, or the facilitator as partner."""
        self._check_open()
        if self.odd == odd:
            return Change()
        self.odd = odd
        return Change(room=True)

    def end(self, now: int) -> Change:
        """End the workshop: timers stop, the form closes, nobody new can join."""
        if self.status == ENDED:
            return Change()
        self.status, self.ended_at = ENDED, now
        if self.feedback_open:
            self.feedback_open, self.feedback_closed = False, True
        if self.timer and self.timer.state != DONE:
            self.timer = self.timer.finish()
        return Change(room=True)

    def _enter_step(self, index: int, rng) -> Change:
        step = self.agenda.steps[index]
        change = Change(room=True)
        if isinstance(step, RoundStep):
            self.round.enter(step, round_turns(step, self._scaled))
            self.timer = Timer.of(self.round.turns[0]["ms"])
            if self.round.claim(step):
                change.merge(self.pair_everyone(rng))
            else:
                change.merge(self.round.settle(rng, self.odd))
                change.personal.update(self.groups.of)
        else:
            self.round.enter(None, [])
            self.timer = Timer.of(self._scaled(step.minutes)) if step.minutes else None
            if isinstance(step, PairingStep):
                change.merge(self.pair_everyone(rng, step.odd))
            else:
                change.merge(self.round.settle(rng, self.odd))
        return change

    def _next_phase(self, start: int, rng) -> Change:
        """Cross a turn boundary: whoever waited for it is placed, then the next turn runs."""
        # A command without chance of its own (a deadline, a skip) still names new groups unguessably.
        rng = rng or random.Random(f"{self.code}:{self.seq}:{start}:{random.SystemRandom().random()}")
        change = self.round.next_turn(rng, self.odd)
        if self.phase is ROUND_OVER:
            self.timer = self.timer.finish()
        else:
            self.timer = Timer.running_from(self.phase["ms"], start)
        return change.merge(Change(room=True))

    # -- groups: the round's commands, once the room has checked it is open ----

    def pair_everyone(self, rng, odd: str | None = None) -> Change:
        """Form new groups from everyone present and agreed; they count as met once a round starts."""
        self._check_open()
        people = [a.id for a in self.attendees.values() if self.eligible(a)]
        return self.round.pair_everyone(people, set(self.attendees), rng, odd or self.odd)

    def swap_people(self, a: str, b: str, rng) -> Change:
        """Swap two people between their groups."""
        self._check_open()
        return self.round.swap(a, b, rng)

    def move_person(self, person: str, group_id: str, rng) -> Change:
        """Move someone into another group; whoever that leaves alone is placed again."""
        self._check_open()
        return self.round.move(person, group_id, rng, self.odd)

    def mark_done(self, attendee_id: str, now: int, rng=None) -> Change:
        """Record that a group finished its turn early; when every group has, the turn ends."""
        self._check_open()
        running = self.timer is not None and self.timer.state in (RUNNING, PAUSED)
        change = self.round.mark_done(attendee_id, running)
        if change and self.round.everyone_done:
            change.merge(self._next_phase(now, rng))
        return change

    def draw_prompt(self, attendee_id: str) -> Change:
        """Give a group the next prompt of the round's deck."""
        self._check_open()
        return self.round.draw_prompt(attendee_id)

    def place_waiting(self, attendee_id: str, group_id: str | None, rng) -> Change:
        """Place someone waiting now, as a listening third: the facilitator's one tap, no letter changes."""
        self._check_open()
        self._attendee(attendee_id)
        return self.round.place_now(attendee_id, group_id, rng)

    def _place(self, attendee: Attendee, rng, reason: str) -> Change:
        """Place someone who can now be grouped, once this room has begun pairing; mid-turn, hold them."""
        self._check_open()
        pairing_started = self.round.formed or self.step.kind in ("round", "pairing")
        if not pairing_started or not self.eligible(attendee):
            return Change()
        return self.round.place(attendee.id, rng, self.odd, reason)

    def _unplace(self, attendee_id: str, rng) -> Change:
        self._check_open()
        return self.round.unplace(attendee_id, rng, self.odd)

    # -- feedback ------------------------------------------------------------

    def open_feedback(self, now: int, rng) -> Change:
        """Open the feedback form, moving the room to the feedback step."""
        self._check_open()
        if self.agenda.feedback is None:
            raise Refusal("This agenda has no feedback form.", "no_feedback")
        change = self.go_to_step(self.agenda.feedback.index, now, rng)
        self.feedback_open, self.feedback_closed = True, False
        return change.merge(Change(room=True))

    def close_feedback(self) -> Change:
        """Close the feedback form."""
        self._check_open()
        if not self.feedback_open:
            raise Refusal("The feedback form is not open.", "feedback_closed")
        self.feedback_open, self.feedback_closed = False, True
        return Change(room=True)

    def check_can_answer(self, attendee_id: str) -> None:
        """Refuse feedback from someone who already answered, or while the form is closed."""
        self._check_open()
        self._attendee(attendee_id)
        if attendee_id in self.answered:
            raise Refusal("You have already answered. Thank you!", "already_answered")
        if not self.feedback_open:
            raise Refusal("The feedback form is not open.", "feedback_closed")

    def answer(self, attendee_id: str, answers: dict) -> Change:
        """Take one attendee's feedback; the response is stored apart from who gave it."""
        self.check_can_answer(attendee_id)
        self.answered.add(attendee_id)
        self.responses += 1
        return Change(personal={attendee_id}, response=answers, answered=attendee_id)

    @property
    def questions(self) -> list[dict]:
        """Return the feedback form's questions as the feedback module reads them, or none."""
        form = self.agenda.feedback
        return [question.to_dict() for question in form.questions] if form else []

    # -- helpers -------------------------------------------------------------

    def _attendee(self, attendee_id: str) -> Attendee:
        attendee = self.attendees.get(attendee_id)
        if attendee is None:
            raise Refusal("There is no such attendee in this workshop.", "unknown_attendee")
        return attendee

    def _set_status(self, attendee: Attendee, status: str, away_since: int | None) -> None:
        self._check_open()
        self.present += (status == PRESENT) - (attendee.status == PRESENT)
        attendee.status, attendee.away_since = status, away_since

    def _check_open(self) -> None:
        if self.status != OPEN:
            raise Refusal("This workshop has ended.", "room_ended")

    def _timer(self) -> Timer:
        self._check_open()
        if self.timer is None:
            raise Refusal("This step has no timer.", "no_timer")
        return self.timer

    def _scaled(self, minutes: float) -> int:
        return max(1, round(minutes * 60_000 * self.settings.time_scale))


def _checked(method, *args) -> Timer:
    try:
        return method(*args)
    except TimerError as error:
        raise Refusal(error.template, error.code, **error.params) from None
