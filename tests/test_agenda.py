import copy
import json
import tempfile
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from workshop.core.agenda import (
    DEFAULT_CUES,
    DEFAULT_LABELS,
    MAX_BYTES,
    Agenda,
    AgendaError,
    load_agenda,
    load_agendas,
    parse_agenda,
)

AGENDAS = Path(__file__).resolve().parent.parent / "agendas"
SHIPPED = sorted(AGENDAS.glob("*.yaml"))
FILE = "agendas/test.yaml"

# A small valid agenda; the malformed cases below each break one thing in it.
VALID = {
    "title": "Test agenda",
    "steps": [
        {"kind": "welcome", "title": "Welcome"},  # step 1
        {"kind": "agreements", "title": "Agreements", "items": ["Be kind", "You can pass"]},  # 2
        {"kind": "pairing", "title": "Pairs"},  # 3
        {  # step 4
            "kind": "round",
            "title": "Round 1",
            "prompts": ["What brought you here?", "What moves you?"],
            "turns": [{"speaker": "A", "minutes": 3}, {"speaker": "B", "minutes": 3}],
        },
        {"kind": "message", "title": "Pause", "text": "Breathe.", "minutes": 2},  # 5
        {  # step 6
            "kind": "feedback",
            "title": "Feedback",
            "questions": [
                {"id": "overall", "type": "scale", "text": "How was it?"},
                {"id": "length", "type": "single", "text": "Length?", "options": ["Short", "Long"]},
                {"id": "more", "type": "text", "text": "Anything else?"},
            ],
        },
        {"kind": "closing", "title": "Thanks"},  # 7
    ],
}
DELETE = object()


def edited(path: tuple, value) -> dict:
    """Return a copy of VALID with one value set (or deleted) at a path; list indexes are 1-based."""
    data = copy.deepcopy(VALID)
    *parents, last = path
    target = data
    for key in parents:
        target = target[key - 1] if isinstance(key, int) else target[key]
    if isinstance(last, int):
        if last == len(target) + 1:
            target.append(value)
        else:
            target[last - 1] = value
    elif value is DELETE:
        del target[last]
    else:
        target[last] = value
    return data


def parse(data) -> Agenda:
    return parse_agenda(data, name="test", file=FILE)


def error_of(data) -> AgendaError:
    with pytest.raises(AgendaError) as caught:
        parse(data)
    return caught.value


def planned_minutes(agenda: Agenda) -> float:
    """Add up every step timer and every turn of every round."""
    steps = sum(step.minutes or 0 for step in agenda.steps)
    turns = sum(turn.minutes for step in agenda.steps if step.kind == "round"
                for turn in step.turns)
    return steps + turns


def case(id, path, value, step, field, message):
    return pytest.param(path, value, step, field, message, id=id)


ROUND = ("steps", 4)
FEEDBACK = ("steps", 6, "questions")
TEXT_QUESTION = {"id": "q", "type": "text", "text": "Why?"}

