"""An agenda as frozen dataclasses: typed steps, turns and questions, and the JSON the store keeps."""

import dataclasses
import json

import pytest

from workshop.core.agenda import (
    Agenda,
    AgreementsStep,
    Cues,
    FeedbackStep,
    PairingStep,
    Question,
    RoundStep,
    Step,
    Turn,
)

# What Agenda.to_dict wrote before steps were dataclasses (commit ce23efa), as a database keeps it.
STORED = json.loads("""
{"name": "stored", "title": "Stored", "summary": "", "minutes": null, "odd": "triad", "steps": [
 {"index": 0, "kind": "welcome", "title": "Hello", "text": "", "minutes": null},
 {"index": 1, "kind": "agreements", "title": "Agree", "text": "", "minutes": null, "items": ["Listen"]},
 {"index": 2, "kind": "pairing", "title": "Meet", "text": "", "minutes": 1.0, "odd": null},
 {"index": 3, "kind": "round", "title": "Deck", "text": "", "minutes": null, "prompts": ["One?", "Two?"],
  "draw": true, "pairing": "new",
  "turns": [{"speaker": "A", "minutes": 2.0, "title": "A speaks, B listens"},
            {"speaker": "B", "minutes": 2.0, "title": "B speaks, A listens"}],
  "cues": {"speak": "Speak from the heart. Take your time; silence is fine.",
           "listen": "Listen without interrupting. Notice what moves you; you'll reflect it back.",
           "both": "Share what you heard and what it stirred in you."},
  "reflection": "", "round": 1},
 {"index": 4, "kind": "feedback", "title": "Feedback", "text": "", "minutes": null, "questions": [
  {"id": "overall", "type": "scale", "text": "How was it?", "required": true,
   "labels": ["Not at all", "A little", "Somewhat", "Quite", "Very much"]},
  {"id": "length", "type": "single", "text": "Length?", "required": true, "options": ["Short", "Long"]},
  {"id": "more", "type": "text", "text": "More?", "required": false, "max_length": 1000}]}]}
""")


def test_an_agenda_stored_before_steps_were_dataclasses_loads_as_typed_steps_and_writes_back_the_same_json():
    agenda = Agenda.from_dict(STORED)
    welcome, agreements, pairing, round_, feedback = agenda.steps
    assert type(welcome) is Step and isinstance(agreements, AgreementsStep)
    assert isinstance(pairing, PairingStep) and pairing.odd is None
    assert isinstance(round_, RoundStep) and round_.round == 1 and round_.prompts == ("One?", "Two?")
    assert round_.turns[0] == Turn("A", 2.0, "A speaks, B listens")
    assert isinstance(round_.cues, Cues)
    assert isinstance(feedback, FeedbackStep) and feedback.questions[2] == Question(
        "more", "text", "More?", False, max_length=1000)
    assert json.dumps(agenda.to_dict()) == json.dumps(STORED)


def test_steps_and_their_parts_are_frozen():
    agenda = Agenda.from_dict(STORED)
    with pytest.raises(dataclasses.FrozenInstanceError):
        agenda.steps[3].draw = False
    with pytest.raises(dataclasses.FrozenInstanceError):
        agenda.steps[3].turns[0].minutes = 9
    assert isinstance(agenda.steps[4].questions, tuple) and isinstance(agenda.steps[3].prompts, tuple)


def test_the_agenda_finds_its_feedback_form_and_agreements():
    agenda = Agenda.from_dict(STORED)
    assert agenda.feedback is agenda.steps[4] and agenda.agreements is agenda.steps[1]
    bare = Agenda.from_dict({**STORED, "steps": STORED["steps"][:1]})
    assert bare.feedback is None and bare.agreements is None
