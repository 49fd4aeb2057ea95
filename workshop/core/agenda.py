"""Read and check the YAML agendas a facilitator runs a workshop from.

The checks work on the YAML's mappings and give back frozen dataclasses (`Agenda`, its
`Step`s, a round's `Turn`s and `Cues`, a form's `Question`s); `to_dict` and `from_dict`
turn them into the plain JSON the store keeps and the views send, and back. It is one
piece past 300 lines because the format, its checks and its data types are one contract.
"""

from __future__ import annotations

import dataclasses
import datetime
import difflib
import re
from pathlib import Path

import yaml

from .errors import Refusal

MAX_BYTES = 256 * 1024
ODD_CHOICES = ("triad", "facilitator")
TOP_FIELDS = {"title", "summary", "minutes", "odd", "language", "steps"}
# A language tag as BCP 47 writes it (es, pt-BR, zh-Hant): the language the agenda's own text is in.
LANGUAGE_TAG = re.compile(r"[a-z]{2,3}(-[A-Za-z0-9]{2,8})*")
STEP_FIELDS = {"kind", "title", "text", "minutes"}
KIND_FIELDS = {  # the fields each kind of step adds to STEP_FIELDS
    "welcome": set(), "agreements": {"items"}, "pairing": {"odd"},
    "round": {"prompt", "prompts", "draw", "pairing", "turns", "cues", "reflection"},
    "message": set(), "feedback": {"questions"}, "closing": set(),
}
QUESTION_FIELDS = {"scale": {"labels"}, "single": {"options"}, "multiple": {"options"},
                   "text": {"max_length"}}
TURN_TITLES = {"A": "A speaks, B listens", "B": "B speaks, A listens", "both": "Open reflection"}
DEFAULT_CUES = {
    "speak": "Speak from the heart. Take your time; silence is fine.",
    "listen": "Listen without interrupting. Notice what moves you; you'll reflect it back.",
    "both": "Share what you heard and what it stirred in you.",
}
DEFAULT_LABELS = ("Not at all", "A little", "Somewhat", "Quite", "Very much")
SLUG = re.compile(r"[a-z0-9][a-z0-9_-]{0,39}")
_REQUIRED = object()


class AgendaError(Refusal):
    """An agenda that cannot be used: `message` names the file, the step and the field, then why.

    `problem` is the why alone; `file`, `step`, `step_title` and `field` say where.
    """

    def __init__(self, file: str, problem: str, *, step: int | None = None,
                 step_title: str | None = None, field: str | None = None):
        where = [file]
        if step is not None:
            where.append(f'step {step} ("{step_title}")' if step_title else f"step {step}")
        if field:
            where.append(f"field {field}")
        super().__init__(f"{', '.join(where)}: {problem}", "bad_agenda")
        self.file, self.problem, self.step, self.step_title, self.field = (
            file, problem, step, step_title, field)


class _Problem(Exception):
    """A problem at a field path, before the file and step are known."""

    def __init__(self, field: str | None, message: str):
        super().__init__(message)
        self.field, self.message = field, message


def _plain(value):
    """Return a value as JSON data: dataclasses as mappings, tuples as lists."""
    if dataclasses.is_dataclass(value):
        return value.to_dict()
    if isinstance(value, (tuple, list)):
        return [_plain(item) for item in value]
    return value


@dataclasses.dataclass(frozen=True)
class Turn:
    """One turn of a round: who speaks (A, B or both), for how long, under what title."""

    speaker: str
    minutes: float
    title: str

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


@dataclasses.dataclass(frozen=True)
class Cues:
    """The short lines a phone shows to whoever speaks, listens, or both."""

    speak: str
    listen: str
    both: str

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