MALFORMED = [
    # the top level
    case("title missing", ("title",), DELETE, None, "title", "is required"),
    case("title empty", ("title",), "  ", None, "title", "must not be empty"),
    case("title too long", ("title",), "x" * 81, None, "title", "at most 80 characters"),
    case("title a number", ("title",), 2024, None, "title", "must be text (put it in quotes)"),
    case("summary too long", ("summary",), "x" * 201, None, "summary", "at most 200"),
    case("summary a list", ("summary",), ["a"], None, "summary", "must be text"),
    case("minutes zero", ("minutes",), 0, None, "minutes", "whole number from 1 to 600"),
    case("minutes too many", ("minutes",), 601, None, "minutes", "whole number from 1 to 600"),
    case("minutes a fraction", ("minutes",), 20.5, None, "minutes", "whole number"),
    case("minutes a boolean", ("minutes",), True, None, "minutes", "whole number"),
    case("minutes as text", ("minutes",), "20", None, "minutes", "whole number"),
    case("odd unknown", ("odd",), "alone", None, "odd", "triad, facilitator"),
    case("unknown top field", ("steps_",), [], None, "steps_", 'did you mean "steps"?'),
    case("typo in title", ("tilte",), "x", None, "tilte", 'did you mean "title"?'),
    case("steps missing", ("steps",), DELETE, None, "steps", "is required"),
    case("steps empty", ("steps",), [], None, "steps", "list of 1 to 60 steps"),
    case("steps a mapping", ("steps",), {"kind": "welcome"}, None, "steps", "list of 1 to 60"),
    case("too many steps", ("steps",), [{"kind": "welcome", "title": "Hi"}] * 61, None, "steps",
         "list of 1 to 60"),
    # every step
    case("step not a mapping", ("steps", 1), "Welcome", 1, None, "must be a mapping"),
    case("step a list", ("steps", 1), ["welcome"], 1, None, "must be a mapping"),
    case("kind missing", ("steps", 1, "kind"), DELETE, 1, "kind", "is required"),
    case("kind unknown", ("steps", 1, "kind"), "intro", 1, "kind", "one of: welcome, agreements"),
    case("kind capitalised", ("steps", 1, "kind"), "Welcome", 1, "kind", "must be one of"),
    case("step title missing", ("steps", 1, "title"), DELETE, 1, "title", "is required"),
    case("step title too long", ("steps", 1, "title"), "x" * 81, 1, "title", "at most 80"),
    case("step text too long", ("steps", 1, "text"), "x" * 2001, 1, "text", "at most 2000"),
    case("step text a list", ("steps", 1, "text"), ["a", "b"], 1, "text", "must be text"),
    case("step minutes too short", ("steps", 1, "minutes"), 0.2, 1, "minutes",
         "must be a number from 0.25 to 120"),
    case("step minutes too long", ("steps", 1, "minutes"), 121, 1, "minutes", "0.25 to 120"),
    case("step minutes a boolean", ("steps", 1, "minutes"), True, 1, "minutes", "a number"),
    case("step minutes text", ("steps", 1, "minutes"), "5 min", 1, "minutes", "a number"),
    case("unknown step field", ("steps", 1, "colour"), "red", 1, "colour",
         "is not a field of a welcome step"),
    case("field of another kind", ("steps", 1, "items"), ["a"], 1, "items",
         "only agreements steps have it"),
    # agreements
    case("items missing", ("steps", 2, "items"), DELETE, 2, "items", "is required"),
    case("items empty", ("steps", 2, "items"), [], 2, "items", "list of 1 to 12 agreements"),
    case("items one text", ("steps", 2, "items"), "Be kind", 2, "items", 'with "- "'),
    case("too many items", ("steps", 2, "items"), ["a"] * 13, 2, "items", "1 to 12"),
    case("item empty", ("steps", 2, "items", 2), "", 2, "items[2]", "must not be empty"),
    case("item blank line", ("steps", 2, "items", 2), None, 2, "items[2]", "must not be empty"),
    case("item too long", ("steps", 2, "items", 1), "x" * 201, 2, "items[1]", "at most 200"),
    case("item a mapping", ("steps", 2, "items", 1), {"a": 1}, 2, "items[1]", "must be text"),
    case("item yes", ("steps", 2, "items", 1), True, 2, "items[1]", "put it in quotes"),
    # pairing
    case("pairing odd unknown", ("steps", 3, "odd"), "skip", 3, "odd", "triad, facilitator"),
    case("pairing prompts", ("steps", 3, "prompts"), ["a"], 3, "prompts", "only round steps"),
    # rounds
    case("round minutes", (*ROUND, "minutes"), 8, 4, "minutes", "give each of its turns minutes"),
    case("round without prompts", (*ROUND, "prompts"), DELETE, 4, "prompts", "is required"),
    case("prompt and prompts", (*ROUND, "prompt"), "Why?", 4, "prompts", "not both"),
    case("prompts empty", (*ROUND, "prompts"), [], 4, "prompts", "list of 1 to 50 prompts"),
    case("prompts one text", (*ROUND, "prompts"), "Why?", 4, "prompts", "list of 1 to 50"),
    case("too many prompts", (*ROUND, "prompts"), [f"Q{n}?" for n in range(51)], 4, "prompts",
         "1 to 50"),
    case("prompt repeated", (*ROUND, "prompts", 3), "What brought you here?", 4, "prompts[3]",
         "repeats prompts[1]"),
    case("prompt too long", (*ROUND, "prompts", 2), "x" * 301, 4, "prompts[2]", "at most 300"),
    case("prompt empty", (*ROUND, "prompts", 2), " ", 4, "prompts[2]", "must not be empty"),
    case("prompt a number", (*ROUND, "prompts", 2), 42, 4, "prompts[2]", "must be text"),
    case("draw not a flag", (*ROUND, "draw"), "yes please", 4, "draw", "true or false"),
    case("pairing unknown", (*ROUND, "pairing"), "same", 4, "pairing", "one of: new, keep"),
    case("turns missing", (*ROUND, "turns"), DELETE, 4, "turns", "is required"),
    case("turns empty", (*ROUND, "turns"), [], 4, "turns", "list of 1 to 6 turns"),
    case("too many turns", (*ROUND, "turns"), [{"speaker": "A", "minutes": 1}] * 7, 4, "turns",
         "1 to 6"),
    case("turn not a mapping", (*ROUND, "turns", 2), "B", 4, "turns[2]", "must be a mapping"),
    case("turn speaker missing", (*ROUND, "turns", 2), {"minutes": 3}, 4, "turns[2].speaker",
         "is required"),
    case("turn speaker C", (*ROUND, "turns", 2, "speaker"), "C", 4, "turns[2].speaker",
         "one of: A, B, both"),
    case("turn speaker lowercase", (*ROUND, "turns", 2, "speaker"), "b", 4, "turns[2].speaker",
         "one of: A, B, both"),
    case("turn minutes missing", (*ROUND, "turns", 2, "minutes"), DELETE, 4, "turns[2].minutes",
         "is required"),
    case("turn minutes too long", (*ROUND, "turns", 2, "minutes"), 61, 4, "turns[2].minutes",
         "must be a number from 0.25 to 60"),
    case("turn minutes zero", (*ROUND, "turns", 2, "minutes"), 0, 4, "turns[2].minutes",
         "0.25 to 60"),
    case("turn minutes negative", (*ROUND, "turns", 1, "minutes"), -3, 4, "turns[1].minutes",
         "0.25 to 60"),
    case("turn minutes a boolean", (*ROUND, "turns", 2, "minutes"), False, 4, "turns[2].minutes",
         "0.25 to 60"),
    case("turn minutes infinite", (*ROUND, "turns", 2, "minutes"), float("inf"), 4,
         "turns[2].minutes", "0.25 to 60"),
    case("turn minutes not a number", (*ROUND, "turns", 2, "minutes"), float("nan"), 4,
         "turns[2].minutes", "0.25 to 60"),
    case("turn title too long", (*ROUND, "turns", 1, "title"), "x" * 61, 4, "turns[1].title",
         "at most 60"),
    case("turn unknown field", (*ROUND, "turns", 1, "minute"), 3, 4, "turns[1].minute",
         'did you mean "minutes"?'),
    case("cues a list", (*ROUND, "cues"), ["Listen"], 4, "cues", "must be a mapping"),
    case("cue unknown", (*ROUND, "cues"), {"talk": "x"}, 4, "cues.talk", "is not a field of cues"),
    case("cue too long", (*ROUND, "cues"), {"listen": "x" * 201}, 4, "cues.listen", "at most 200"),
    case("reflection too long", (*ROUND, "reflection"), "x" * 501, 4, "reflection", "at most 500"),
    case("round items", (*ROUND, "items"), ["a"], 4, "items", "only agreements steps have it"),
    # messages
    case("message without text", ("steps", 5, "text"), DELETE, 5, "text", "is required"),
    case("message with empty text", ("steps", 5, "text"), "", 5, "text", "must not be empty"),
    # feedback
    case("questions missing", ("steps", 6, "questions"), DELETE, 6, "questions", "is required"),
    case("questions empty", FEEDBACK, [], 6, "questions", "list of 1 to 20 questions"),
    case("too many questions", FEEDBACK,
         [{**TEXT_QUESTION, "id": f"q{n}"} for n in range(21)], 6, "questions", "1 to 20"),
    case("question not a mapping", (*FEEDBACK, 1), "How was it?", 6, "questions[1]",
         "must be a mapping"),
    case("question type missing", (*FEEDBACK, 1, "type"), DELETE, 6, "questions[1].type",
         "is required"),
    case("question type unknown", (*FEEDBACK, 1, "type"), "stars", 6, "questions[1].type",
         "scale, single, multiple, text"),
    case("question id missing", (*FEEDBACK, 1, "id"), DELETE, 6, "questions[1].id",
         "is required"),
    case("question id with spaces", (*FEEDBACK, 1, "id"), "felt safe", 6, "questions[1].id",
         "lowercase letters"),
    case("question id capitals", (*FEEDBACK, 1, "id"), "Overall", 6, "questions[1].id",
         "lowercase letters"),
    case("question id too long", (*FEEDBACK, 1, "id"), "x" * 41, 6, "questions[1].id",
         "at most 40"),
    case("question id repeated", (*FEEDBACK, 3, "id"), "overall", 6, "questions[3].id",
         "already used by questions[1]"),
    case("question text missing", (*FEEDBACK, 1, "text"), DELETE, 6, "questions[1].text",
         "is required"),
    case("question text too long", (*FEEDBACK, 1, "text"), "x" * 201, 6, "questions[1].text",
         "at most 200"),
    case("question required not a flag", (*FEEDBACK, 1, "required"), "no", 6,
         "questions[1].required", "true or false"),
    case("scale with options", (*FEEDBACK, 1, "options"), ["a", "b"], 6, "questions[1].options",
         "only single questions and multiple questions have it"),
    case("scale with four labels", (*FEEDBACK, 1, "labels"), ["a", "b", "c", "d"], 6,
         "questions[1].labels", "list of 5 labels"),
    case("scale label too long", (*FEEDBACK, 1, "labels"), ["x" * 41, "", "", "", "y"], 6,
         "questions[1].labels[1]", "at most 40"),
    case("single without options", (*FEEDBACK, 2, "options"), DELETE, 6, "questions[2].options",
         "is required"),
    case("single with one option", (*FEEDBACK, 2, "options"), ["Only"], 6,
         "questions[2].options", "list of 2 to 12 options"),
    case("single with repeated option", (*FEEDBACK, 2, "options"), ["Yes", "No", "Yes"], 6,
         "questions[2].options[3]", "repeats questions[2].options[1]"),
    case("single option too long", (*FEEDBACK, 2, "options"), ["a", "x" * 101], 6,
         "questions[2].options[2]", "at most 100"),
    case("single with labels", (*FEEDBACK, 2, "labels"), ["a"] * 5, 6, "questions[2].labels",
         "only scale questions have it"),
    case("text with max_length zero", (*FEEDBACK, 3, "max_length"), 0, 6,
         "questions[3].max_length", "whole number from 1 to 2000"),
    case("text with max_length too long", (*FEEDBACK, 3, "max_length"), 2001, 6,
         "questions[3].max_length", "1 to 2000"),
    case("answers longer than one message carries", FEEDBACK,
         [{**TEXT_QUESTION, "id": f"q{n}", "max_length": 1000} for n in range(10)]
         + [{"id": "pick", "type": "single", "text": "Which?", "options": ["a", "bb"]}], 6, "questions",
         "allow answers of 10,002 characters in all, and one person's answers may be 10,000 at most"),
    case("text with options", (*FEEDBACK, 3, "options"), ["a", "b"], 6, "questions[3].options",
         "is not a field of a text question"),
    case("second feedback step", ("steps", 7), copy.deepcopy(VALID["steps"][5]), 7, "kind",
         "at most one feedback step (step 6 is one)"),
    # where a step sits in the agenda
    case("keep before any groups", ("steps",),
         [{"kind": "round", "title": "R", "prompt": "Why?", "pairing": "keep",
           "turns": [{"speaker": "both", "minutes": 5}]}], 1, "pairing", "keep needs groups"),
]


