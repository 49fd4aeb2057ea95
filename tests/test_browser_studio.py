"""The agenda studio in real Chromium: built from blank with the keyboard only, run with phones, exported
and imported, previewed as the phones show it, and audited with axe-core in light and dark.

`make screenshots` photographs the studio (1280 px and 390 px, light and dark) into artifacts/studio-*.png.
"""

from __future__ import annotations

import shutil
from functools import partial
from urllib.parse import urlparse

import pytest
import requests

from workshop.core.agenda import load_agenda

from . import browser_support
from .browser_support import (
    DESKTOP,
    PHONE,
    SHARED,
    blocking_violations,
    expect,
    focused,
    photograph,
)
from .support import ROOT, Server, attendee, facilitator

pytestmark = [pytest.mark.browser, pytest.mark.spread]  # each test has its own room

PROMPT = "What is alive in you tonight?"


def studio_server(tmp_path_factory) -> Server:
    """This process's server over a copy of the agendas folder (studio, studio language), started once."""
    def make():
        folder = tmp_path_factory.mktemp("studio")
        agendas = folder / "agendas"
        shutil.copytree(ROOT / "agendas", agendas)
        made = Server(folder / "studio.db", "--agendas", str(agendas), "--grace", "60")
        made.agendas = agendas
        return made
    return SHARED.server("studio", make)


@pytest.fixture
def server(tmp_path_factory):
    return studio_server(tmp_path_factory)


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport=DESKTOP, accept_downloads=True)
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield page
    context.close()
    assert not errors, errors


# The studio's page is long: a control may be up to 120 presses of Tab away.
tab_to = partial(browser_support.tab_to, limit=120)


def replace_text(page, text: str) -> None:
    page.keyboard.press("Control+A")
    page.keyboard.type(text)


def add_step(page, letter: str, kind_label: str, title: str) -> None:
    """Choose a kind in "Add a step" by its first letter, add it and title it, all from the keyboard."""
    tab_to(page, "select:Add a step")
    page.keyboard.press(letter)
    assert page.evaluate("document.activeElement.selectedOptions[0].textContent") == kind_label
    page.keyboard.press("Tab")
    assert focused(page) == "button:Add step"
    page.keyboard.press("Enter")
    assert focused(page) == "input:Title", "focus goes to the new step's title"
    replace_text(page, title)


def saved_agenda(page) -> dict:
    """Save the page's agenda, and read it back as the server's validator has it (defaults filled in)."""
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator("#save-status")).to_contain_text("Saved as version")
    return page.evaluate("""async () => {
        const key = new URLSearchParams(location.hash.slice(1)).get('key');
        const answer = await fetch(`/api/studio/agendas/${location.pathname.split('/').pop()}`,
          {headers: {'X-Agenda-Key': key}});
        return (await answer.json()).agenda;
    }""")


def test_a_facilitator_builds_an_agenda_from_blank_with_the_keyboard_only_and_runs_it_with_phones(
        server, page, browser):
    page.goto(f"{server.url}/studio")
    tab_to(page, "button:Start a new agenda")
    page.keyboard.press("Enter")
    page.wait_for_url("**/studio/*#key=*")
    expect(page.locator("#editor .step-card")).to_have_count(1)

    tab_to(page, "input:Name of the workshop")
    replace_text(page, "Our evening of listening")
    add_step(page, "a", "Agreements", "Our agreements")
    add_step(page, "r", "Round", "First round")
    tab_to(page, "textarea:Questions, one per line")
    replace_text(page, PROMPT)
    tab_to(page, "input:Minutes")
    replace_text(page, "0")
    expect(page.locator("#problems")).to_contain_text("Step 3, minutes: Must be a number from 0.25 to 60.")
    expect(page.locator("#start-blocked")).to_be_visible()
    replace_text(page, "2")
    expect(page.locator("#problems")).to_be_hidden()
    expect(page.locator("#total")).to_have_text("5 minutes of timers")

    # Reorder with the keyboard: focus stays on the button that moved the step.
    tab_to(page, "button:Move up step 3: First round", back=True)
    page.keyboard.press("Enter")
    assert focused(page) == "button:Move up step 2: First round"
    expect(page.locator(".step-card").nth(1)).to_have_attribute("data-kind", "round")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    assert focused(page) == "button:Move up step 3: First round", "at the bottom, focus moves to its twin"
    expect(page.locator(".step-card").nth(2)).to_have_attribute("data-kind", "round")

    add_step(page, "f", "Feedback form", "A few words back")
    expect(page.locator("#problems")).to_contain_text("Step 4, question: Must not be empty.")
    tab_to(page, "input:Question", back=True)
    page.keyboard.type("What will you take home tonight?")
    expect(page.locator("#problems")).to_be_hidden()
    page.keyboard.press("Control+s")
    expect(page.locator("#save-status")).to_have_text("Saved as version 2.")

    tab_to(page, "button:Start a workshop")
    page.keyboard.press("Enter")
    page.wait_for_url("**/facilitate/*")
    code = urlparse(page.url).path.rsplit("/", 1)[1]
    key = page.evaluate("(code) => localStorage.getItem(`h2h-key:${code}`)", code)  # kept by the console

    phone_context = browser.new_context(viewport=PHONE, has_touch=True, is_mobile=True)
    phone = phone_context.new_page()
    boss = facilitator(server, {"code": code, "facilitator_key": key})
    other = attendee(server, code, "Eli")
    try:
        phone.goto(f"{server.url}/j/{code}")
        phone.get_by_label("Your first name").fill("Ana")
        phone.get_by_role("button", name="Join").click()
        expect(phone.locator("#view h1")).to_have_text("Welcome")
        expect(phone.locator(".topbar-title")).to_have_text("Workshop: Our evening of listening")
        assert boss.send("go_to_step", {"index": 1}).get("ok")
        phone.get_by_role("button", name="I agree").click()
        assert other.send("agree").get("ok")
        assert boss.send("go_to_step", {"index": 2}).get("ok")
        expect(phone.locator("#view h1")).to_have_text("Your new partner")
        phone.get_by_role("button", name="We have found each other").click()
        expect(phone.locator("#view .prompt-text")).to_have_text(PROMPT)
        expect(phone.locator("#view h1")).to_have_text("First round")
    finally:
        other.close()
        boss.close()
        phone_context.close()