@dataclasses.dataclass(frozen=True)
class Question:
    """One question of the feedback form; only its type's own field is set."""

    id: str
    type: str
    text: str
    required: bool
    labels: tuple[str, ...] | None = None  # scale
    max_length: int | None = None  # text
    options: tuple[str, ...] | None = None  # single, multiple

    def to_dict(self) -> dict:
        """Return the question as the form's JSON has it, without the other types' fields."""
        return {f.name: _plain(getattr(self, f.name)) for f in dataclasses.fields(self)
                if getattr(self, f.name) is not None}

    @classmethod
    def from_dict(cls, data: dict) -> Question:
        lists = {key: tuple(data[key]) for key in ("labels", "options") if key in data}
        return cls(**{**data, **lists})


@dataclasses.dataclass(frozen=True)
class Step:
    """A step of the agenda; welcome, message and closing steps have only these fields."""

    index: int
    kind: str
    title: str
    text: str
    minutes: float | None

    def to_dict(self) -> dict:
        """Return the step as the store keeps it and the views send it."""
        return {f.name: _plain(getattr(self, f.name)) for f in dataclasses.fields(self)}

    @staticmethod
    def from_dict(data: dict) -> Step:
        """Rebuild a step of any kind from its to_dict (what the store has always kept)."""
        kind = data["kind"]
        if kind == "round":
            return RoundStep(**{**data, "prompts": tuple(data["prompts"]), "cues": Cues(**data["cues"]),
                                "turns": tuple(Turn(**turn) for turn in data["turns"])})
        if kind == "agreements":
            return AgreementsStep(**{**data, "items": tuple(data["items"])})
        if kind == "pairing":
            return PairingStep(**data)
        if kind == "feedback":
            return FeedbackStep(**{**data, "questions": tuple(map(Question.from_dict, data["questions"]))})
        return Step(**data)


@dataclasses.dataclass(frozen=True)
class AgreementsStep(Step):
    items: tuple[str, ...]


@dataclasses.dataclass(frozen=True)
class PairingStep(Step):
    odd: str | None  # None: the room's own choice


@dataclasses.dataclass(frozen=True)
class RoundStep(Step):
    """A round: a deck of prompts, its turns, and `round`, its number among the agenda's rounds."""

    prompts: tuple[str, ...]
    draw: bool
    pairing: str  # "new" groups, or "keep" the last ones
    turns: tuple[Turn, ...]
    cues: Cues
    reflection: str
    round: int


@dataclasses.dataclass(frozen=True)
class FeedbackStep(Step):
    questions: tuple[Question, ...]


@dataclasses.dataclass(frozen=True)
class Agenda:
    """A checked agenda with every default filled in."""

    name: str
    title: str
    summary: str
    minutes: int | None
    odd: str
    steps: tuple[Step, ...]
    language: str | None = None  # the language the agenda is written in; None: not said

    @property
    def feedback(self) -> FeedbackStep | None:
        """Return the feedback step (an agenda has at most one), or None."""
        return next((s for s in self.steps if isinstance(s, FeedbackStep)), None)

    @property
    def agreements(self) -> AgreementsStep | None:
        """Return the first agreements step, or None."""
        return next((s for s in self.steps if isinstance(s, AgreementsStep)), None)

    def to_dict(self) -> dict:
        """Return a JSON-serialisable copy of the agenda."""
        data = {**{f.name: getattr(self, f.name) for f in dataclasses.fields(self)},
                "steps": [step.to_dict() for step in self.steps]}
        if data["language"] is None:
            del data["language"]  # an agenda that names no language is stored as it always was
        return data

    @classmethod
    def from_dict(cls, data: dict) -> Agenda:
        """Rebuild an agenda from the output of to_dict."""
        return cls(**{**data, "steps": tuple(map(Step.from_dict, data["steps"]))})


# -- one check per type of field: each returns the clean value or raises _Problem ---------------

def _missing(path: str, default):
    """Return the default of a missing field, or refuse it when it is required."""
    if default is _REQUIRED:
        raise _Problem(path, "is required")
    return default