@pytest.mark.parametrize("path, value, step, field, message", MALFORMED)
def test_malformed_agenda_is_refused_naming_file_step_and_field(path, value, step, field, message):
    error = error_of(edited(path, value))
    assert (error.file, error.step, error.field) == (FILE, step, field)
    assert message in error.message


def test_a_form_may_ask_for_ten_thousand_characters_of_answers_in_all():
    """What one Socket.IO message carries, however the client escapes it (test_wire.py sends it)."""
    questions = ([{**TEXT_QUESTION, "id": f"q{n}", "max_length": 1000} for n in range(9)]
                 + [{"id": "many", "type": "multiple", "text": "Which?",
                     "options": [f"{n:0>100}" for n in range(9)]},
                    {"id": "one", "type": "single", "text": "Which one?", "options": ["y" * 100, "z"]}])
    form = next(step for step in parse(edited(FEEDBACK, questions)).steps if step.kind == "feedback")
    assert len(form.questions) == 11  # 9,000 + 900 + 100 characters


@pytest.mark.parametrize("path", SHIPPED, ids=lambda path: path.name)
def test_every_shipped_agenda_loads(path):
    agenda = load_agenda(path)
    assert agenda.name == path.stem
    assert agenda.minutes is not None and agenda.summary
    assert [step.index for step in agenda.steps] == list(range(len(agenda.steps)))


