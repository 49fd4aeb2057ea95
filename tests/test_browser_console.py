"""The facilitator's console, the projector and the organizer pages in real Chromium.

Keyboard only: focus stays on the control used after every command. One polite live region says what
changed, once. The projector's own URL never shows or receives a name. Screens are audited with axe-core
in light and dark (and with `make screenshots` photographed into artifacts/console-*.png).
"""

from __future__ import annotations

import re
import time
from datetime import datetime
from urllib.parse import urlsplit

import pytest

from .browser_support import DESKTOP, HEAR, SHARED, axe_violations, describe, expect, photograph
from .support import Server, attendee

pytestmark = [pytest.mark.browser, pytest.mark.spread]  # each test has its own room

ORGANIZER_KEY = "organizer-key-for-tests"
# Names that appear nowhere in the agenda's text, so that finding one on the wall can only be a leak.
NAMES = ["Zuzanna", "Oluwaseun", "Bartholomew", "Xiomara", "Quentin"]
PROJECTOR = {"width": 1280, "height": 720}
NARROW = {"width": 320, "height": 640}
ARTIFACTS_PREFIX = "console"

@pytest.fixture
def server(tmp_path_factory):
    """This process's console server (each test makes its own workshop), started once."""
    return SHARED.server("console", lambda: Server(tmp_path_factory.mktemp("console") / "console.db",
                                                   "--time-scale", "0.05", "--grace", "60"))


def open_page(browser, url: str, viewport=DESKTOP, scheme: str = "light"):
    page = browser.new_context(viewport=viewport, color_scheme=scheme).new_page()
    page.errors = []
    page.on("pageerror", lambda error: page.errors.append(str(error)))
    page.on("dialog", lambda dialog: dialog.accept())
    page.goto(url)
    return page


def open_console(browser, workshop: dict, scheme: str = "light"):
    page = open_page(browser, workshop["console_url"], scheme=scheme)
    expect(page.locator("#connection")).to_have_text("Connected")
    return page


def room_with(server, names, agreed=True):
    workshop = server.create_workshop("quick-connect")
    phones = [attendee(server, workshop["code"], name) for name in names]
    if agreed:
        for phone in phones:
            assert phone.send("agree") == {"ok": True}
    return workshop, phones


def focused(page) -> str:
    return page.evaluate("document.activeElement === document.body ? 'BODY' : "
                         "(document.activeElement.id || document.activeElement.outerHTML.slice(0, 80))")


def press_key_on(page, control_id: str, key: str = "Enter") -> None:
    page.locator(f"#{control_id}:not([data-busy])").wait_for()  # the last command's answer has come
    page.locator(f"#{control_id}").focus()
    page.keyboard.press(key)


def photograph_and_audit(page, name: str, found: dict) -> None:
    """Audit the page in both themes (photographed when asked), keeping its violations under `name`."""
    for scheme in ("light", "dark"):
        page.emulate_media(color_scheme=scheme)
        page.wait_for_timeout(100)
        photograph(page, f"{ARTIFACTS_PREFIX}-{name}-{scheme}")
        found[f"{name}-{scheme}"] = [describe(name, v, 4) for v in axe_violations(page, name)]
    page.emulate_media(color_scheme="light")


def no_sideways_scroll(page) -> int:
    return page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")


# -- the console, keyboard only -------------------------------------------------------------------


