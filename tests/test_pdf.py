"""The PDF report prints every answer in its own script, says what it cannot print, reuses the charts."""

import io
import logging
import re
from collections import Counter

import pytest
from fpdf.bidi import BidiParagraph
from pypdf import PdfReader

from workshop.core.report import chart, to_pdf

from .samples import QUESTIONS
from .test_report import make_report, response, visible_report

pytestmark = pytest.mark.spread  # independent tests: pytest-xdist may share them out

ANSWERS = {
    "arabic": "مرحبا بكم في الورشة شكرا جزيلا",
    "hebrew": "שלום תודה רבה על הסדנה",
    "chinese": "谢谢你们，今天很好。",
    "japanese": "今日はありがとうございました",
    "korean": "감사합니다 좋은 하루",
    "greek": "Καλημέρα κόσμε",
    "russian": "Спасибо за всё",
    "latin": "Zoë sagte: „schön“ – ça va",
    "emoji": "Thanks 😊 👍 ❤",
    "thai": "ขอบคุณมากครับ การประชุมเชิงปฏิบัติการดีมาก",
    "hindi": "धन्यवाद, कार्यशाला बहुत अच्छी थी",
    "bengali": "ধন্যবাদ, কর্মশালাটি খুব ভালো ছিল",
    "tamil": "நன்றி, பட்டறை மிகவும் நன்றாக இருந்தது",
}
UNPRINTABLE = "private \ue000\ue001 and \U00013000"  # two private-use characters and a hieroglyph
NOTE = "could not be printed in this PDF; see the CSV"


def pdf_text(data: bytes) -> str:
    """Extract the text, less the control characters pypdf leaves where glyphs were nudged."""
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)
    return re.sub("[\x00-\x09\x0b-\x1f]", "", text)


def letters(text: str) -> Counter:
    return Counter(ch for ch in text if not ch.isspace())


@pytest.fixture(scope="module")
def world_pdf() -> bytes:
    return to_pdf(visible_report([*ANSWERS.values(), UNPRINTABLE]))


@pytest.mark.parametrize("script", ANSWERS)
def test_an_answer_in_any_script_comes_back_from_the_pdf_with_every_character(world_pdf, script):
    text = pdf_text(world_pdf)
    assert not letters(ANSWERS[script]) - letters(text)
    assert text.count("?") == sum(q["text"].count("?") for q in QUESTIONS)  # none stands in


@pytest.mark.parametrize("script", ["arabic", "hebrew"])
def test_right_to_left_answers_come_back_in_reading_order(world_pdf, script):
    assert ANSWERS[script] in re.sub(r"[ \t]+", " ", pdf_text(world_pdf))


def test_every_script_is_drawn_from_a_bundled_font_embedded_in_the_pdf(world_pdf):
    fonts = {font["/BaseFont"] for page in PdfReader(io.BytesIO(world_pdf)).pages
             for font in page["/Resources"]["/Font"].values()}
    for face in ["+NotoSans", "NotoSansArabic", "NotoSansHebrew", "NotoSansCJK", "NotoEmoji",
                 "NotoSansThai", "NotoSansDevanagari", "NotoSansBengali", "NotoSansTamil"]:
        assert any(face in str(name) for name in fonts), fonts


def test_a_character_no_font_has_is_replaced_visibly_and_counted_beside_its_answer(world_pdf):
    lines = pdf_text(world_pdf).splitlines()
    at = next(i for i, line in enumerate(lines) if "private" in line)
    assert "\ufffd\ufffd and \ufffd" in lines[at]
    assert lines[at + 1].strip() == f"[3 characters {NOTE}]"
    assert pdf_text(world_pdf).count(NOTE) == 1


def test_printable_answers_carry_no_note():
    assert NOTE not in pdf_text(to_pdf(visible_report(list(ANSWERS.values()))))


def test_invisible_joiners_and_selectors_are_not_counted_as_missing():
    text = pdf_text(to_pdf(visible_report(["❤\ufe0f family 👨\u200d👩\u200d👧 \u200fok"] * 5)))
    assert NOTE not in text
    assert "family" in text


def test_charts_are_the_pages_svg_drawn_as_vectors():
    data = to_pdf(visible_report(["a"] * 5))
    text = pdf_text(data)
    for label in ["Round 3", "5 Very much", "Average 3.00 of 5", "About right", "2026-11-27 18:00 UTC"]:
        assert label in text
    for page in PdfReader(io.BytesIO(data)).pages:
        images = page["/Resources"].get("/XObject") or {}
        assert not [x for x in images.values() if x.get_object().get("/Subtype") == "/Image"]
    assert not [name for name in dir(chart) if name.startswith("draw_")]


def test_chart_labels_the_svg_text_cannot_shape_are_keyed_below_the_chart():
    questions = [QUESTIONS[0], {**QUESTIONS[1], "options": ["قصيرة جدا", "About right", "太长了"]},
                 *QUESTIONS[2:]]
    answers = [{"overall": 3, "length": questions[1]["options"][i % 3]} for i in range(5)]
    text = pdf_text(to_pdf(make_report(answers, questions=questions)))
    assert "[1]" in text and "[2]" in text and "About right" in text
    assert "太长了" in re.sub(r"\s", "", text)
    assert "قصيرة" in text and "جدا" in text


