"""One clean_text for all typed text: hostile characters are dropped from free text and refused in names."""

import unicodedata

import pytest

from workshop.core.text import clean_text, first_unwanted, visible

# (typed, as free text on one line, as free text on several lines)
HOSTILE = [
    ("Ana", "Ana", "Ana"),
    ("  Ana  ", "Ana", "Ana"),
    ("A\x00n\x1ba\x7f", "Ana", "Ana"),
    ("A\tna", "Ana", "Ana"),
    ("one\ntwo", "onetwo", "one\ntwo"),
    ("one\r\ntwo\rthree", "onetwothree", "one\ntwo\nthree"),
    ("one\u2028two\u2029three", "onetwothree", "one\ntwo\nthree"),
    ("\u202eevil\u202c", "evil", "evil"),
    ("\u202a\u202b\u202d", "", ""),
    ("\u2066isolated\u2069 \u2067x\u2068", "isolated x", "isolated x"),
    ("\ufeffAna", "Ana", "Ana"),
    ("An\ufeffa", "Ana", "Ana"),
    ("\ud800Ana\udfff", "Ana", "Ana"),
    ("e\u0301", "\u00e9", "\u00e9"),
    ("Zoe\u0308", "Zoë", "Zoë"),
    ("\u0301", "\u0301", "\u0301"),
    ("👩\u200d👩\u200d👧", "👩\u200d👩\u200d👧", "👩\u200d👩\u200d👧"),
    ("\u200b", "\u200b", "\u200b"),
    ("\u200e\u200fمحمد", "\u200e\u200fمحمد", "\u200e\u200fمحمد"),
    ("=HYPERLINK(\"x\")", "=HYPERLINK(\"x\")", "=HYPERLINK(\"x\")"),
    ("\U0001faf8 new emoji", "\U0001faf8 new emoji", "\U0001faf8 new emoji"),
]


@pytest.mark.parametrize(("typed", "line", "lines"), HOSTILE, ids=repr)
def test_free_text_loses_controls_bidi_controls_byte_order_marks_and_surrogates(typed, line, lines):
    assert clean_text(typed) == line
    assert clean_text(typed, multiline=True) == lines


@pytest.mark.parametrize(("typed", "line", "lines"), HOSTILE, ids=repr)
def test_a_name_is_refused_exactly_when_cleaning_would_change_more_than_spaces_and_nfc(typed, line, lines):
    refused = first_unwanted(unicodedata.normalize("NFC", typed)) is not None
    assert refused == (clean_text(typed) != unicodedata.normalize("NFC", typed).strip())


@pytest.mark.parametrize("value", ["", "   ", "\u200b", "\u200b\u200d\u2060", "\u0301", "\u3000", "\u200e"],
                         ids=repr)
def test_text_of_spaces_marks_and_zero_width_characters_shows_nothing(value):
    assert not visible(value)


@pytest.mark.parametrize("value", ["A", "🌱", "محمد", "e\u0301", "字"], ids=repr)
def test_letters_and_emoji_show(value):
    assert visible(value)