@pytest.mark.parametrize("path", SHIPPED, ids=lambda path: path.name)
def test_shipped_prompts_are_open_ended(path):
    closed = ("do ", "does ", "did ", "are ", "is ", "have ", "has ", "can ", "could ", "would ",
              "will ", "should ")
    prompts = [p for step in load_agenda(path).steps if step.kind == "round"
               for p in step.prompts]
    assert prompts and not [p for p in prompts if p.lower().startswith(closed)]


def test_shipped_agendas_are_offered_without_errors():
    agendas, errors = load_agendas(AGENDAS)
    assert errors == []
    assert {"heart-to-heart", "quick-connect"} <= set(agendas)


def test_heart_to_heart_takes_an_hour_to_an_hour_and_a_quarter():
    agenda = load_agenda(AGENDAS / "heart-to-heart.yaml")
    assert 60 <= planned_minutes(agenda) <= 75
    assert 60 <= agenda.minutes <= 75


def test_heart_to_heart_deepens_over_three_rounds_with_full_decks():
    agenda = load_agenda(AGENDAS / "heart-to-heart.yaml")
    rounds = [step for step in agenda.steps if step.kind == "round"]
    assert [step.round for step in rounds] == [1, 2, 3]
    assert all(6 <= len(step.prompts) <= 10 and step.draw for step in rounds)
    assert all(step.reflection for step in rounds)
    kinds = [step.kind for step in agenda.steps]
    assert kinds[:3] == ["welcome", "agreements", "pairing"]
    assert kinds[-2:] == ["feedback", "closing"]