def _text(value, path: str, limit: int, default=_REQUIRED, allow_empty: bool = False) -> str:
    """Return trimmed text of at most limit characters."""
    if value is None:
        return _missing(path, default)
    if not isinstance(value, str):
        quote = isinstance(value, (bool, int, float, datetime.date))  # YAML read `yes`, `3`...
        raise _Problem(path, "must be text" + (" (put it in quotes)" if quote else ""))
    value = value.strip()
    if not value and default is _REQUIRED and not allow_empty:
        raise _Problem(path, "must not be empty")
    if len(value) > limit:
        raise _Problem(path, f"must be at most {limit} characters (it has {len(value)})")
    return value


def _number(value, path: str, low: float, high: float, default=_REQUIRED, whole: bool = False):
    """Return a number from low to high (a whole one when whole is set); never a boolean."""
    if value is None:
        return _missing(path, default)
    kind = int if whole else (int, float)
    if isinstance(value, bool) or not isinstance(value, kind) or not low <= value <= high:
        number = "a whole number" if whole else "a number"
        raise _Problem(path, f"must be {number} from {low:g} to {high:g}")
    return value if whole else float(value)


def _language(value) -> str | None:
    """Return the agenda's language tag (es, pt-BR), or None when it names none."""
    language = _text(value, "language", 35, None)
    if language is not None and not LANGUAGE_TAG.fullmatch(language):
        raise _Problem("language", "should be a language tag such as es or pt-BR")
    return language


def _choice(value, path: str, choices, default=_REQUIRED) -> str:
    """Return one of the allowed words."""
    if value is None:
        return _missing(path, default)
    if not isinstance(value, str) or value not in choices:
        raise _Problem(path, "must be one of: " + ", ".join(choices))
    return value


def _flag(value, path: str, default: bool) -> bool:
    """Return a true or false setting."""
    if value is not None and not isinstance(value, bool):
        raise _Problem(path, "must be true or false")
    return default if value is None else value


def _list(value, path: str, low: int, high: int, what: str) -> list:
    """Return a required list of low to high entries."""
    if value is None:
        return _missing(path, _REQUIRED)
    if not isinstance(value, list) or not low <= len(value) <= high:
        hint = ' (start each one on its own line with "- ")' if isinstance(value, str) else ""
        count = f"{low}" if low == high else f"{low} to {high}"
        raise _Problem(path, f"must be a list of {count} {what}{hint}")
    return value


def _texts(value, path: str, low: int, high: int, what: str, limit: int,
           allow_empty: bool = False, unique: bool = False) -> list[str]:
    """Return a required list of texts of at most limit characters each."""
    texts: list[str] = []
    for number, item in enumerate(_list(value, path, low, high, what), 1):
        text = _text("" if item is None else item, f"{path}[{number}]", limit,
                     allow_empty=allow_empty)
        if unique and text in texts:
            raise _Problem(f"{path}[{number}]", f"repeats {path}[{texts.index(text) + 1}]")
        texts.append(text)
    return texts


def _fields(value, path: str, known: set, what: str, owners: dict | None = None) -> dict:
    """Return a mapping after refusing any field it does not know, to catch typos."""
    if not isinstance(value, dict):
        raise _Problem(path or None, 'must be a mapping of "name: value" lines')
    for key in (key for key in value if key not in known):
        elsewhere = [name for name, fields in (owners or {}).items() if key in fields]
        close = difflib.get_close_matches(str(key), sorted(known), n=1)
        if elsewhere:
            hint = f" (only {' and '.join(elsewhere)} have it)"
        else:
            hint = f'; did you mean "{close[0]}"?' if close else f" ({', '.join(sorted(known))})"
        raise _Problem(f"{path}.{key}" if path else str(key), f"is not a field of {what}{hint}")
    return value


# -- steps ---------------------------------------------------------------------------------------

