"""Turn a room into the messages each audience receives."""

from __future__ import annotations

from .agenda import RoundStep
from .pairing.form import FACILITATOR
from .room import Room
from .round import Group

STEP_PRIVATE = {"prompts"}
# Named so that people can say them across a hall; the page draws each one (static/css/app.css).
PAIR_COLOURS = ("blue", "orange", "green", "purple", "pink", "teal", "gold", "red")


def room_view(room: Room) -> dict:
    """Return the room's shared state: one message for everyone in it."""
    step = room.step
    public = {k: v for k, v in step.to_dict().items() if k not in STEP_PRIVATE}
    public["count"] = len(room.agenda.steps)
    if isinstance(step, RoundStep):
        public["prompt"] = step.prompts[0]
    return {
        "code": room.code,
        "title": room.agenda.title,
        "seq": room.seq,
        "status": room.status,
        "locked": room.locked,
        "odd": room.odd,
        "step": public,
        "phase": phase_view(room),
        "timer": room.timer.to_dict() if room.timer else None,
        "message": room.message,
        "feedback": {"open": room.feedback_open, "closed": room.feedback_closed},
    }


def phase_view(room: Room) -> dict | None:
    """Return the current turn of a round, counting the triads' turn only when there is one."""
    phase = room.phase
    if phase is None:
        return None
    triad = room.groups.triads > 0
    turns, turn = room.round.turns, room.round.turn
    count = sum(1 for p in turns if p["speaker"] != "C" or triad)
    number = sum(1 for p in turns[:turn + 1] if p["speaker"] != "C" or triad)
    view = {"index": turn, "number": number, "count": count, "speaker": phase["speaker"],
            "title": phase["title"]}
    if "pair_title" in phase:
        view["pair_title"] = phase["pair_title"]
    return view


def you_view(room: Room, attendee_id: str) -> dict:
    """Return one attendee's personal state."""
    attendee = room.attendees[attendee_id]
    group = room.groups.of_person(attendee_id)
    return {
        "attendee": {
            "id": attendee.id,
            "name": attendee.name,
            "agreed": attendee.agreed,
            "answered": attendee_id in room.answered,
            "moment": attendee.moment,
        },
        "group": _personal_group(room, group, attendee_id) if group else None,
        "waiting": attendee_id in room.waiting,
        "pending": _hold(room, attendee_id),
        "must_agree": must_agree(room, attendee_id),
    }


def must_agree(room: Room, attendee_id: str) -> bool:
    """Tell whether an attendee has yet to accept the agenda's agreements (and so is not grouped)."""
    return room.needs_agreement and not room.attendees[attendee_id].agreed


def _hold(room: Room, attendee_id: str) -> dict | None:
    """Return why someone waits for the next turn and who left them, or None when they are not held."""
    hold = room.round.pending.get(attendee_id)
    if hold is None:
        return None
    partner = room.attendees.get(hold["partner"])
    return {"reason": hold["reason"], "partner": partner.name if partner else None}


def pending_view(room: Room) -> list[dict]:
    """Return who waits for the next turn boundary, why, and whose departure left them alone."""
    return [{"id": who, "reason": hold["reason"], "partner": hold["partner"]}
            for who, hold in room.round.pending.items()]


def agreements_view(room: Room) -> dict:
    """Return the agreements, sent once to a phone that must accept them, so that `you` stays small."""
    step = room.agenda.agreements
    return {"title": step.title, "text": step.text, "items": list(step.items)}


def _personal_group(room: Room, group: Group, attendee_id: str) -> dict:
    members = [
        {"id": member, "name": _name(room, member), "role": room.round.role_of(group, position)}
        for position, member in enumerate(group.members)
    ]
    return {
        "id": group.id,
        **pair_label(room, group),
        "members": members,
        "role": next(m["role"] for m in members if m["id"] == attendee_id),
        "prompt": room.round.prompt_of(group),
        "done": room.round.group_done(group),
    }