def test_heart_to_heart_feedback_asks_about_safety_listening_and_more():
    agenda = load_agenda(AGENDAS / "heart-to-heart.yaml")
    (feedback,) = [step for step in agenda.steps if step.kind == "feedback"]
    types = [question.type for question in feedback.questions]
    assert types.count("scale") >= 3
    assert {"single", "multiple", "text"} <= set(types)


def test_quick_connect_takes_about_twenty_minutes():
    agenda = load_agenda(AGENDAS / "quick-connect.yaml")
    assert 15 <= planned_minutes(agenda) <= 25
    rounds = [step for step in agenda.steps if step.kind == "round"]
    assert len(rounds) == 2 and rounds[1].pairing == "new"


def test_round_without_turns_is_refused_naming_step_and_field():
    error = error_of(edited((*ROUND, "turns"), DELETE))
    assert str(error) == 'agendas/test.yaml, step 4 ("Round 1"), field turns: is required'


def test_error_reads_as_file_step_title_and_field():
    error = error_of(edited((*ROUND, "turns", 2, "minutes"), 90))
    assert str(error) == ('agendas/test.yaml, step 4 ("Round 1"), field turns[2].minutes: '
                          "must be a number from 0.25 to 60")


def test_top_level_error_names_only_file_and_field():
    assert str(error_of(edited(("title",), DELETE))) == "agendas/test.yaml, field title: is required"