def test_an_agenda_exported_from_the_studio_loads_from_the_agendas_folder_and_imports_back(server, page):
    page.goto(f"{server.url}/studio")
    page.get_by_role("button", name="Copy it to change it (Quick Connect)").click()
    page.wait_for_url("**/studio/*#key=*")
    page.get_by_label("Name of the workshop").fill("Quick Connect, our way")
    page.locator("#f-steps-4-prompts").fill("What are you grateful for?\nWhat is hard right now?")
    expect(page.locator("#save-status")).to_have_text("Changes not saved yet.")
    with page.expect_download() as downloaded:
        page.get_by_role("button", name="Download as a file").click()
    name = downloaded.value.suggested_filename
    assert name == "quick-connect-our-way.yaml"
    target = server.agendas / name
    downloaded.value.save_as(target)
    on_page = saved_agenda(page)
    from_file = load_agenda(target)
    assert from_file.to_dict() == {**on_page, "name": from_file.name}
    home = requests.get(f"{server.url}/", timeout=10).text
    assert "Quick Connect, our way" in home, "the file is offered on the home page"

    page.goto(f"{server.url}/studio")
    page.get_by_label("An agenda file (.yaml)").set_input_files(str(target))
    page.get_by_role("button", name="Open it in the studio").click()
    page.wait_for_url("**/studio/*#key=*")
    expect(page.get_by_label("Name of the workshop")).to_have_value("Quick Connect, our way")
    expect(page.locator("#problems")).to_be_hidden()
    assert saved_agenda(page) == on_page

    broken = target.with_name("broken.yaml")
    broken.write_text("title: Broken\nsteps:\n\t- kind: welcome\n", encoding="utf-8")
    page.goto(f"{server.url}/studio")
    page.get_by_label("An agenda file (.yaml)").set_input_files(str(broken))
    page.get_by_role("button", name="Open it in the studio").click()
    expect(page.locator("#import-error")).to_contain_text("indent with spaces, never tabs")
    broken.unlink()


def test_the_preview_shows_the_speaker_the_listener_a_trios_c_and_the_form_in_both_themes(server, page):
    page.goto(f"{server.url}/studio/files/quick-connect")
    round_at = page.locator("#preview-step option", has_text="Round 1").first.get_attribute("value")
    page.select_option("#preview-step", round_at)
    screen = page.locator("#phone-screen")
    expect(screen.locator(".role-heading")).to_have_text("You speak")
    page.select_option("#preview-view", label="Turn 1: B, the listener")
    expect(screen.locator(".role-heading")).to_have_text("You listen, Sam speaks")
    page.select_option("#preview-view", label="Turn 1: the third person of a trio (C)")
    expect(screen.locator(".with-line")).to_have_text("With Sam (A) and Eli (B) · you are C")
    feedback_at = page.locator("#preview-step option", has_text="feedback").first.get_attribute("value")
    page.select_option("#preview-step", feedback_at)
    expect(screen.locator("form.feedback-form")).to_be_visible()
    light = page.evaluate("getComputedStyle(document.getElementById('phone')).backgroundColor")
    page.get_by_label("Dark").check()
    dark = page.evaluate("getComputedStyle(document.getElementById('phone')).backgroundColor")
    assert (light, dark) == ("rgb(247, 242, 236)", "rgb(31, 27, 24)"), "phone.css's own colours"


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_studio_has_no_serious_axe_violation_and_is_photographed(server, page, scheme):
    page.emulate_media(color_scheme=scheme)
    blocking = []
    page.goto(f"{server.url}/studio")
    page.get_by_role("button", name="Copy it to change it (Heart to Heart)").click()
    page.wait_for_url("**/studio/*#key=*")
    page.get_by_label("Name of the workshop").fill("")
    expect(page.locator("#problems")).to_be_visible()
    screens = [("studio-home", f"{server.url}/studio"),
               ("studio-file", f"{server.url}/studio/files/heart-to-heart"), ("studio-editor", None)]
    for name, url in reversed(screens):
        if url:
            page.goto(url)
        page.wait_for_selector("#main")
        page.wait_for_timeout(300)
        for size, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
            page.set_viewport_size(viewport)
            photograph(page, f"{name}-{size}-{scheme}", full_page=size == "phone")
            blocking += blocking_violations(page, f"{name} {size}")
        page.set_viewport_size(DESKTOP)
    assert not blocking, "\n".join(blocking)
