"""The phone and the console in Spanish and in Arabic, in real Chromium: translated words, right to left, axe.

One server and one Chromium; each test runs a workshop of the phone tests' small agenda, with the
browser set to a language the way a phone is (Playwright's `locale`, which is the Accept-Language
header and navigator.languages). `make screenshots` photographs the screens into artifacts/lang-*.png.
"""

from __future__ import annotations

import pytest

from .browser_support import assert_accessible, expect
from .support import attendee, facilitator
from .test_browser_phone import STEP, Room, phone_server

pytestmark = pytest.mark.browser

PHONE = {"width": 360, "height": 740}
DESKTOP = {"width": 1280, "height": 860}


@pytest.fixture
def server(tmp_path_factory):
    """The phone tests' server: it offers the same phone-check agenda."""
    return phone_server(tmp_path_factory)


class Workshop(Room):
    """A workshop with a facilitator connection, two Socket.IO attendees and one browser phone.

    The phone check's room (`send`, `close`), with a phone in a given language and a name written
    right to left among the others.
    """

    def __init__(self, server, browser, locale: str, **extra):
        self.workshop = server.create_workshop("phone-check", **extra)
        self.code = self.workshop["code"]
        self.facilitator = facilitator(server, self.workshop)
        self.others = [attendee(server, self.code, name) for name in ("Ben", "سارة")]
        self.context = browser.new_context(viewport=PHONE, locale=locale, has_touch=True, is_mobile=True)
        self.page = self.context.new_page()
        self.errors: list[str] = []
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))

    def to_round(self):
        """Everyone agrees, pairs form and the first turn runs."""
        self.send("go_to_step", index=STEP["Three agreements"])
        for other in self.others:
            assert other.send("agree").get("ok")
        self.page.get_by_role("button", name=self.agree).click()
        self.send("go_to_step", index=STEP["Round 1: Arriving"])
        self.send("start_timer")


def opened(server, browser, locale: str, agree: str):
    """A Workshop whose phone speaks `locale` (its "I agree" reads `agree`), closed after the test."""
    made = Workshop(server, browser, locale)
    made.agree = agree
    yield made
    made.close()


@pytest.fixture
def spanish(server, browser):
    yield from opened(server, browser, "es-ES", "Acepto")


@pytest.fixture
def arabic(server, browser):
    yield from opened(server, browser, "ar", "أوافق")


def test_a_spanish_phone_joins_talks_and_hears_the_server_in_spanish(spanish):
    page = spanish.page
    page.goto(spanish.workshop["join_url"])
    assert page.evaluate("[document.documentElement.lang, document.documentElement.dir]") == ["es", "ltr"]
    page.get_by_label("Tu nombre").fill("Ana")
    page.get_by_role("button", name="Unirme").click()
    expect(page.locator("#view h1")).to_have_text("Welcome")  # the agenda's own words stay as written
    assert_accessible(page, "lang-es-phone-welcome")
    spanish.to_round()
    expect(page.get_by_role("heading", name="Tu pregunta")).to_be_visible()
    expect(page.get_by_role("button", name="Hemos terminado")).to_be_visible()
    expect(page.locator(".countdown-caption")).to_have_text("restantes")
    assert_accessible(page, "lang-es-phone-round")
    # The only group is done: the next turn comes, said in Spanish.
    page.get_by_role("button", name="Hemos terminado").click()
    expect(page.locator("#view .kicker")).to_contain_text("Turno 2 de")


def test_the_phones_language_switch_is_remembered_and_server_pages_follow_it(spanish):
    page = spanish.page
    page.goto(spanish.workshop["join_url"])
    page.get_by_label("Idioma").select_option("de")
    page.wait_for_load_state()
    expect(page.get_by_label("Dein Vorname")).to_be_visible()
    assert page.evaluate("localStorage.getItem('h2h-lang')") == "de"
    page.goto(spanish.workshop["join_url"])  # a new visit: the cookie brings the server-rendered page along
    assert page.evaluate("document.documentElement.lang") == "de"
    expect(page.get_by_label("Dein Vorname")).to_be_visible()