def test_error_about_an_untitled_step_names_only_its_number():
    error = error_of(edited(("steps", 2), {"kind": "agreements"}))
    assert str(error) == "agendas/test.yaml, step 2, field title: is required"


def test_agenda_error_is_a_value_error():
    assert isinstance(error_of({"title": "x"}), ValueError)


@pytest.mark.parametrize("data", [None, [], "Heart to heart", 42, ["title", "steps"]])
def test_agenda_that_is_not_a_mapping_is_refused(data):
    error = error_of(data)
    assert (error.file, error.step, error.field) == (FILE, None, None)


def test_defaults_are_filled_in():
    agenda = parse(VALID)
    welcome, _, pairing, round_, message, feedback, _ = (step.to_dict() for step in agenda.steps)
    assert (agenda.name, agenda.summary, agenda.minutes, agenda.odd) == ("test", "", None, "triad")
    assert welcome == {"index": 0, "kind": "welcome", "title": "Welcome", "text": "",
                       "minutes": None}
    assert pairing["odd"] is None
    assert message["minutes"] == 2.0 and isinstance(message["minutes"], float)
    assert round_["round"] == 1 and round_["pairing"] == "new" and round_["draw"] is True
    assert round_["turns"] == [{"speaker": "A", "minutes": 3.0, "title": "A speaks, B listens"},
                               {"speaker": "B", "minutes": 3.0, "title": "B speaks, A listens"}]
    assert round_["cues"] == DEFAULT_CUES and round_["reflection"] == ""
    scale, single, text = feedback["questions"]
    assert scale == {"id": "overall", "type": "scale", "text": "How was it?", "required": True,
                     "labels": list(DEFAULT_LABELS)}
    assert single["required"] is True
    assert text == {"id": "more", "type": "text", "text": "Anything else?", "required": False,
                    "max_length": 1000}


def test_single_prompt_becomes_a_deck_of_one_without_drawing():
    data = edited((*ROUND, "prompts"), DELETE)
    data["steps"][3]["prompt"] = "  What brought you here?  "
    round_ = parse(data).steps[3].to_dict()
    assert round_["prompts"] == ["What brought you here?"] and round_["draw"] is False
    assert "prompt" not in round_


def test_drawing_from_a_deck_of_one_is_refused():
    data = edited((*ROUND, "prompts"), ["Only one?"])
    data["steps"][3]["draw"] = True
    error = error_of(data)
    assert (error.step, error.field) == (4, "draw")


def test_drawing_can_be_turned_off_for_a_deck():
    assert parse(edited((*ROUND, "draw"), False)).steps[3].draw is False


