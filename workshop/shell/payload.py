"""The wire's shapes, declared once: each event's payload, each connect `auth` and each JSON body.

A declaration is read by `Schema.read`, which refuses what does not fit with a plain
sentence (a Refusal, code `bad_request` unless the schema says otherwise), and it is
written out by `Schema.rows` as the rows of docs/protocol.md's "Payload fields" table:
tests/test_protocol_doc.py checks that the page and these declarations agree.

It is one piece past 300 lines because the field types, the schemas made of them and the
table written from them are one declaration of the wire: split, what an event takes would
be read in one file and checked in another.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..core.errors import N_, Refusal, Words
from ..core.text import clean_text, first_unwanted, normal, visible

MISSING = object()


@dataclass(frozen=True)
class Whole:
    """A whole number from `low` to `high` (JSON true and false are not numbers)."""

    low: int
    high: int
    type = "integer"

    def read(self, value, what: str) -> int:
        if type(value) is not int or not self.low <= value <= self.high:
            raise Refusal("{what} must be a whole number from {low} to {high}.", "bad_request",
                          what=what, low=self.low, high=self.high)
        return value

    def values(self) -> str:
        return f"{self.low} to {self.high}"


@dataclass(frozen=True)
class Flag:
    """True or false."""

    type = "boolean"

    def read(self, value, what: str) -> bool:
        if not isinstance(value, bool):
            raise Refusal("{what} must be true or false.", "bad_request", what=what)
        return value

    def values(self) -> str:
        return "`true`, `false`"


@dataclass(frozen=True)
class Choice:
    """One of a few words."""

    choices: tuple[str, ...]
    type = "string"

    def read(self, value, what: str) -> str:
        if value not in self.choices or not isinstance(value, str):
            raise Refusal("{what} must be one of: {choices}.", "bad_request", what=what,
                          choices=", ".join(self.choices))
        return value

    def values(self) -> str:
        return ", ".join(f"`{choice}`" for choice in self.choices)


@dataclass(frozen=True)
class Text:
    """Text of `low` to `high` characters once trimmed.

    Strict text (names, codes) is refused when it holds a character typed text may not
    (core/text.py); free text (messages) has those characters removed.
    """

    high: int
    low: int = 1
    multiline: bool = False
    strict: bool = False
    type = "string"

    def read(self, value, what: str) -> str:
        if not isinstance(value, str):
            raise Refusal("{what} must be text.", "bad_request", what=what)
        if self.strict:
            value = normal(value)
            if first_unwanted(value) is not None:
                raise Refusal("{what} may not contain control, direction or byte-order characters.",
                              "bad_request", what=what)
            value = value.strip()
        else:
            value = clean_text(value, self.multiline)
        if self.low and not visible(value):
            raise Refusal("{what} cannot be empty.", "bad_request", what=what)
        if len(value) > self.high:
            raise Refusal("{what} must be at most {high} characters.", "bad_request",
                          what=what, high=self.high)
        return value

    def values(self) -> str:
        lines = ", line breaks allowed" if self.multiline else ""
        refused = ", control and direction characters refused" if self.strict else ""
        return f"{self.low} to {self.high} characters{lines}{refused}"


@dataclass(frozen=True)
class Secret:
    """A key or a token, taken as it is: up to `high` characters."""

    high: int
    type = "string"

    def read(self, value, what: str) -> str:
        if not isinstance(value, str) or not 1 <= len(value) <= self.high:
            raise Refusal("{what} must be text of 1 to {high} characters.", "bad_request",
                          what=what, high=self.high)
        return value

    def values(self) -> str:
        return f"1 to {self.high} characters"


@dataclass(frozen=True)
class Id:
    """An id such as `a_0123456789abcdef`."""

    prefix: str
    type = "string"

    def read(self, value, what: str) -> str:
        if not isinstance(value, str) or not value.startswith(self.prefix) or len(value) > 40:
            raise Refusal("{what} must be an id starting with '{prefix}'.", "bad_request", what=what,
                          prefix=self.prefix)
        return value

    def values(self) -> str:
        return f"starts with `{self.prefix}`, at most 40 characters"


@dataclass(frozen=True)
class Raw:
    """Text taken as it is (a file's content, checked further on): up to `high` characters."""

    high: int
    type = "string"

    def read(self, value, what: str) -> str:
        if not isinstance(value, str) or len(value) > self.high:
            raise Refusal("{what} must be text of at most {high} characters.", "bad_request",
                          what=what, high=self.high)
        return value

    def values(self) -> str:
        return f"0 to {self.high} characters, as they are"


@dataclass(frozen=True)
class Object:
    """A JSON object whose keys are checked further on (feedback answers, an agenda: by the core)."""

    holds: str = "question ids to answers, see `send_feedback`"
    type = "object"

    def read(self, value, what: str) -> dict:
        if not isinstance(value, dict):
            raise Refusal("{what} must be an object.", "bad_request", what=what)
        return value

    def values(self) -> str:
        return self.holds


@dataclass(frozen=True)
class Field:
    """One key of a payload: what it holds, and whether it may be left out (then `default`) or null."""

    name: str
    kind: Whole | Flag | Choice | Text | Secret | Raw | Id | Object
    default: object = MISSING
    what: str | None = None
    nullable: bool = False

    @property
    def required(self) -> bool:
        return self.default is MISSING

    def read(self, data: dict):
        what = Words(self.what) if self.what else f"'{self.name}'"
        if self.name not in data:
            if self.required:
                raise Refusal("{what} is required.", "bad_request", what=what)
            return self.default
        value = data[self.name]
        if value is None and self.nullable:
            return self.default
        return self.kind.read(value, what)

    def row(self) -> tuple[str, str, str, str]:
        """Return this field as docs/protocol.md lists it: name, type, required, values."""
        required = "yes" if self.required else (
            "no" if self.default is None else f"no (default `{str(self.default).lower()}`)")
        if self.nullable:
            required += ", may be `null`"
        return f"`{self.name}`", self.kind.type, required, self.kind.values()


@dataclass(frozen=True)
class Schema:
    """A payload: a JSON object with these fields; unknown keys are ignored.

    A payload that does not fit is refused with `code`; `says`, when given, replaces every
    sentence (so that a wrong report key and a malformed one get the same answer).
    """

    fields: tuple[Field, ...] = ()
    code: str = "bad_request"
    says: str | None = None
    not_object: str = N_("Send the payload as a JSON object ({} when it has no fields).")

    def read(self, data) -> dict:
        """Return the declared fields of `data`, defaults filled in, or raise a Refusal."""
        try:
            if not isinstance(data, dict):
                raise Refusal(self.not_object, "bad_request")
            return {f.name: f.read(data) for f in self.fields}
        except Refusal as error:
            if self.says:
                raise Refusal(self.says, self.code) from None
            raise Refusal(error.template, self.code, **error.params) from None

    def rows(self, where: str) -> list[tuple[str, ...]]:
        """Return this schema's rows of the protocol's "Payload fields" table."""
        return [(where, *f.row()) for f in self.fields]


def schema(*fields: Field, **options) -> Schema:
    return Schema(tuple(fields), **options)


NOTHING = schema()
PERSON = schema(Field("attendee_id", Id("a_")))
CODE = Field("code", Text(12, strict=True), what=N_("The room code"))

# Client -> server events, attendees' then facilitators' (docs/protocol.md, same order).
EVENTS: dict[str, Schema] = {
    "sync_clock": NOTHING,
    "agree": NOTHING,
    "mark_done": NOTHING,
    "draw_prompt": NOTHING,
    "ask_moment": schema(Field("needed", Flag())),
    "send_feedback": schema(Field("answers", Object())),
    "go_to_step": schema(Field("index", Whole(0, 999))),
    "start_timer": NOTHING,
    "pause_timer": NOTHING,
    "resume_timer": NOTHING,
    "extend_timer": schema(Field("seconds", Whole(10, 600))),
    "skip_timer": NOTHING,
    "send_message": schema(Field("text", Text(280, low=0, multiline=True), what=N_("The message"))),
    "lock_room": schema(Field("locked", Flag())),
    "remove_attendee": PERSON,
    "clear_moment": PERSON,
    "pair_everyone": NOTHING,
    "set_odd": schema(Field("odd", Choice(("triad", "facilitator")))),
    "swap_people": schema(Field("a", Id("a_")), Field("b", Id("a_"))),
    "move_person": schema(Field("attendee_id", Id("a_")), Field("group_id", Id("g_"))),
    "place_waiting": schema(Field("attendee_id", Id("a_")),
                            Field("group_id", Id("g_"), default=None, nullable=True)),
    "open_feedback": NOTHING,
    "close_feedback": NOTHING,
    "end_workshop": NOTHING,
}

ROLE = schema(Field("role", Choice(("attendee", "facilitator", "display"))), code="bad_auth",
              not_object=N_("Connect with an auth object."))
AUTH: dict[str, Schema] = {
    role: schema(Field("role", Choice((role,))), CODE, Field(secret, Secret(64)),
                 Field("lang", Text(35, low=0), default=None, nullable=True), code="bad_auth",
                 not_object=ROLE.not_object)
    for role, secret in (("attendee", "token"), ("facilitator", "key"), ("display", "key"))
}

JSON_OBJECT = N_("Send a JSON object with Content-Type: application/json.")
AGENDA_HOLDS = "an agenda as its YAML file has it, see docs/agendas.md"
AGENDA = Field("agenda", Object(AGENDA_HOLDS), what=N_("The agenda"))
ORGANIZER_KEY = Field("organizer_key", Secret(256), default=None, nullable=True)
BODIES: dict[str, Schema] = {
    "POST /api/workshops": schema(
        Field("agenda", Text(80, strict=True)),
        Field("odd", Choice(("triad", "facilitator")), default=None),
        Field("language", Choice(("en", "es", "de", "fr", "pt", "ar")), default=None),
        ORGANIZER_KEY,
        not_object=JSON_OBJECT),
    "POST /api/join": schema(CODE, Field("name", Text(40, strict=True), what=N_("Your name")),
                             Field("join_key", Secret(64), default=None, nullable=True),
                             not_object=JSON_OBJECT),
    "POST /reports/<CODE>/unlock": schema(Field("key", Secret(256)), code="wrong_key",
                                          says=N_("That report link is not valid.")),
    "POST /api/studio/check": schema(AGENDA, not_object=JSON_OBJECT),
    "POST /api/studio/agendas": schema(AGENDA, ORGANIZER_KEY, not_object=JSON_OBJECT),
    "PUT /api/studio/agendas/<ID>": schema(AGENDA, not_object=JSON_OBJECT),
    "POST /api/studio/export": schema(AGENDA, not_object=JSON_OBJECT),
    "POST /api/studio/import": schema(Field("yaml", Raw(64 * 1024), what=N_("The file")),
                                      not_object=JSON_OBJECT),
    "POST /api/studio/workshops": schema(
        Field("from", Choice(("file", "studio"))),
        Field("agenda", Text(80, strict=True)),
        Field("version", Whole(1, 1_000_000), default=None, nullable=True),
        Field("tweaked", Object(AGENDA_HOLDS), default=None, nullable=True),
        Field("odd", Choice(("triad", "facilitator")), default=None),
        Field("language", Choice(("en", "es", "de", "fr", "pt", "ar")), default=None),
        ORGANIZER_KEY,
        not_object=JSON_OBJECT),
}


def table() -> list[tuple[str, ...]]:
    """Return every declared field as a row of docs/protocol.md's "Payload fields" table."""
    rows = []
    for event, declared in EVENTS.items():
        rows += declared.rows(f"`{event}`")
    for role, declared in AUTH.items():
        rows += declared.rows(f"connect `{role}`")
    for endpoint, declared in BODIES.items():
        rows += declared.rows(f"`{endpoint}`")
    return rows