def test_a_keyboard_only_facilitator_keeps_focus_on_every_control_they_use(server, browser):
    workshop, phones = room_with(server, NAMES[:4])
    page = open_console(browser, workshop)
    state = page.locator("#timer-state")
    moves = []

    def used(control_id: str, then, key: str = "Enter") -> None:
        press_key_on(page, control_id, key)
        then()
        where = focused(page)
        moves.append((control_id, where))
        assert where == control_id, f"after {control_id} focus is on {where}"

    for title in ("Three agreements", "Meet your partner", "Round 1: Arriving"):
        used("next-step", lambda t=title: expect(page.locator("#step-title")).to_have_text(t))
    used("timer-main", lambda: expect(state).to_have_text("Running"))  # Start
    expect(page.locator("#timer-main")).to_have_text("Pause")
    used("timer-main", lambda: expect(state).to_have_text("Paused"), key="Space")  # Pause, with Space
    before = page.evaluate("document.querySelector('#timer-clock .countdown-digits').textContent")
    used("timer-extend", lambda: expect(page.locator("#status")).to_contain_text("One more minute."))
    assert page.evaluate("document.querySelector('#timer-clock .countdown-digits').textContent") != before
    used("timer-main", lambda: expect(state).to_have_text("Running"))  # Resume
    used("timer-skip", lambda: expect(page.locator("#turn-info")).to_contain_text("Turn 2 of 3"))
    used("pair-everyone", lambda: expect(page.locator("#status")).to_contain_text("New groups formed."))
    used("feedback-toggle", lambda: expect(page.locator("#step-title")).to_have_text("Your feedback"))
    expect(page.locator("#feedback-toggle")).to_have_text("Close feedback")
    used("feedback-toggle", lambda: expect(page.locator("#feedback-state")).to_contain_text("Closed"))

    # A "needs a moment" is seen and cleared; the row goes, and focus moves to the People heading.
    assert phones[0].send("ask_moment", {"needed": True}) == {"ok": True}
    clear = page.get_by_role("button", name=f"Seen: clear {NAMES[0]}'s request for a moment")
    clear.focus()
    page.keyboard.press("Enter")
    expect(page.locator("#moments")).to_be_hidden()
    phones[0].wait_for(lambda p: p.latest("you")["attendee"]["moment"] is False, "the cleared moment")
    assert focused(page) == "people-title"

    # Remove: the button goes with the person's place, and focus moves to the People heading.
    remove = page.get_by_role("button", name=f"Remove {NAMES[1]}")
    remove.focus()
    page.keyboard.press("Enter")
    row = page.locator("#people .person").filter(has_text=NAMES[1])
    expect(row.locator(".tag").first).to_have_text("Removed")
    assert focused(page) == "people-title"

    used("end-workshop", lambda: expect(page.locator("#ended-notice")).to_be_visible())
    expect(page.locator("#end-workshop")).to_have_attribute("aria-disabled", "true")
    assert page.locator("button[disabled]").count() == 0, "busy and unavailable buttons stay focusable"
    print("focus after each command:", moves)
    assert page.errors == []


def test_the_console_announces_each_change_of_a_round_once_in_one_polite_region(server, browser):
    workshop, phones = room_with(server, NAMES[:4])
    page = open_console(browser, workshop)
    assert page.locator("[aria-live]").count() == 1, "one live region on the console"
    assert page.locator("#announcer").get_attribute("aria-live") == "polite"
    for title in ("Three agreements", "Meet your partner", "Round 1: Arriving"):
        page.get_by_role("button", name="Next step", exact=True).click()
        expect(page.locator("#step-title")).to_have_text(title)
    page.wait_for_timeout(400)
    page.evaluate(HEAR)

    def heard(count: int, timeout: float = 10_000):
        page.wait_for_function("(n) => window.__heard.length >= n", arg=count, timeout=timeout)
        page.wait_for_timeout(300)  # nothing more should follow

    def press(name: str) -> None:
        page.get_by_role("button", name=name, exact=True).click()

    press("Start")
    heard(1)
    press("Pause")
    heard(2)
    press("+1 min")
    heard(3)
    press("Resume")
    heard(4)
    press("Skip")
    heard(5)
    heard(6, timeout=20_000)  # turn B runs out by itself (6 s at this time scale)
    press("Skip")
    heard(7)
    phones[2].send("ask_moment", {"needed": True})
    heard(8)
    press("Next step")
    heard(9)
    press("Pair everyone")
    heard(10)
    press("Open feedback")
    heard(11)
    press("End workshop")
    heard(12)
    assert page.evaluate("window.__heard") == [
        "Timer started. Turn 1 of 3: A speaks, B listens.",
        "Paused.",
        "One more minute.",
        "Resumed.",
        "Turn 2 of 3: B speaks, A listens.",
        "Time is up. Turn 3 of 3: Reflect together.",
        "Round complete.",
        f"{NAMES[2]} needs a moment.",
        "Now at step 5 of 8: Round 2: A little deeper.",
        "New groups formed.",
        "The feedback form is open. Now at step 7 of 8: Your feedback.",
        "The workshop has ended.",
    ]
    assert page.errors == []