def test_both_turn_gets_open_reflection_title_and_partial_cues_keep_other_defaults():
    data = edited((*ROUND, "turns", 3), {"speaker": "both", "minutes": 1.5})
    data["steps"][3]["cues"] = {"listen": "Just listen."}
    round_ = parse(data).steps[3].to_dict()
    assert round_["turns"][2] == {"speaker": "both", "minutes": 1.5, "title": "Open reflection"}
    assert round_["cues"] == {**DEFAULT_CUES, "listen": "Just listen."}


def test_rounds_are_numbered_in_agenda_order():
    data = edited(("steps", 5), copy.deepcopy(VALID["steps"][3]) | {"pairing": "keep"})
    assert [step.to_dict().get("round") for step in parse(data).steps] == [None, None, None, 1, 2, None, None]


def test_explicit_choices_are_kept():
    data = copy.deepcopy(VALID)
    data.update(summary="A test.", minutes=30, odd="facilitator")
    data["steps"][2]["odd"] = "triad"
    data["steps"][5]["questions"][0].update(required=False, labels=["0", "1", "", "3", "4"])
    agenda = parse(data)
    assert (agenda.summary, agenda.minutes, agenda.odd) == ("A test.", 30, "facilitator")
    assert agenda.steps[2].odd == "triad"
    assert agenda.steps[5].to_dict()["questions"][0]["labels"] == ["0", "1", "", "3", "4"]
    assert agenda.steps[5].questions[0].required is False


def test_parsing_leaves_the_input_untouched():
    data = copy.deepcopy(VALID)
    parse(data)
    assert data == VALID


@pytest.mark.parametrize("path", [*SHIPPED, None], ids=lambda path: path.name if path else "test")
def test_agenda_round_trips_through_json(path):
    agenda = load_agenda(path) if path else parse(VALID)
    snapshot = json.loads(json.dumps(agenda.to_dict()))
    assert snapshot == agenda.to_dict()
    assert Agenda.from_dict(snapshot) == agenda


def test_snapshot_is_a_copy():
    agenda = parse(VALID)
    agenda.to_dict()["steps"][0]["title"] = "Changed"
    assert agenda.steps[0].title == "Welcome"


def test_load_agendas_reports_a_bad_file_and_still_loads_the_good_ones(tmp_path):
    (tmp_path / "good.yaml").write_text(yaml.safe_dump(VALID))
    (tmp_path / "also-good.yml").write_text(yaml.safe_dump(VALID))
    (tmp_path / "bad.yaml").write_text("title: Bad\nsteps: []\n")
    (tmp_path / "notes.txt").write_text("not an agenda")
    agendas, errors = load_agendas(tmp_path)
    assert list(agendas) == ["also-good", "good"]
    assert [(error.file, error.field) for error in errors] == [("agendas/bad.yaml", "steps")]


def test_load_agendas_refuses_two_files_with_the_same_name(tmp_path):
    (tmp_path / "same.yaml").write_text(yaml.safe_dump(VALID))
    (tmp_path / "same.yml").write_text(yaml.safe_dump(VALID))
    agendas, errors = load_agendas(tmp_path)
    assert list(agendas) == ["same"]
    assert [error.file for error in errors] == ["agendas/same.yml"]


def test_load_agendas_of_a_missing_folder_finds_none(tmp_path):
    assert load_agendas(tmp_path / "nowhere") == ({}, [])


def test_yaml_syntax_error_names_line_and_column(tmp_path):
    path = tmp_path / "broken.yaml"
    path.write_text("title: Broken\nsteps:\n  - kind: welcome\n   title: Hi\n")
    with pytest.raises(AgendaError) as caught:
        load_agenda(path)
    assert str(caught.value).startswith("agendas/broken.yaml: not valid YAML (line 4, column 4): ")


def test_yaml_with_a_tab_is_refused(tmp_path):
    path = tmp_path / "tabbed.yaml"
    path.write_text("title: Tabs\nsteps:\n\t- kind: welcome\n")
    with pytest.raises(AgendaError, match=r"not valid YAML \(line 3, column 1\).*never tabs"):
        load_agenda(path)


