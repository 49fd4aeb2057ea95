"""The studio makes an agenda in any language, in real Chromium: an Arabic agenda written on an English page,
its words right to left where they are typed and in the phone preview, its tag checked, exported and run;
and the studio itself on a right-to-left page. Audited with axe-core; `make screenshots`
photographs it into artifacts/studio-language-*.png.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlparse

import pytest
import requests

from .browser_support import DESKTOP, assert_accessible, expect
from .test_browser_studio import studio_server

pytestmark = pytest.mark.browser

TITLE = "أمسية من القلب إلى القلب"
PROMPT = "ما الذي يحمله قلبك اليوم؟"

# Where a control's or a paragraph's text runs: the direction the browser resolved for it, and for a
# paragraph whether its text hugs the right edge (a right-to-left paragraph) or the left.
DIRECTION = "(node) => node.matches(':dir(rtl)') ? 'rtl' : 'ltr'"
HUGS = """(node) => {
  const range = document.createRange();
  range.selectNodeContents(node);
  const text = range.getBoundingClientRect(), box = node.getBoundingClientRect();
  if (Math.abs(box.right - text.right) < 2 && text.left - box.left > 20) return 'right';
  if (Math.abs(box.left - text.left) < 2 && box.right - text.right > 20) return 'left';
  return 'full';
}"""


@pytest.fixture
def server(tmp_path_factory):
    """The studio tests' server: the same copy of the agendas folder."""
    return studio_server(tmp_path_factory)


def test_an_arabic_agenda_is_written_right_to_left_on_an_english_page_checked_exported_and_run(
        server, browser):
    context = browser.new_context(viewport=DESKTOP, locale="en-GB", accept_downloads=True)
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    try:
        page.goto(f"{server.url}/studio")
        page.get_by_role("button", name="Start a new agenda").click()
        page.wait_for_url("**/studio/*#key=*")
        language = page.get_by_label("Language of this agenda")
        expect(language).to_have_value("en")  # a new agenda is in the studio's language
        language.select_option("ar")
        expect(page.locator("#room-language")).to_have_value("ar")  # phones preset to the agenda's language

        title = page.get_by_label("Name of the workshop")
        title.fill(TITLE)
        assert title.evaluate(DIRECTION) == "rtl" and title.get_attribute("lang") == "ar"
        page.select_option("#new-step-kind", "round")
        page.get_by_role("button", name="Add step").click()
        prompts = page.locator("#f-steps-2-prompts")
        prompts.fill(PROMPT)
        assert prompts.evaluate(DIRECTION) == "rtl" and prompts.get_attribute("lang") == "ar"
        assert page.locator("#edit-link").evaluate(DIRECTION) == "ltr"
        expect(page.locator("#problems")).to_be_hidden()

        # The phone preview: the Arabic prompt and heading read right to left inside an English phone.
        page.select_option("#preview-step", "1")
        screen = page.locator("#phone-screen")
        expect(screen.locator(".prompt-text p")).to_have_text(PROMPT)
        assert screen.locator(".prompt-text p").evaluate(HUGS) == "right"
        assert screen.locator(".role-heading").evaluate(HUGS) in ("left", "full")  # the phone's own words
        assert_accessible(page, "studio-language-arabic-agenda")

        # Another language, typed: the loader's own check marks the field; a regional tag is fine.
        language.select_option("other")
        tag = page.get_by_label("Language tag")
        expect(tag).to_be_focused()
        tag.fill("Arabic")
        problems = page.locator("#problems")
        expect(problems).to_contain_text("The workshop, language tag: Should be a language tag")
        expect(tag).to_have_attribute("aria-invalid", "true")
        tag.fill("ar-EG")
        expect(problems).to_be_hidden()
        expect(page.locator("#room-language")).to_have_value("ar")

        with page.expect_download() as downloaded:
            page.get_by_role("button", name="Download as a file").click()
        text = Path(downloaded.value.path()).read_text(encoding="utf-8")
        assert "\nlanguage: ar-EG\n" in text and TITLE in text and PROMPT in text

        page.get_by_role("button", name="Start a workshop").click()
        page.wait_for_url("**/facilitate/*")
        code = urlparse(page.url).path.rsplit("/", 1)[1]
        phone = requests.get(f"{server.url}/j/{code}", headers={"Accept-Language": "ja"}, timeout=10).text
        # A phone whose browser speaks none of the server's languages sees the room's.
        assert '<html lang="ar" dir="rtl">' in phone
    finally:
        context.close()
    assert not errors, errors


def test_the_studio_on_a_right_to_left_page_keeps_a_spanish_agendas_words_left_to_right(server, browser):
    context = browser.new_context(viewport=DESKTOP, locale="ar")
    page = context.new_page()
    try:
        page.goto(f"{server.url}/studio/files/heart-to-heart-es")
        expect(page.locator("html")).to_have_attribute("dir", "rtl")
        title = page.get_by_label("اسم الورشة")  # "Name of the workshop": the studio speaks Arabic
        expect(title).to_have_value("De corazón a corazón")
        assert title.evaluate(DIRECTION) == "ltr" and title.get_attribute("lang") == "es"
        expect(page.get_by_label("لغة هذا البرنامج")).to_have_value("es")  # "Language of this agenda"
        expect(page.locator("#room-language")).to_have_value("es")
        heading = page.locator("#phone-screen .preview-heading")
        expect(heading).to_have_text("Bienvenida")
        assert heading.evaluate(HUGS) == "left", "the agenda's Spanish heading reads left to right"
        assert_accessible(page, "studio-language-rtl-studio")
    finally:
        context.close()