def test_the_page_chart_keeps_its_accessible_name_and_theming_classes():
    svg = chart.distribution_svg(visible_report(["a"] * 5)["feedback"]["questions"][0], QUESTIONS[0])
    assert 'role="img"' in svg and "<title" in svg and "<desc" in svg
    assert 'class="bar"' in svg and 'fill="#7fa8a4"' in svg


def test_making_a_pdf_of_arabic_and_cjk_answers_logs_nothing_from_the_font_libraries(caplog):
    caplog.set_level(logging.DEBUG)
    to_pdf(visible_report([*ANSWERS.values(), UNPRINTABLE]))
    noisy = [r for r in caplog.records if r.name.split(".")[0] in ("fontTools", "fpdf")]
    assert noisy == [], [r.getMessage()[:80] for r in noisy]


def test_without_bundled_fonts_the_pdf_still_says_what_it_could_not_print():
    text = pdf_text(to_pdf(visible_report(["李 and Zoë"] + ["ok"] * 4), fonts=()))
    assert "Zoë" in text
    assert f"[1 character {NOTE}]" in text


def test_hidden_results_print_no_answer_in_any_script():
    report = make_report([response(i, ANSWERS["arabic"]) for i in range(3)])
    text = pdf_text(to_pdf(report))
    assert "3 responses" in text and "مرحبا" not in text


def visual(text: str) -> str:
    """Return fpdf2's bidi order of a paragraph, each Hebrew word read back as written (as pypdf does)."""
    shown = BidiParagraph(text=text).get_reordered_string()
    return re.sub("[\u0590-\u05ff]+", lambda word: word.group()[::-1], shown)


@pytest.mark.parametrize("answer", [
    "Mixed: English then עברית 123 then 中文",
    "שלום 123 abc עולם",
    "Room 12 said: שלום עולם 2024, and then left",
])
def test_numbers_and_words_inside_another_direction_print_in_bidi_order(answer):
    text = re.sub(r"\s+", " ", pdf_text(to_pdf(visible_report([answer] * 5))))
    # pypdf moves a space at the edge of a right-to-left run; poppler and the eye do not.
    assert re.sub(r"\s", "", visual(answer)) in re.sub(r"\s", "", text)
    if answer.startswith("Mixed"):
        assert "then 123 עברית then" in text  # the number left of the Hebrew word, as the UBA says


def bullet_positions(data: bytes) -> list[float]:
    found = []
    for page in PdfReader(io.BytesIO(data)).pages:
        page.extract_text(visitor_text=lambda text, cm, tm, *_: found.append(cm[4] + tm[4])
                          if text.strip() == "•" else None)
    return found


def test_a_right_to_left_answer_has_its_bullet_at_the_right_margin():
    left = bullet_positions(to_pdf(visible_report([ANSWERS["latin"]] * 5)))
    right = bullet_positions(to_pdf(visible_report([ANSWERS["hebrew"]] * 5)))
    width = float(PdfReader(io.BytesIO(to_pdf(visible_report(["a"] * 5)))).pages[0].mediabox.width)
    assert len(left) == len(right) == 5
    assert all(x < width / 4 for x in left) and all(x > width * 3 / 4 for x in right)


def test_a_skin_tone_the_emoji_font_cannot_draw_is_counted_not_lost():
    text = pdf_text(to_pdf(visible_report(["Thumbs 👍🏽 up"] * 5)))
    assert text.count(f"[1 character {NOTE}]") == 5
    assert "👍" in text


def test_stacked_combining_marks_are_capped_at_three_and_the_rest_counted():
    zalgo = "Z" + "\u0301\u0300\u0302\u0303\u0304\u0306" + "algo"
    text = pdf_text(to_pdf(visible_report([zalgo] * 5)))
    assert "Z\u0301\u0300\u0302algo" in re.sub(r"\s", "", text) and "\u0303" not in text
    assert text.count(f"[3 characters {NOTE}]") == 5


def test_hebrew_with_point_vowel_and_cantillation_prints_whole():
    word = "בְּרֵאשִׁ֖ית"
    text = pdf_text(to_pdf(visible_report([word] * 5)))
    assert NOTE not in text
    assert not letters(word) - letters(text)


def test_copied_chinese_and_japanese_text_has_no_gaps_between_characters():
    data = to_pdf(visible_report([ANSWERS["chinese"], ANSWERS["japanese"]] * 3))
    raw = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)
    assert ANSWERS["chinese"] in raw and ANSWERS["japanese"] in raw
    assert "\x00" not in raw


def test_an_answer_of_two_thousand_neutral_characters_prints_instead_of_failing_the_pdf():
    """fpdf2's bidi resolution recursed once per punctuation mark, space or emoji in a row: one such
    answer (the most a text question allows) made the whole report's PDF fail with a RecursionError."""
    answers = ["." * 2000, "😀" * 2000, "!" * 1000 + " " * 1000, "שלום" + "?" * 1996, "Thank you"]
    text = pdf_text(to_pdf(visible_report(answers)))
    assert text.count(".") >= 2000 and text.count("!") >= 1000 and text.count("?") >= 1996