def test_key_given_twice_is_refused_with_its_line(tmp_path):
    path = tmp_path / "twice.yaml"
    path.write_text("title: One\ntitle: Two\nsteps: []\n")
    with pytest.raises(AgendaError) as caught:
        load_agenda(path)
    assert str(caught.value) == ('agendas/twice.yaml: not valid YAML (line 2, column 1): '
                                 '"title" is given twice')


def test_yaml_merge_keys_still_work(tmp_path):
    path = tmp_path / "merged.yaml"
    path.write_text("title: Merged\nsteps:\n  - &hi {kind: welcome, title: Hi}\n"
                    "  - {<<: *hi, title: Again}\n")
    assert [step.title for step in load_agenda(path).steps] == ["Hi", "Again"]


def test_empty_file_is_refused(tmp_path):
    path = tmp_path / "empty.yaml"
    path.write_text("")
    with pytest.raises(AgendaError, match="^agendas/empty.yaml: is empty$"):
        load_agenda(path)


def test_file_over_256_kb_is_refused(tmp_path):
    path = tmp_path / "huge.yaml"
    path.write_text("title: Huge\n" + "# padding\n" * (MAX_BYTES // 10))
    with pytest.raises(AgendaError, match="larger than the limit of 256 KB"):
        load_agenda(path)


def test_deeply_nested_yaml_is_refused_not_crashed(tmp_path):
    path = tmp_path / "deep.yaml"
    path.write_text("title: " + "[" * 50_000)
    with pytest.raises(AgendaError, match="not valid YAML"):
        load_agenda(path)


def test_not_utf8_is_refused(tmp_path):
    path = tmp_path / "latin.yaml"
    path.write_bytes("title: Café\n".encode("latin-1"))
    with pytest.raises(AgendaError, match="not valid YAML"):
        load_agenda(path)


def test_python_objects_in_yaml_are_refused(tmp_path):
    path = tmp_path / "unsafe.yaml"
    path.write_text("title: !!python/object/apply:os.system ['echo hi']\nsteps: []\n")
    with pytest.raises(AgendaError, match="not valid YAML"):
        load_agenda(path)


def test_file_name_must_be_a_simple_name(tmp_path):
    path = tmp_path / "My Agenda.yaml"
    path.write_text(yaml.safe_dump(VALID))
    with pytest.raises(AgendaError, match="lowercase letters"):
        load_agenda(path)


def test_unreadable_file_is_refused(tmp_path):
    with pytest.raises(AgendaError, match="^agendas/gone.yaml: cannot be read"):
        load_agenda(tmp_path / "gone.yaml")


leaves = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=5)
values = st.recursive(leaves, lambda inner: st.lists(inner, max_size=3)
                      | st.dictionaries(st.text(max_size=8), inner, max_size=3), max_leaves=8)
names = st.sampled_from(["kind", "title", "text", "minutes", "items", "odd", "prompt", "prompts",
                         "draw", "pairing", "turns", "cues", "reflection", "questions"])


@settings(max_examples=300, deadline=None)
@given(step=st.integers(0, 6), name=names, value=values)
def test_any_field_value_is_accepted_or_refused_with_an_agenda_error(step, name, value):
    data = copy.deepcopy(VALID)
    data["steps"][step][name] = value
    try:
        agenda = parse(data)
    except AgendaError as error:
        assert error.step == step + 1 and error.message
    else:
        assert Agenda.from_dict(json.loads(json.dumps(agenda.to_dict()))) == agenda


@settings(max_examples=200, deadline=None)
@given(text=st.text(max_size=200))
def test_any_file_content_loads_or_is_refused_with_an_agenda_error(text):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "fuzz.yaml"
        path.write_text(text, encoding="utf-8")
        try:
            load_agenda(path)
        except AgendaError as error:
            assert error.file == "agendas/fuzz.yaml"