def _step(raw) -> dict:
    """Return one step, checked, with its defaults filled in."""
    if not isinstance(raw, dict):
        raise _Problem(None, 'must be a mapping of "name: value" lines, starting with kind')
    kind = _choice(raw.get("kind"), "kind", tuple(KIND_FIELDS))
    if kind == "round" and "minutes" in raw:
        raise _Problem("minutes", "is not used on a round: give each of its turns minutes instead")
    _fields(raw, "", STEP_FIELDS | KIND_FIELDS[kind], f"a {kind} step",
            {f"{other} steps": fields for other, fields in KIND_FIELDS.items()})
    step = {
        "kind": kind,
        "title": _text(raw.get("title"), "title", 80),
        "text": _text(raw.get("text"), "text", 2000, _REQUIRED if kind == "message" else ""),
        "minutes": _number(raw.get("minutes"), "minutes", 0.25, 120, None),
    }
    if kind == "agreements":
        step["items"] = _texts(raw.get("items"), "items", 1, 12, "agreements", 200)
    elif kind == "pairing":
        step["odd"] = _choice(raw.get("odd"), "odd", ODD_CHOICES, None)
    elif kind == "round":
        step.update(_round(raw))
    elif kind == "feedback":
        step["questions"] = _questions(raw.get("questions"))
    return step


def _round(raw: dict) -> dict:
    """Return the fields of a round: its deck, turns, cues and reflection."""
    prompt, prompts = raw.get("prompt"), raw.get("prompts")
    if prompt is not None and prompts is not None:
        raise _Problem("prompts", "use either prompt (one question) or prompts (a deck), not both")
    if isinstance(prompt, list):
        raise _Problem("prompt", "must be one text; for a deck of several, use prompts")
    if prompt is None:
        deck = _texts(prompts, "prompts", 1, 50, "prompts", 300, unique=True)
    else:
        deck = [_text(prompt, "prompt", 300)]
    draw = _flag(raw.get("draw"), "draw", len(deck) > 1)
    if draw and len(deck) < 2:
        raise _Problem("draw", "needs a deck of at least two prompts")
    turns = [_turn(turn, f"turns[{number}]")
             for number, turn in enumerate(_list(raw.get("turns"), "turns", 1, 6, "turns"), 1)]
    cues = raw.get("cues")
    cues = _fields({} if cues is None else cues, "cues", set(DEFAULT_CUES), "cues")
    return {
        "prompts": deck,
        "draw": draw,
        "pairing": _choice(raw.get("pairing"), "pairing", ("new", "keep"), "new"),
        "turns": turns,
        "cues": {key: _text(cues.get(key), f"cues.{key}", 200, default)
                 for key, default in DEFAULT_CUES.items()},
        "reflection": _text(raw.get("reflection"), "reflection", 500, ""),
    }


def _turn(raw, path: str) -> dict:
    """Return one turn of a round: who speaks, for how long, under what title."""
    _fields(raw, path, {"speaker", "minutes", "title"}, "a turn")
    speaker = _choice(raw.get("speaker"), f"{path}.speaker", tuple(TURN_TITLES))
    minutes = _number(raw.get("minutes"), f"{path}.minutes", 0.25, 60)
    title = _text(raw.get("title"), f"{path}.title", 60, "") or TURN_TITLES[speaker]
    return {"speaker": speaker, "minutes": minutes, "title": title}


# One person's answers travel in one Socket.IO message of at most 128 KB: a form may ask for 10,000
# characters of answers in all. A client may escape every character past ASCII in its JSON (Python's
# json.dumps does: an emoji becomes two \uXXXX, 12 bytes), so 120,000 bytes, and room for the ids.
FORM_ANSWER_LIMIT = 10_000


def _questions(value) -> list[dict]:
    """Return the questions of a feedback form, each with its own id."""
    questions: list[dict] = []
    for number, raw in enumerate(_list(value, "questions", 1, 20, "questions"), 1):
        question, ids = _question(raw, f"questions[{number}]"), [q["id"] for q in questions]
        if question["id"] in ids:
            raise _Problem(f"questions[{number}].id",
                           f"is already used by questions[{ids.index(question['id']) + 1}]")
        questions.append(question)
    longest = sum(_longest_answer(q) for q in questions)
    if longest > FORM_ANSWER_LIMIT:
        raise _Problem("questions", f"allow answers of {longest:,} characters in all, and one person's "
                                    f"answers may be {FORM_ANSWER_LIMIT:,} at most: lower a text "
                                    f"question's max_length, shorten options, or ask fewer questions")
    return questions