def test_shortcuts_pause_move_on_and_extend_but_never_while_typing_or_on_a_button(server, browser):
    workshop, _ = room_with(server, NAMES[:2])
    page = open_console(browser, workshop)
    expect(page.locator("#shortcuts")).to_be_visible()
    expect(page.locator("#shortcuts")).to_contain_text("Space pause or resume")
    state = page.locator("#timer-state")
    title = page.locator("#step-title")

    page.evaluate("document.activeElement.blur()")
    page.keyboard.press("ArrowRight")
    expect(title).to_have_text("Three agreements")
    page.keyboard.press("n")
    expect(title).to_have_text("Meet your partner")
    page.keyboard.press("N")
    expect(title).to_have_text("Round 1: Arriving")
    page.get_by_role("button", name="Start", exact=True).click()
    expect(state).to_have_text("Running")
    page.evaluate("document.activeElement.blur()")
    page.keyboard.press("Space")
    expect(state).to_have_text("Paused")
    page.keyboard.press("Space")
    expect(state).to_have_text("Running")
    page.keyboard.press("+")
    expect(page.locator("#status")).to_contain_text("One more minute.")

    # Typing a message: Space and N are letters there, not commands.
    box = page.get_by_label("Message shown on every phone")
    box.focus()
    page.keyboard.type("Now breathe")
    expect(box).to_have_value("Now breathe")
    expect(state).to_have_text("Running")
    expect(title).to_have_text("Round 1: Arriving")

    # On a button, Space presses that button, not Pause.
    page.locator("#lock-room").focus()
    page.keyboard.press("Space")
    expect(page.locator("#lock-room")).to_have_text("Unlock room")
    expect(state).to_have_text("Running")
    assert focused(page) == "lock-room"

    # A step change neither jumps the page nor hides the bar: it stays at the top of the window.
    page.evaluate("window.scrollTo(0, 600)")
    page.wait_for_timeout(100)
    scrolled = page.evaluate("window.scrollY")
    page.evaluate("document.activeElement.blur()")
    page.keyboard.press("ArrowRight")
    expect(title).to_have_text("Round 2: A little deeper")
    page.wait_for_timeout(300)
    assert page.evaluate("window.scrollY") == scrolled, "the page jumped on a step change"
    bar = page.locator(".console-bar").bounding_box()
    assert 0 <= bar["y"] <= 1, f"the sticky bar left the top of the window: {bar}"
    assert page.errors == []


# -- the projector -----------------------------------------------------------------------------


