import random
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from workshop.feedback import (
    DEFAULT_THRESHOLD,
    MIN_THRESHOLD,
    FeedbackError,
    checked_threshold,
    clean_answers,
    neutralize_cell,
    summarize,
)

from .samples import QUESTIONS

MINIMAL = {"overall": 4, "length": "About right"}


def answers(**changes):
    return {**MINIMAL, **changes}


def responses(n, seed=0):
    rng = random.Random(seed)
    return [
        clean_answers(QUESTIONS, {
            "overall": rng.randint(1, 5),
            "length": rng.choice(QUESTIONS[1]["options"]),
            "helped": rng.sample(QUESTIONS[2]["options"], rng.randint(0, 3)),
            "anything": f"answer {i}",
        })
        for i in range(n)
    ]


def test_answers_come_back_normalised_in_question_order():
    submitted = {"anything": "  Thank you  ", "helped": ["The timer", "The agreements"],
                 "length": "Too long", "overall": 5}
    cleaned = clean_answers(QUESTIONS, submitted)
    assert list(cleaned) == ["overall", "length", "helped", "anything"]
    assert cleaned == {"overall": 5, "length": "Too long",
                       "helped": ["The agreements", "The timer"], "anything": "Thank you"}


def test_optional_questions_may_be_left_out_or_left_empty():
    assert clean_answers(QUESTIONS, MINIMAL) == MINIMAL
    assert clean_answers(QUESTIONS, answers(helped=[], anything="   ")) == MINIMAL
    assert clean_answers(QUESTIONS, answers(helped=None, anything=None)) == MINIMAL


@pytest.mark.parametrize("submitted, message", [
    ([], "could not be read"),
    ("overall=4", "could not be read"),
    (None, "could not be read"),
    (answers(overall="4"), "rating from 1 to 5"),
    (answers(overall=4.0), "rating from 1 to 5"),
    (answers(overall=True), "rating from 1 to 5"),
    (answers(overall=False), "rating from 1 to 5"),
    (answers(overall=0), "rating from 1 to 5"),
    (answers(overall=6), "rating from 1 to 5"),
    (answers(overall=[4]), "rating from 1 to 5"),
    (answers(length="Maybe"), "one of the options"),
    (answers(length=1), "one of the options"),
    (answers(length=["Too short"]), "one of the options"),
    (answers(length="too short"), "one of the options"),
    (answers(helped="The timer"), "options given"),
    (answers(helped=["Something else"]), "options given"),
    (answers(helped=[1]), "options given"),
    (answers(helped=[["The timer"]]), "options given"),
    (answers(helped={"The timer": True}), "options given"),
    (answers(helped=["The timer", "The timer"]), "only once"),
    (answers(anything=5), "as text"),
    (answers(anything=["words"]), "as text"),
    (answers(anything="x" * 1001), "under 1000 characters"),
    (answers(secret="hello"), "reload the page"),
    ({**MINIMAL, 1: 4}, "reload the page"),
    ({}, "Please answer: How was today for you?"),
    ({"overall": 4}, "Please answer: The rounds were..."),
    (answers(length=""), "Please answer: The rounds were..."),
    (answers(overall=None), "Please answer: How was today for you?"),
])
def test_bad_answers_are_refused_with_a_plain_message(submitted, message):
    with pytest.raises(FeedbackError, match=re.escape(message)):
        clean_answers(QUESTIONS, submitted)


def test_a_required_multiple_choice_left_empty_names_the_question():
    questions = [{**QUESTIONS[2], "required": True}]
    with pytest.raises(FeedbackError) as refused:
        clean_answers(questions, {"helped": []})
    assert str(refused.value) == "Please answer: What helped?"


def test_a_required_text_of_only_spaces_counts_as_missing():
    questions = [{**QUESTIONS[3], "required": True}]
    with pytest.raises(FeedbackError, match="Please answer: Anything else"):
        clean_answers(questions, {"anything": " \n\t "})


def test_text_loses_control_characters_but_keeps_line_breaks():
    raw = "  first\x00 line\r\nsecond\x1b[31m line\u2028third\ud800\x7f  "
    cleaned = clean_answers(QUESTIONS, answers(anything=raw))
    assert cleaned["anything"] == "first line\nsecond[31m line\nthird"


def test_text_at_the_length_limit_is_accepted_once_trimmed():
    cleaned = clean_answers(QUESTIONS, answers(anything="  " + "x" * 1000 + "\n"))
    assert cleaned["anything"] == "x" * 1000


@pytest.mark.parametrize("text", ["Zoë", "李", "😊", "مرحبا بكم", "👩🏽‍💻 זה נהדר"])
def test_text_in_any_script_survives_unchanged(text):
    assert clean_answers(QUESTIONS, answers(anything=text))["anything"] == text


JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-10, 10) | st.floats(allow_nan=False)
    | st.text(max_size=20) | st.sampled_from(["Too short", "The timer", "The prompts"]),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner),
    max_leaves=8,
)


@given(st.dictionaries(st.sampled_from(["overall", "length", "helped", "anything", "x"]), JSON)
       | JSON)
