"""Anonymous feedback: check one attendee's answers and summarise everyone's."""

from __future__ import annotations

import random

from .errors import Refusal
from .text import clean_text

SCALE = range(1, 6)
MIN_THRESHOLD = 3
DEFAULT_THRESHOLD = 5
DEFAULT_MAX_LENGTH = 1000

# A spreadsheet treats a cell starting with one of these as a formula (or, for
# tab and carriage return, may strip them and then see one).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


class FeedbackError(Refusal):
    """An answer sheet that cannot be accepted; the message is for the attendee, naming the question.

    Codes (docs/protocol.md): `bad_answers` (a value of the wrong kind), `unknown_question`,
    `missing_answer`, `answer_too_long`; `threshold_too_low` is a server setting's, not a wire code.
    """

    def __init__(self, message: str, code: str = "bad_answers"):
        super().__init__(message, code)


def clean_answers(questions: list[dict], answers: object) -> dict:
    """Check an attendee's answers and return them normalised, in question order."""
    if not isinstance(answers, dict):
        raise FeedbackError("Your answers could not be read. Please try again.")
    known = {q["id"] for q in questions}
    if any(key not in known for key in answers):
        raise FeedbackError(
            "This form has changed since you opened it. Please reload the page and answer again.",
            "unknown_question",
        )
    cleaned = {}
    for question in questions:
        value = _clean_one(question, answers.get(question["id"]))
        if value is None:
            if question.get("required"):
                raise FeedbackError(f"Please answer: {question['text']}", "missing_answer")
            continue
        cleaned[question["id"]] = value
    return cleaned


def _clean_one(question: dict, value: object):
    """Return one answer normalised, None when unanswered, or raise FeedbackError."""
    if value is None:
        return None
    kind, text = question["type"], question["text"]
    if kind == "scale":
        # bool is an int in Python, and JSON `true` must not count as a rating.
        if type(value) is not int or value not in SCALE:
            raise FeedbackError(f"Please choose a rating from 1 to 5 for: {text}")
        return value
    if kind == "single":
        if value == "":
            return None
        if not isinstance(value, str) or value not in question["options"]:
            raise FeedbackError(f"Please choose one of the options for: {text}")
        return value
    if kind == "multiple":
        options = question["options"]
        if not isinstance(value, list) or not all(
            isinstance(v, str) and v in options for v in value
        ):
            raise FeedbackError(f"Please choose from the options given for: {text}")
        if len(set(value)) != len(value):
            raise FeedbackError(f"Please choose each option only once for: {text}")
        chosen = set(value)
        return [option for option in options if option in chosen] or None
    if kind == "text":
        if not isinstance(value, str):
            raise FeedbackError(f"Please write your answer as text for: {text}")
        value = clean_text(value, multiline=True)
        limit = question.get("max_length", DEFAULT_MAX_LENGTH)
        if len(value) > limit:
            raise FeedbackError(
                f"Please keep your answer to “{text}” under {limit} characters "
                f"(it has {len(value)}).",
                "answer_too_long",
            )
        return value or None
    raise ValueError(f"unknown question type {kind!r}")


def checked_threshold(k: object) -> int:
    """Return k as a results threshold, refusing one that would weaken anonymity."""
    if type(k) is not int or k < MIN_THRESHOLD:
        raise FeedbackError(
            f"Results can only be shown once at least {MIN_THRESHOLD} people have answered.",
            "threshold_too_low",
        )
    return k


def add_to_bag(bag: list[dict], answers: dict, rng: random.Random) -> list[dict]:
    """Return the bag with one more answer sheet, reshuffled so that its order owes nothing to time."""
    bag = [*bag, answers]
    rng.shuffle(bag)
    return bag


def publish(published: list[dict], pending: list[dict], threshold: int,
            rng: random.Random) -> tuple[list[dict], list[dict]]:
    """Move waiting answers into the published results, only in steps of at least `threshold`.

    Any two results anyone can see then differ by at least `threshold` answers or not
    at all, so that no difference between two downloads is one person's answer.
    """
    if len(pending) < checked_threshold(threshold):
        return published, pending
    merged = [*published, *pending]
    rng.shuffle(merged)
    return merged, []


def summarize(questions: list[dict], published: list[dict], *, threshold: int, pending: int = 0) -> dict:
    """Summarise the published answers; those still waiting are only counted.

    Written answers keep the published bag's order: a random shuffle made once, at
    publication, so that two downloads of the same results agree. Results are never
    broken down by pair or round: responses carry no such thing.
    """
    threshold = checked_threshold(threshold)
    visible = len(published) >= threshold
    summaries = []
    for question in questions:
        summary = {"id": question["id"], "text": question["text"], "type": question["type"]}
        if visible:
            values = [r[question["id"]] for r in published if question["id"] in r]
            summary.update(_tally(question, values))
        summaries.append(summary)
    count = len(published) + pending
    shown = len(published) if visible else 0
    return {"count": count, "published": shown, "pending": count - shown, "visible": visible,
            "threshold": threshold, "questions": summaries}


def _tally(question: dict, values: list) -> dict:
    """Return the numbers for one question; values an earlier form allowed are skipped."""
    kind = question["type"]
    if kind == "scale":
        ratings = [v for v in values if type(v) is int and v in SCALE]
        average = round(sum(ratings) / len(ratings), 2) if ratings else None
        return {
            "distribution": [ratings.count(point) for point in SCALE],
            "average": average,
            "answered": len(ratings),
        }
    if kind in ("single", "multiple"):
        counts = dict.fromkeys(question["options"], 0)
        answered = 0
        for value in values:
            chosen = [value] if kind == "single" else value
            if not isinstance(chosen, list):
                continue
            chosen = [c for c in chosen if isinstance(c, str) and c in counts]
            for option in chosen:
                counts[option] += 1
            answered += bool(chosen)
        return {"counts": counts, "answered": answered}
    if kind == "text":
        answers = [v for v in values if isinstance(v, str) and v]
        return {"answers": answers, "answered": len(answers)}
    raise ValueError(f"unknown question type {kind!r}")


def neutralize_cell(value):
    """Return value made safe for a spreadsheet cell: formula-like text gets a leading '."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value