def pair_label(room: Room, group: Group) -> dict:
    """Return the number and colour every member of a group sees, so that they find each other in a hall.

    The number is fixed when the group forms (the smallest free in the room), so it holds as long as
    the group does, whatever happens to the others; the colour follows the number.
    """
    return {"number": group.number, "colour": PAIR_COLOURS[(group.number - 1) % len(PAIR_COLOURS)]}


def _name(room: Room, member: str) -> str:
    if member == FACILITATOR:
        return "Your facilitator"
    return room.attendees[member].name


def attendee_view(room: Room, attendee_id: str) -> dict:
    """Return what a facilitator sees of one attendee."""
    a = room.attendees[attendee_id]
    return {"id": a.id, "name": a.name, "status": a.status, "agreed": a.agreed,
            "moment": a.moment, "joined_at": a.joined_at}


def group_view(room: Room, group: Group) -> dict:
    """Return what a facilitator sees of one group."""
    return {
        "id": group.id,
        **pair_label(room, group),
        "members": list(group.members),
        "roles": [room.round.role_of(group, p) for p in range(len(group.members))],
        "prompt": room.round.prompt_of(group),
        "done": room.round.group_done(group),
    }


def groups_view(room: Room) -> dict:
    """Return every group and everyone waiting, for facilitators."""
    return {
        "groups": [group_view(room, g) for g in room.groups],
        "waiting": list(room.waiting),
        "pending": pending_view(room),
    }


def display_view(room: Room) -> dict:
    """Return what a projector shows: step, turn, timer and group counts, and never a name or a flag."""
    step = room.step
    triads = room.groups.triads
    return {
        "code": room.code,
        "seq": room.seq,
        "status": room.status,
        "locked": room.locked,
        "title": room.agenda.title,
        "step": {"index": step.index, "count": len(room.agenda.steps), "kind": step.kind,
                 "title": step.title, "round": step.round if isinstance(step, RoundStep) else None},
        "phase": phase_view(room),
        "timer": room.timer.to_dict() if room.timer else None,
        "groups": {"pairs": len(room.groups) - triads, "triads": triads,
                   "waiting": len(room.waiting) + sum(p not in room.groups.of for p in room.round.pending)},
        # The wall's legend, so that people can find their pair across a hall: numbers, colours
        # and sizes, never a name.
        "labels": sorted([group.number, pair_label(room, group)["colour"], len(group.members)]
                         for group in room.groups),
        "feedback": {"open": room.feedback_open, "closed": room.feedback_closed},
        "language": room.settings.language,  # the projector shows the room's language (docs/i18n.md)
    }


def console_view(room: Room, join_url: str, report_url: str, display_url: str = "") -> dict:
    """Return the whole room for a facilitator's console."""
    agenda = room.agenda
    return {
        "room": room_view(room),
        "attendees": [attendee_view(room, a) for a in room.attendees],
        **groups_view(room),
        "join_url": join_url,
        "report_url": report_url,
        "display_url": display_url,
        "feedback": {"responses": room.responses, "open": room.feedback_open,
                     "threshold": room.settings.feedback_threshold},
        "odd": room.odd,
        "agenda": {
            "name": agenda.name,
            "title": agenda.title,
            "steps": [{"index": s.index, "kind": s.kind, "title": s.title} for s in agenda.steps],
        },
    }


# -- facilitator deltas and notices (built here so that every payload has one home) ------------------

def feedback_count(room: Room) -> dict:
    """Return how many answered, and nothing else about them."""
    return {"responses": room.responses, "open": room.feedback_open}


def groups_delta(room: Room, change) -> dict:
    """Return the groups a change made or dropped, and who is waiting."""
    changed = [room.groups[g] for g in change.groups if g in room.groups]
    return {
        "groups": [group_view(room, g) for g in changed],
        "dropped": sorted(change.dropped_groups),
        "waiting": list(room.waiting),
        "pending": pending_view(room),
    }


def notice(message: str) -> dict:
    """Return a sentence for one connection that is about to be closed (replaced, removed)."""
    return {"message": message}