def test_any_network_payload_is_cleaned_or_refused_with_feedback_error(payload):
    try:
        cleaned = clean_answers(QUESTIONS, payload)
    except FeedbackError:
        return
    assert clean_answers(QUESTIONS, cleaned) == cleaned


@pytest.mark.parametrize("k", [MIN_THRESHOLD, DEFAULT_THRESHOLD, 12])
def test_a_threshold_of_three_or_more_is_accepted(k):
    assert checked_threshold(k) == k


@pytest.mark.parametrize("k", [2, 1, 0, -5, True, "5", 5.0, None])
def test_a_threshold_below_three_or_not_a_whole_number_is_refused(k):
    with pytest.raises(FeedbackError):
        checked_threshold(k)


def summary_of(n, *, threshold=DEFAULT_THRESHOLD, closed=True, seed=0):
    return summarize(QUESTIONS, responses(n), threshold=threshold, closed=closed,
                     rng=random.Random(seed))


@pytest.mark.parametrize("n, threshold, closed, visible", [
    (20, 5, False, False),
    (0, 5, True, False),
    (4, 5, True, False),
    (5, 5, True, True),
    (6, 5, True, True),
    (2, 3, True, False),
    (3, 3, True, True),
    (3, 3, False, False),
])
def test_results_show_only_once_closed_and_at_threshold(n, threshold, closed, visible):
    summary = summary_of(n, threshold=threshold, closed=closed)
    assert (summary["count"], summary["visible"], summary["threshold"]) == (n, visible, threshold)


def test_hidden_results_carry_only_the_questions_and_no_answers():
    summary = summary_of(4)
    assert summary["questions"] == [
        {"id": q["id"], "text": q["text"], "type": q["type"]} for q in QUESTIONS
    ]
    assert "answer" not in repr(summary["questions"])


@pytest.mark.parametrize("threshold", [2, 1, 0])
def test_results_are_never_shown_with_a_threshold_below_three(threshold):
    with pytest.raises(FeedbackError):
        summarize(QUESTIONS, responses(10), threshold=threshold, closed=True,
                  rng=random.Random(0))


def test_visible_results_count_ratings_choices_and_average():
    rows = [answers(overall=v, length=length, helped=helped) for v, length, helped in [
        (5, "Too short", ["The timer"]),
        (4, "About right", ["The timer", "The prompts"]),
        (4, "About right", []),
        (2, "Too long", ["The agreements"]),
        (5, "About right", ["The timer"]),
    ]]
    cleaned = [clean_answers(QUESTIONS, row) for row in rows]
    summary = summarize(QUESTIONS, cleaned, threshold=5, closed=True, rng=random.Random(1))
    overall, length, helped, anything = summary["questions"]
    assert overall["distribution"] == [0, 1, 0, 2, 2]
    assert overall["average"] == 4.0
    assert overall["answered"] == 5
    assert length["counts"] == {"Too short": 1, "About right": 3, "Too long": 1}
    assert helped["counts"] == {"The agreements": 1, "The prompts": 1, "The timer": 3}
    assert helped["answered"] == 4
    assert anything["answers"] == []


def test_an_unanswered_scale_has_no_average():
    questions = [{**QUESTIONS[0], "required": False}, QUESTIONS[1]]
    rows = [{"length": "Too long"}] * 5
    summary = summarize(questions, rows, threshold=5, closed=True, rng=random.Random(0))
    assert summary["questions"][0] == {
        "id": "overall", "text": "How was today for you?", "type": "scale",
        "distribution": [0, 0, 0, 0, 0], "average": None, "answered": 0,
    }


def test_averages_are_rounded_to_two_places():
    rows = [answers(overall=v) for v in (5, 4, 4)]
    summary = summarize(QUESTIONS, rows, threshold=3, closed=True, rng=random.Random(0))
    assert summary["questions"][0]["average"] == 4.33


def test_text_answers_are_shuffled_by_the_seed_with_the_same_content():
    orders = {tuple(summary_of(30, seed=seed)["questions"][3]["answers"]) for seed in range(5)}
    assert len(orders) > 1
    assert {tuple(sorted(order)) for order in orders} == {
        tuple(sorted(f"answer {i}" for i in range(30)))
    }
    assert summary_of(30, seed=7) == summary_of(30, seed=7)


def test_results_are_never_broken_down_by_pair_or_round():
    rows = [{**r, "pair": "g_1", "round": 2} for r in responses(6)]
    summary = summarize(QUESTIONS, rows, threshold=5, closed=True, rng=random.Random(0))
    assert set(summary) == {"count", "visible", "threshold", "questions"}
    assert [set(q) - {"id", "text", "type"} for q in summary["questions"]] == [
        {"distribution", "average", "answered"}, {"counts", "answered"},
        {"counts", "answered"}, {"answers", "answered"},
    ]
    assert "g_1" not in repr(summary)


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_formula_like_text_gets_a_leading_apostrophe(start):
    assert neutralize_cell(start + "SUM(A1:A9)") == "'" + start + "SUM(A1:A9)"


@pytest.mark.parametrize("value", ["hello", "a=b", " =1", "", "'=1", 5, -3, 2.5, None])
def test_other_values_are_left_alone(value):
    assert neutralize_cell(value) == value
