import random
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from workshop.core.feedback import (
    DEFAULT_THRESHOLD,
    MIN_THRESHOLD,
    FeedbackError,
    add_to_bag,
    checked_threshold,
    clean_answers,
    neutralize_cell,
    publish,
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


def summary_of(n, *, threshold=DEFAULT_THRESHOLD, pending=0):
    return summarize(QUESTIONS, responses(n), threshold=threshold, pending=pending)


@pytest.mark.parametrize("n, pending, threshold, visible", [
    (0, 20, 5, False),
    (0, 0, 5, False),
    (4, 0, 5, False),
    (5, 0, 5, True),
    (6, 3, 5, True),
    (2, 0, 3, False),
    (3, 0, 3, True),
])
def test_results_show_only_published_answers_and_only_from_the_threshold(n, pending, threshold, visible):
    summary = summary_of(n, threshold=threshold, pending=pending)
    assert (summary["count"], summary["visible"], summary["threshold"]) == (n + pending, visible, threshold)
    assert (summary["published"], summary["pending"]) == ((n, pending) if visible else (0, n + pending))


def test_waiting_answers_are_published_only_in_steps_of_the_threshold():
    rng = random.Random(0)
    published, pending = publish([], responses(4), 5, rng)
    assert (published, len(pending)) == ([], 4)
    published, pending = publish([], responses(5), 5, rng)
    assert len(published) == 5 and pending == []
    again, waiting = publish(published, responses(1, seed=9), 5, rng)
    assert again is published and len(waiting) == 1, "one more answer leaves the results as they were"
    merged, rest = publish(published, responses(5, seed=9), 5, rng)
    assert len(merged) == 10 and rest == []
    assert sorted(map(repr, merged)) == sorted(map(repr, published + responses(5, seed=9)))


def test_a_merge_reshuffles_so_new_answers_are_not_found_at_the_end():
    old, new = responses(10), [{"anything": f"new {i}"} for i in range(10)]
    tails = {tuple(repr(r) for r in publish(old, new, 5, random.Random(seed))[0][-10:]) for seed in range(5)}
    assert tuple(repr(r) for r in new) not in tails and len(tails) == 5


def test_each_answer_reshuffles_the_whole_bag():
    bags = [add_to_bag(responses(10), {"anything": "last"}, random.Random(seed)) for seed in range(20)]
    assert {len(bag) for bag in bags} == {11}
    assert len({[r.get("anything") for r in bag].index("last") for bag in bags}) > 3


def test_hidden_results_carry_only_the_questions_and_no_answers():
    summary = summary_of(4)
    assert summary["questions"] == [
        {"id": q["id"], "text": q["text"], "type": q["type"]} for q in QUESTIONS
    ]
    assert "answer" not in repr(summary["questions"])


@pytest.mark.parametrize("threshold", [2, 1, 0])
def test_results_are_never_shown_with_a_threshold_below_three(threshold):
    with pytest.raises(FeedbackError):
        summarize(QUESTIONS, responses(10), threshold=threshold)


def test_visible_results_count_ratings_choices_and_average():
    rows = [answers(overall=v, length=length, helped=helped) for v, length, helped in [
        (5, "Too short", ["The timer"]),
        (4, "About right", ["The timer", "The prompts"]),
        (4, "About right", []),
        (2, "Too long", ["The agreements"]),
        (5, "About right", ["The timer"]),
    ]]
    cleaned = [clean_answers(QUESTIONS, row) for row in rows]
    summary = summarize(QUESTIONS, cleaned, threshold=5)
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
    summary = summarize(questions, rows, threshold=5)
    assert summary["questions"][0] == {
        "id": "overall", "text": "How was today for you?", "type": "scale",
        "distribution": [0, 0, 0, 0, 0], "average": None, "answered": 0,
    }


def test_averages_are_rounded_to_two_places():
    rows = [answers(overall=v) for v in (5, 4, 4)]
    summary = summarize(QUESTIONS, rows, threshold=3)
    assert summary["questions"][0]["average"] == 4.33


def test_text_answers_keep_the_published_order_so_two_reports_agree():
    assert summary_of(30)["questions"][3]["answers"] == [f"answer {i}" for i in range(30)]
    assert summary_of(30) == summary_of(30)


def test_results_are_never_broken_down_by_pair_or_round():
    rows = [{**r, "pair": "g_1", "round": 2} for r in responses(6)]
    summary = summarize(QUESTIONS, rows, threshold=5)
    assert set(summary) == {"count", "published", "pending", "visible", "threshold", "questions"}
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