def _longest_answer(question: dict) -> int:
    """Return how many characters one answer to a question can hold (the options' text is sent)."""
    if question["type"] == "text":
        return question["max_length"]
    if question["type"] == "multiple":
        return sum(len(option) for option in question["options"])
    if question["type"] == "single":
        return max(len(option) for option in question["options"])
    return 1


def _question(raw, path: str) -> dict:
    """Return one feedback question with the defaults of its type."""
    if not isinstance(raw, dict):
        raise _Problem(path, 'must be a mapping of "name: value" lines')
    kind = _choice(raw.get("type"), f"{path}.type", tuple(QUESTION_FIELDS))
    _fields(raw, path, {"id", "type", "text", "required"} | QUESTION_FIELDS[kind],
            f"a {kind} question", {f"{k} questions": f for k, f in QUESTION_FIELDS.items()})
    question = {"id": _text(raw.get("id"), f"{path}.id", 40)}
    if not SLUG.fullmatch(question["id"]):
        raise _Problem(f"{path}.id",
                       'must be lowercase letters, digits, "-" or "_" (like felt_safe)')
    question.update(type=kind, text=_text(raw.get("text"), f"{path}.text", 200),
                    required=_flag(raw.get("required"), f"{path}.required",
                                   kind in ("scale", "single")))
    if kind == "scale":
        labels = raw.get("labels")
        question["labels"] = list(DEFAULT_LABELS) if labels is None else _texts(
            labels, f"{path}.labels", 5, 5, "labels", 40, allow_empty=True)
    elif kind == "text":
        question["max_length"] = _number(raw.get("max_length"), f"{path}.max_length", 1, 2000,
                                         1000, whole=True)
    else:
        question["options"] = _texts(raw.get("options"), f"{path}.options", 2, 12, "options", 100,
                                     unique=True)
    return question


# -- agendas -------------------------------------------------------------------------------------

def parse_agenda(data: object, *, name: str, file: str) -> Agenda:
    """Check an agenda loaded from YAML and return it with its defaults filled in."""
    agenda, problems = check_agenda(data, name=name, file=file)
    if problems:
        raise problems[0]
    return agenda


def check_agenda(data: object, *, name: str, file: str) -> tuple[Agenda | None, list[AgendaError]]:
    """Check an agenda (from a file or the studio) and return it, or None, with every problem found.

    The first problem is the one `parse_agenda` raises; after it the checks go on, one problem
    per top-level field and per step, so that the studio can mark each field at once.
    """
    problems: list[AgendaError] = []

    def top(check, *args):
        try:
            return check(*args)
        except _Problem as problem:
            problems.append(AgendaError(file, problem.message, field=problem.field))
            return None

    if data is None:
        return None, [AgendaError(file, "is empty")]
    if top(_fields, data, "", TOP_FIELDS, "an agenda") is None and not isinstance(data, dict):
        return None, problems
    title = top(_text, data.get("title"), "title", 80)
    summary = top(_text, data.get("summary"), "summary", 200, "")
    minutes = top(_number, data.get("minutes"), "minutes", 1, 600, None, True)
    odd = top(_choice, data.get("odd"), "odd", ODD_CHOICES, "triad")
    language = top(_language, data.get("language"))
    raw_steps = top(_list, data.get("steps"), "steps", 1, 60, "steps") or []
    steps: list[dict] = []
    for index, raw in enumerate(raw_steps):
        try:
            step = {"index": index, **_step(raw)}
            earlier = [s["kind"] for s in steps]
            if step["kind"] == "feedback" and "feedback" in earlier:
                raise _Problem("kind", "an agenda has at most one feedback step "
                                       f"(step {steps[earlier.index('feedback')]['index'] + 1} is one)")
            if step["kind"] == "round":
                step["round"] = earlier.count("round") + 1
                if step["pairing"] == "keep" and not {"pairing", "round"} & set(earlier):
                    raise _Problem("pairing", "keep needs groups to keep: put a pairing step or a "
                                              "round before this one, or use pairing: new")
        except _Problem as problem:
            label = raw.get("title") if isinstance(raw, dict) else None
            label = label.strip()[:60] if isinstance(label, str) else None
            problems.append(AgendaError(file, problem.message, step=index + 1,
                                        step_title=label or None, field=problem.field))
            continue
        steps.append(step)
    if problems:
        return None, problems
    return Agenda(name=name, title=title, summary=summary, minutes=minutes, odd=odd,
                  steps=tuple(map(Step.from_dict, steps)), language=language), []