def test_the_projector_url_never_shows_or_receives_a_name(server, browser):
    workshop, phones = room_with(server, NAMES, agreed=False)
    console = open_console(browser, workshop)
    link = console.locator("#projector-open").get_attribute("href")
    assert link == console.locator("#projector-url").input_value()
    parts = urlsplit(link)
    assert parts.path == f"/p/{workshop['code']}" and parts.fragment.startswith("key=")

    wall = browser.new_context(viewport=PROJECTOR).new_page()
    wall.errors = []
    wall.on("pageerror", lambda error: wall.errors.append(str(error)))
    frames = []
    wall.on("websocket", lambda ws: ws.on("framereceived", lambda payload: frames.append(str(payload))))
    wall.goto(link)
    seen = []
    found = {}

    def look(label: str) -> None:
        wall.wait_for_timeout(300)
        seen.append((label, wall.evaluate("document.documentElement.outerHTML + document.body.innerText")))

    expect(wall.locator(".projector-code")).to_have_text(re.compile(workshop["code"]))
    expect(wall.locator("#projector-join")).to_be_visible()
    expect(wall.get_by_role("main")).to_be_visible()
    expect(wall.get_by_role("heading", level=1)).to_have_text("Welcome")
    look("welcome")
    photograph_and_audit(wall, "projector-join", found)

    for phone in phones:
        phone.send("agree")
        phone.send("ask_moment", {"needed": True})
    console.get_by_label("Message shown on every phone").fill(f"{NAMES[0]}, please come to the front")
    console.locator("#message-form").get_by_role("button", name="Send", exact=True).click()
    for title in ("Three agreements", "Meet your partner", "Round 1: Arriving"):
        console.get_by_role("button", name="Next step", exact=True).click()
        expect(wall.get_by_role("heading", level=1)).to_have_text(title)
    expect(wall.locator("#projector-groups")).to_have_text("1 pair and 1 group of three")
    console.get_by_role("button", name="Start", exact=True).click()
    expect(wall.locator("#projector-turn")).to_have_text("Turn 1 of 4 · A speaks, B listens")
    look("round")
    photograph_and_audit(wall, "projector-round", found)
    console.get_by_role("button", name="Pause", exact=True).click()
    expect(wall.locator("#projector-pause")).to_be_visible()
    expect(wall.locator("#projector-pause")).to_have_text(re.compile("Paused"))
    look("paused")
    photograph_and_audit(wall, "projector-paused", found)
    console.get_by_role("button", name="Resume", exact=True).click()
    expect(wall.locator("#projector-pause")).to_be_hidden()
    console.get_by_role("button", name="Skip", exact=True).click()
    console.get_by_role("button", name="Skip", exact=True).click()
    # The triads' turn: "C speaks" is for groups of three; the pair hears it is their open conversation.
    expect(wall.locator("#projector-turn")).to_have_text(
        "Turn 3 of 4 · Groups of three: C speaks, A and B listen. Pairs: open conversation.")
    look("triad turn")
    console.get_by_role("button", name="Open feedback", exact=True).click()
    expect(wall.get_by_role("heading", level=1)).to_have_text("Your feedback")
    expect(wall.locator("#projector-join")).to_be_hidden()
    look("feedback")
    console.get_by_role("button", name="End workshop", exact=True).click()
    expect(wall.get_by_role("heading", level=1)).to_have_text("Thank you for taking part")
    look("ended")
    photograph_and_audit(wall, "projector-ended", found)
    ended_text = wall.locator("body").inner_text()
    assert workshop["code"] not in ended_text and "0:00" not in ended_text and "Time is up" not in ended_text

    assert len(frames) > 5, "the projector received the room through its socket"
    for name in NAMES:
        for label, text in seen:
            assert name not in text, f"{name} is on the wall at {label}"
        assert not [f for f in frames if name in f], f"{name} reached the projector's socket"
    assert not [f for f in frames if "moment" in f or "please come" in f or '"a_' in f]
    assert not [found[k] for k in found if found[k]], f"axe violations on the projector: {found}"
    assert wall.errors == [] and console.errors == []


def test_a_display_key_opens_neither_the_console_nor_a_report(server, browser):
    workshop, _ = room_with(server, NAMES[:1])
    console = open_console(browser, workshop)
    key = urlsplit(console.locator("#projector-url").input_value()).fragment.removeprefix("key=")
    page = open_page(browser, f"{server.url}/facilitate/{workshop['code']}#key={key}")
    expect(page.locator("#no-key")).to_be_visible()
    expect(page.locator("#no-key-reason")).to_contain_text("not valid")
    report = open_page(browser, f"{server.url}/reports/{workshop['code']}#key={key}")
    expect(report.locator("#unlock-status")).to_have_text("That report link is not valid.")
    assert report.request.get(f"{server.url}/reports/{workshop['code']}.csv").status == 403
    # And the other way round: the facilitator's key is no projector key, and the wall says so.
    wall = open_page(browser, f"{server.url}/p/{workshop['code']}#key={workshop['facilitator_key']}")
    expect(wall.locator("#projector-wrong-key")).to_be_visible()
    expect(wall.locator("#projector-no-key")).to_be_hidden()


# -- screenshots, axe and reflow ---------------------------------------------------------------------