def test_an_arabic_phone_reads_right_to_left_with_names_isolated_and_the_clock_left_to_right(arabic):
    page = arabic.page
    page.goto(arabic.workshop["join_url"])
    assert page.evaluate("[document.documentElement.lang, document.documentElement.dir]") == ["ar", "rtl"]
    page.get_by_label("اسمك الأول").fill("Ana")
    page.get_by_role("button", name="انضمام").click()
    expect(page.locator("#view h1")).to_have_text("Welcome")
    arabic.to_round()
    expect(page.get_by_role("heading", name="سؤالك")).to_be_visible()
    expect(page.get_by_role("button", name="انتهينا")).to_be_visible()
    assert_accessible(page, "lang-ar-phone-round")
    layout = page.evaluate("""() => {
      const card = document.querySelector('.role-card').getBoundingClientRect();
      const style = getComputedStyle(document.querySelector('.role-card'));
      const digits = document.querySelector('#view .countdown-digits');
      return {right: style.borderRightWidth, left: style.borderLeftWidth,
              digits: getComputedStyle(digits).direction, text: digits.textContent,
              cardRight: Math.round(card.right), width: document.documentElement.clientWidth,
              scroll: document.documentElement.scrollWidth};
    }""")
    # The role's stripe is on the start side, which is the right.
    assert layout["right"] == "6px" and layout["left"] == "0px", layout
    assert layout["digits"] == "ltr" and ":" in layout["text"], layout
    assert layout["scroll"] <= layout["width"], layout  # nothing pushed off the side
    # A partner's Latin name inside an Arabic sentence is isolated (FSI ... PDI) so it cannot reorder it.
    line = page.locator(".with-line").text_content()
    assert "\u2068" in line and "\u2069" in line, line


def test_an_arabic_console_mirrors_and_passes_axe_and_the_projector_speaks_the_rooms_language(server,
                                                                                           browser):
    workshop = server.create_workshop("phone-check", language="es")
    people = [attendee(server, workshop["code"], name) for name in ("Ben", "سارة", "Eli")]
    context = browser.new_context(viewport=DESKTOP, locale="ar")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    try:
        page.goto(workshop["console_url"])
        assert page.evaluate("document.documentElement.dir") == "rtl"
        expect(page.get_by_role("button", name="الخطوة التالية")).to_be_visible()
        expect(page.get_by_role("heading", name="الأشخاص")).to_be_visible()
        page.get_by_role("button", name="الخطوة التالية").click()
        expect(page.locator("#step-title")).to_have_text("Three agreements")
        for person in people:
            assert person.send("agree").get("ok")
        page.get_by_role("button", name="توزيع الجميع").click()
        expect(page.locator("#groups .member").first).to_be_visible()
        assert_accessible(page, "lang-ar-console")
        start = page.evaluate("""() => {
          const agenda = document.querySelector('.agenda-panel').getBoundingClientRect();
          const side = document.querySelector('.console-side').getBoundingClientRect();
          return {agenda: agenda.left, side: side.left};
        }""")
        assert start["agenda"] > start["side"], start  # the agenda, first in reading order, sits on the right
        # Every name in the list starts where the page starts (the right), whatever its own script.
        rights = page.evaluate("[...document.querySelectorAll('#people .person-name')]"
                               ".map(n => Math.round(n.getBoundingClientRect().right))")
        assert len(rights) == 3 and len(set(rights)) == 1, rights
        projector = page.evaluate("document.querySelector('#projector-url').value")
        page.goto(projector)  # an Arabic laptop: the page follows it until the view names the room's language
        expect(page.locator("html")).to_have_attribute("lang", "es")
        assert page.evaluate("[document.documentElement.lang, document.documentElement.dir]") == ["es", "ltr"]
        # Reloaded in the room's language, and reconnected with the stored key:
        expect(page.locator("#projector-join h2")).to_be_visible()
        expect(page.locator("#projector-join h2")).to_contain_text("Únete en")
        assert_accessible(page, "lang-es-projector")
        assert not errors, errors
    finally:
        context.close()
        for person in people:
            person.close()