class _Loader(yaml.SafeLoader):
    """A safe YAML loader that refuses a name given twice in one mapping."""

    def construct_mapping(self, node, deep=False):
        """Refuse repeated keys, which YAML would otherwise let the last one win silently."""
        seen = set()
        for key, _ in node.value:
            if isinstance(key, yaml.ScalarNode) and key.tag != "tag:yaml.org,2002:merge":
                if key.value in seen:
                    raise yaml.constructor.ConstructorError(
                        None, None, f'"{key.value}" is given twice', key.start_mark)
                seen.add(key.value)
        return super().construct_mapping(node, deep)


def load_agenda(path: Path | str) -> Agenda:
    """Read one agenda file and check it."""
    path = Path(path)
    file = f"agendas/{path.name}"
    try:
        with path.open("rb") as handle:
            content = handle.read(MAX_BYTES + 1)
    except OSError as error:
        raise AgendaError(file, f"cannot be read ({error.strerror or error})") from None
    if len(content) > MAX_BYTES:
        raise AgendaError(file, f"is larger than the limit of {MAX_BYTES // 1024} KB")
    if not SLUG.fullmatch(path.stem):
        raise AgendaError(file, 'the file name must be lowercase letters, digits, "-" or "_" '
                                "(like my-workshop.yaml)")
    return parse_agenda(read_yaml(content, file), name=path.stem, file=file)


def read_yaml(content: bytes | str, file: str) -> object:
    """Read an agenda's YAML text as plain data, refusing what the loader refuses."""
    if isinstance(content, str):
        content = content.encode("utf-8", "surrogatepass")
    if len(content) > MAX_BYTES:
        raise AgendaError(file, f"is larger than the limit of {MAX_BYTES // 1024} KB")
    try:
        return yaml.load(content, Loader=_Loader)  # _Loader is a SafeLoader
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
        problem = error.problem or error.context or "unreadable"
        if "'\\t'" in problem:
            problem += " (indent with spaces, never tabs)"
        raise AgendaError(file, f"not valid YAML{where}: {problem}") from None
    except yaml.YAMLError as error:
        raise AgendaError(file, f"not valid YAML: {error}") from None
    except RecursionError:
        raise AgendaError(file, "not valid YAML: it is nested too deeply") from None


def load_agendas(folder: Path | str) -> tuple[dict[str, Agenda], list[AgendaError]]:
    """Load every agenda in a folder; return the good ones by name, and the errors of the rest."""
    agendas: dict[str, Agenda] = {}
    errors: list[AgendaError] = []
    for path in sorted(Path(folder).glob("*.y*ml"), key=lambda p: p.name):
        if path.suffix not in (".yaml", ".yml") or path.name.startswith(".") or not path.is_file():
            continue  # editor back-ups, hidden files and the like
        try:
            agenda = load_agenda(path)
            if agenda.name in agendas:
                raise AgendaError(f"agendas/{path.name}",
                                  f'another file already holds the agenda "{agenda.name}"')
            agendas[agenda.name] = agenda
        except AgendaError as error:
            errors.append(error)
    return agendas, errors