def test_console_and_organizer_pages_are_axe_clean_in_both_themes_and_reflow_at_320_px(server, browser):
    workshop, phones = room_with(server, NAMES)
    console = open_console(browser, workshop)
    for title in ("Three agreements", "Meet your partner", "Round 1: Arriving"):
        console.get_by_role("button", name="Next step", exact=True).click()
        expect(console.locator("#step-title")).to_have_text(title)
    console.get_by_role("button", name="Start", exact=True).click()
    phones[1].send("ask_moment", {"needed": True})
    expect(console.locator("#moments")).to_be_visible()
    found = {}
    photograph_and_audit(console, "console-round", found)
    console.set_viewport_size(NARROW)
    assert no_sideways_scroll(console) <= 0, "the console scrolls sideways at 320 px"
    photograph_and_audit(console, "console-round-320", found)
    # The copy buttons and people's names never break inside a word.
    copy = console.locator("#copy-projector").bounding_box()
    assert copy["height"] < 60, f"'Copy' wraps: {copy}"

    organizer = open_page(browser, server.url + "/organizer", viewport=NARROW)
    organizer.get_by_label("Organizer key").fill("not the key")
    organizer.get_by_role("button", name="Sign in").click()
    box = organizer.get_by_label("Organizer key")
    expect(box).to_have_attribute("aria-invalid", "true")
    expect(box).to_have_accessible_description(re.compile("That organizer key is not right"))
    photograph_and_audit(organizer, "organizer-sign-in-error-320", found)
    box.fill(ORGANIZER_KEY)
    organizer.get_by_role("button", name="Sign in").click()
    expect(organizer.get_by_role("heading", name="Every workshop on this server")).to_be_visible()
    organizer.wait_for_load_state("load")  # its stylesheets and scripts, before measuring the layout
    assert no_sideways_scroll(organizer) <= 0, "the organizer list scrolls sideways at 320 px"
    link = organizer.get_by_role("link", name=f"Report for {workshop['code']}")
    assert link.bounding_box()["height"] < 40, "the Report link wraps"
    text = organizer.locator("main").inner_text()
    assert "(quick-connect)" not in text and "UTC" not in text and "Still open" in text
    assert re.search(r"5 people joined, at most \d at once", text), text
    photograph_and_audit(organizer, "organizer-list-320", found)

    console.get_by_role("button", name="End workshop", exact=True).click()
    link.click()
    expect(organizer.get_by_role("heading", level=1)).to_contain_text(workshop["code"])
    organizer.wait_for_load_state("load")  # after its module script has put the times in the reader's zone
    assert no_sideways_scroll(organizer) <= 0, "the report scrolls sideways at 320 px"
    ids = organizer.evaluate("[...document.querySelectorAll('[id]')].map(e => e.id)")
    assert len(ids) == len(set(ids)), f"repeated ids: {sorted(i for i in ids if ids.count(i) > 1)}"
    # The charts' axis labels are drawn in UTC by workshop/chart.py (shared with the PDF); the words are ours.
    report = "\n".join(organizer.locator("main > header, main section > p").all_inner_texts())
    assert "One round was held, with 2 groups." in report, report
    assert "UTC" not in report and re.search(r"Ended at \d", report), report
    photograph_and_audit(organizer, "report-320", found)
    organizer.set_viewport_size(DESKTOP)
    photograph_and_audit(organizer, "report-desktop", found)

    violations = {k: v for k, v in found.items() if v}
    assert not violations, f"axe violations: {violations}"
    assert console.errors == [] and organizer.errors == []


def test_times_on_the_organizer_pages_follow_the_readers_time_zone(server, browser):
    server.create_workshop("quick-connect")
    started = time.time()
    context = browser.new_context(viewport=DESKTOP, timezone_id="Asia/Kolkata", locale="en-GB")
    page = context.new_page()
    page.goto(server.url + "/organizer")
    page.get_by_label("Organizer key").fill(ORGANIZER_KEY)
    page.get_by_role("button", name="Sign in").click()
    first = page.locator("tbody tr").first.locator("time").first
    expect(first).to_have_attribute("datetime", re.compile(r"^\d{4}-"))  # set by the page's module script
    iso = first.get_attribute("datetime")
    shown_at = datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp()
    assert abs(shown_at - started) < 120, f"the page's instant {iso} is not the workshop's start"
    expected = page.evaluate("(iso) => new Intl.DateTimeFormat('en-GB', {dateStyle: 'medium', "
                             "timeStyle: 'short', timeZone: 'Asia/Kolkata'}).format(new Date(iso))", iso)
    expect(first).to_have_text(expected)
