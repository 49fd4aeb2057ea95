"""The attendee's phone in real Chromium, as a screen-reader user, a keyboard user and a glance across a hall.

One server and one Chromium serve every test; each test runs its own workshop of a small agenda written
here, with one phone in the browser and three more people as Socket.IO clients, driven by a facilitator
connection through the same events the console sends. Screens are audited with axe-core at 320x568 in light
and dark (and with `make screenshots` photographed into artifacts/phone-*.png).
"""

from __future__ import annotations

import pytest
import yaml

from .browser_support import (
    BLOCKING,
    CHROMIUM,
    HEAR,
    SHARED,
    Snapshot,
    axe_violations,
    describe,
    expect,
    focused,
    launched,
    list_names,
    photograph,
    tab_to,
)
from .samples import QUESTIONS
from .support import Server, attendee, facilitator

pytestmark = [pytest.mark.browser, pytest.mark.spread]  # each test has its own room

SMALL = {"width": 320, "height": 568}
OTHERS = ["Ben", "Eli", "Sam"]
MESSAGE = "Two minutes left: begin to wrap up gently, and thank each other."
TURNS = [{"speaker": "A", "minutes": 2}, {"speaker": "B", "minutes": 2},
         {"speaker": "both", "minutes": 1, "title": "Reflect together"}]
AGENDA = {
    "title": "Phone check",
    "summary": "A short agenda for the phone's browser tests.",
    "minutes": 20,
    "steps": [
        {"kind": "welcome", "title": "Welcome", "minutes": 2, "text": "Welcome. Keep this page open."},
        {"kind": "agreements", "title": "Three agreements", "minutes": 2, "text": "Tap I agree.",
         "items": ["What is said here stays here.", "You can always pass.", "Listen fully."]},
        {"kind": "pairing", "title": "Meet your partner", "minutes": 1,
         "text": "Find the person your phone shows."},
        {"kind": "round", "title": "Round 1: Arriving", "text": "Let A begin.", "draw": True,
         "prompts": ["What brought you here today?", "What made you smile this week?",
                     "What are you looking forward to?"],
         "turns": TURNS, "reflection": "What is one thing you heard that stayed with you?",
         "cues": {"speak": "Say what is true for you right now.", "listen": "Give your full attention.",
                  "both": "Take turns saying what you heard."}},
        {"kind": "round", "title": "Round 2: A little deeper", "pairing": "new", "text": "A new partner.",
         "prompts": ["What are you learning about yourself lately?", "Who made a difference in your life?"],
         "turns": TURNS, "reflection": "What did this conversation bring up for you?"},
        {"kind": "message", "title": "Before you go", "minutes": 1, "text": "Thank your partner."},
        {"kind": "feedback", "title": "Your feedback", "minutes": 3, "text": "Your answers are anonymous.",
         "questions": QUESTIONS},
        {"kind": "closing", "title": "Thank you", "minutes": 1, "text": "Thank you for being here."},
    ],
}
STEP = {step["title"]: index for index, step in enumerate(AGENDA["steps"])}

def phone_server(tmp_path_factory) -> Server:
    """This process's server with the phone-check agenda (phones, hold, languages), started once."""
    def make():
        folder = tmp_path_factory.mktemp("phone")
        agendas = folder / "agendas"
        agendas.mkdir()
        (agendas / "phone-check.yaml").write_text(yaml.safe_dump(AGENDA, allow_unicode=True),
                                                  encoding="utf-8")
        return Server(folder / "phone.db", "--agendas", str(agendas), "--grace", "60")
    return SHARED.server("phone", make)


@pytest.fixture
def server(tmp_path_factory):
    return phone_server(tmp_path_factory)


class Room:
    """A workshop with a facilitator connection, one browser phone (Ana) and three Socket.IO attendees."""

    def __init__(self, server, browser, *, viewport=SMALL, others=OTHERS):
        self.server = server
        self.workshop = server.create_workshop("phone-check")
        self.code = self.workshop["code"]
        self.facilitator = facilitator(server, self.workshop)
        self.errors: list[str] = []
        self.context = browser.new_context(viewport=viewport, has_touch=True, is_mobile=True,
                                           device_scale_factor=2)
        self.page = self.context.new_page()
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))
        self.others = [attendee(server, self.code, name) for name in others]

    def join(self, name="Ana"):
        page = self.page
        page.goto(self.workshop["join_url"])
        page.get_by_label("Your first name").fill(name)
        page.get_by_role("button", name="Join").click()
        expect(page.locator("#view h1")).to_have_text("Welcome")
        return page

    def send(self, event, **payload):
        ack = self.facilitator.send(event, payload)
        assert ack.get("ok"), f"{event}: {ack}"
        return ack

    def go(self, title):
        return self.send("go_to_step", index=STEP[title])

    def everyone_agrees(self):
        for other in self.others:
            assert other.send("agree").get("ok")

    def snapshot(self) -> Snapshot:
        return Snapshot.take(self.server.url, self.code, self.workshop["facilitator_key"])

    def close(self):
        self.context.close()
        for phone in [*self.others, self.facilitator]:
            phone.close()
        assert not self.errors, "\n".join(self.errors)


@pytest.fixture
def room(server, browser):
    made = Room(server, browser)
    yield made
    made.close()


# -- what the phone should say and show, from the server's own state ----------------------------------------


def group_of(snapshot: Snapshot, name: str) -> dict:
    mine = snapshot.group_of(name)
    group = next(g for g in snapshot.groups
                 if any(snapshot.names.get(m) == name for m in g["members"]))
    return {**mine, "number": group["number"], "colour": group["colour"], "id": group["id"]}


def partner_sentence(snapshot, name="Ana"):
    mine = group_of(snapshot, name)
    return f"New partner: {mine['partners'][0][0]}. Pair {mine['number']}, {mine['colour']}."


def role_sentence(snapshot, name="Ana"):
    mine = group_of(snapshot, name)
    phase = snapshot.room["phase"]
    others = [n for n, _ in mine["partners"]]
    if phase["speaker"] is None:
        return "Round complete. Thank each other for what you shared."
    if phase["speaker"] == "both":
        return f"{phase['title']}, with {list_names(others)}."
    if phase["speaker"] == mine["role"]:
        return f"You speak, {list_names(others)} listens."
    talker = next(n for n, r in mine["partners"] if r == phase["speaker"])
    return f"You listen, {talker} speaks."


def turn_sentence(snapshot, name="Ana"):
    phase = snapshot.room["phase"]
    turn = f"Turn {phase['number']} of {phase['count']}. " if phase["speaker"] is not None else ""
    return turn + role_sentence(snapshot, name)


def text_of(sentence) -> str:
    return "a computed sentence" if callable(sentence) else sentence


class Ears:
    """What the page's one live region says, in order, as a screen reader would hear it."""

    def __init__(self, page):
        self.page = page
        page.evaluate(HEAR)
        self.expected: list[str] = []

    def after(self, action, sentence):
        """Do `action`, then hear exactly `sentence` (a callable gets the fresh server state)."""
        count = len(self.expected)
        action()
        try:
            self.page.wait_for_function("(n) => window.__heard.length > n", arg=count, timeout=10_000)
        except Exception as error:
            heard = self.page.evaluate("window.__heard")
            holds = self.page.locator("#announcer").text_content()
            raise AssertionError(f"nothing said for {text_of(sentence)!r}; heard {heard}, "
                                 f"the region holds {holds!r}") from error
        self.page.wait_for_timeout(400)  # time for a second, unwanted sentence to show up
        text = sentence() if callable(sentence) else sentence
        self.expected.append(text)
        heard = self.page.evaluate("window.__heard")
        assert heard == self.expected, f"heard {heard[count:]!r}, expected {text!r}"


def no_sideways_scroll(page, what: str) -> None:
    width, inner = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert width <= inner, f"{what}: the page scrolls sideways ({width} px in {inner} px)"


# The countdown's parts against what they sit on, read from the page's computed colours (WCAG 1.4.11).
COUNTDOWN_CONTRAST = """() => {
  const rgb = (text) => {
    const probe = document.createElement('span');
    probe.style.color = text;
    document.body.append(probe);
    const value = getComputedStyle(probe).color.match(/[\\d.]+/g).slice(0, 3).map(Number);
    probe.remove();
    return value;
  };
  const lum = ([r, g, b]) => [r, g, b].map((c) => c / 255)
    .map((c) => (c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4))
    .reduce((sum, c, i) => sum + c * [0.2126, 0.7152, 0.0722][i], 0);
  const ratio = (a, b) => {
    const [x, y] = [lum(rgb(a)), lum(rgb(b))].sort((m, n) => n - m);
    return (x + 0.05) / (y + 0.05);
  };
  const card = getComputedStyle(document.querySelector('#view .role-card')).backgroundColor;
  const vars = getComputedStyle(document.querySelector('#view .countdown'));
  const v = (name) => vars.getPropertyValue(name).trim();
  const bar = getComputedStyle(document.querySelector('#view .countdown-bar'));
  return {
    'the edge of the track against the card': ratio(bar.borderTopColor, card),
    'the running fill against the track': ratio(v('--fill'), bar.backgroundColor),
    'the paused fill against the track': ratio(v('--paused-fill'), bar.backgroundColor),
    'the PAUSED badge against the card': ratio(v('--paused-bg'), card),
  };
}"""


# Wait for the transitions the new colour scheme started (0.15 s; getAnimations first applies the new styles),
# not for the countdown's fill, which glides on while the turn runs, nor for endless animations (a pulse).
SETTLED = """() => Promise.all(document.getAnimations()
  .filter((move) => move instanceof CSSTransition && move.transitionProperty !== 'width')
  .map((move) => move.finished.catch(() => null)))"""


class Camera:
    """Each screen at 320x568 in light and dark, audited with axe-core (and photographed, when asked)."""

    def __init__(self):
        self.blocking: list[str] = []
        self.taken: list[str] = []
        self.contrasts: dict[str, float] = {}

    def both(self, page, screen: str) -> None:
        for scheme in ("light", "dark"):
            page.emulate_media(color_scheme=scheme)
            page.evaluate(SETTLED)  # past the buttons' colour transitions
            name = f"phone-{screen}-{scheme}"
            photograph(page, name, full_page=False)
            no_sideways_scroll(page, name)
            ids = page.evaluate("[...document.querySelectorAll('[id]')].map(e => e.id)")
            repeated = sorted({i for i in ids if ids.count(i) > 1})
            assert not repeated, f"{name}: ids repeat: {repeated}"
            if page.locator("#view .role-card .countdown").count():
                for what, ratio in page.evaluate(COUNTDOWN_CONTRAST).items():
                    assert ratio >= 3, f"{name}: {what} is {ratio:.2f}:1 (WCAG 1.4.11 asks 3:1)"
                    self.contrasts[f"{name}: {what}"] = round(ratio, 2)
            for violation in axe_violations(page, name):
                line = describe(name, violation)
                print("axe", line)
                if violation["impact"] in BLOCKING or violation["id"] == "color-contrast":
                    self.blocking.append(line)
            self.taken.append(name)
        page.emulate_media(color_scheme="light")


# -- the tests ----------------------------------------------------------------------------------------------


def test_a_screen_reader_hears_one_sentence_per_change_through_two_rounds_feedback_and_the_end(room):
    page = room.join()
    ears = Ears(page)
    ears.after(lambda: room.go("Three agreements"), "Three agreements.")
    agree = page.get_by_role("button", name="I agree")
    ears.after(agree.click, "Thank you. Waiting for the others.")
    room.everyone_agrees()

    ears.after(lambda: room.go("Meet your partner"),
               lambda: f"Meet your partner. {partner_sentence(room.snapshot())}")
    first = group_of(room.snapshot(), "Ana")
    ears.after(lambda: room.go("Round 1: Arriving"),
               lambda: f"Round 1: Arriving. {turn_sentence(room.snapshot())}")
    ears.after(lambda: room.send("start_timer"),
               lambda: f"The turn has started. {role_sentence(room.snapshot())}")
    ears.after(lambda: room.send("pause_timer"), "Paused.")
    ears.after(lambda: room.send("resume_timer"), "Resumed.")
    ears.after(lambda: room.send("extend_timer", seconds=60), "One more minute.")
    ears.after(lambda: room.send("send_message", text=MESSAGE), f"Message from your facilitator: {MESSAGE}")
    # A skip moves to the next turn: the new turn is said, never "Time is up."
    ears.after(lambda: room.send("skip_timer"), lambda: turn_sentence(room.snapshot()))
    ears.after(lambda: room.send("skip_timer"), lambda: turn_sentence(room.snapshot()))
    ears.after(lambda: room.send("skip_timer"), "Round complete. Thank each other for what you shared.")

    ears.after(lambda: room.go("Round 2: A little deeper"),
               lambda: (f"Round 2: A little deeper. {partner_sentence(room.snapshot())} "
                        f"{turn_sentence(room.snapshot())}"))
    second = group_of(room.snapshot(), "Ana")
    assert second["partners"] != first["partners"], "round 2 forms new pairs"
    ears.after(lambda: room.go("Before you go"), "Before you go.")
    ears.after(lambda: room.send("start_timer"), "The timer has started.")
    ears.after(lambda: room.send("skip_timer"), "The timer was stopped.")  # skipped, so time was not up
    ears.after(lambda: room.go("Your feedback"), "Your feedback.")
    ears.after(lambda: room.send("open_feedback"), "The feedback form is open.")
    ears.after(lambda: room.send("close_feedback"), "The feedback form is closed.")
    ears.after(lambda: room.send("end_workshop"), "The workshop has ended.")

    page.wait_for_timeout(1000)
    heard = page.evaluate("window.__heard")
    assert heard == ears.expected
    assert not any("Time is up" in line or "null" in line for line in heard), heard
    print("heard, in order:\n  " + "\n  ".join(heard))


def test_a_keyboard_user_keeps_focus_on_the_control_used_or_on_the_new_screens_heading(room):
    page = room.page
    page.goto(room.workshop["join_url"])
    assert focused(page) == "input:Your first name"
    page.keyboard.type("Ana")
    page.keyboard.press("Enter")
    expect(page.locator("#view h1")).to_have_text("Welcome")
    assert focused(page) == "h1:Welcome", "after Join the first screen's heading has focus"
    expect(page.locator("#me-name")).to_have_text("Ana")

    room.go("Three agreements")
    expect(page.locator("#view h1")).to_have_text("Three agreements")
    assert focused(page) == "h1:Three agreements", "the focused heading went away: the new one takes focus"
    tab_to(page, "button:I agree")
    page.keyboard.press("Enter")
    expect(page.get_by_text("Waiting for the others…")).to_be_visible()
    assert focused(page) == "h1:Three agreements", "the pressed button went away: focus is on the heading"
    room.everyone_agrees()

    room.go("Meet your partner")
    expect(page.locator("#view h1")).to_have_text("Your new partner")
    assert focused(page) == "h1:Your new partner"
    tab_to(page, "button:We have found each other")
    page.keyboard.press("Enter")
    expect(page.locator("#view h1")).to_have_text("Meet your partner")
    assert focused(page) == "h1:Meet your partner"

    room.go("Round 1: Arriving")
    room.send("start_timer")
    expect(page.get_by_role("button", name="We’re done")).to_be_visible()
    tab_to(page, "button:Another question")
    prompt = page.locator(".prompt-text").inner_text()
    page.keyboard.press("Enter")
    expect(page.locator(".prompt-text")).not_to_have_text(prompt)
    assert focused(page) == "button:Another question", "a pressed button stays focused"
    tab_to(page, "input:I need a moment")
    page.keyboard.press("Space")
    expect(page.locator("#moment")).to_be_checked()
    expect(page.get_by_text("Your facilitator knows.")).to_be_visible()
    assert focused(page) == "input:I need a moment"
    page.keyboard.press("Space")
    expect(page.locator("#moment")).not_to_be_checked()
    tab_to(page, "button:We’re done", limit=40)
    page.keyboard.press("Enter")
    expect(page.locator(".done-note")).to_be_visible()
    assert focused(page) == "h1:Round 1: Arriving", "We're done went away: focus is on the heading"
    room.send("skip_timer")
    expect(page.locator(".kicker").first).to_contain_text("Turn 2 of 3")
    expect(page.locator(".done-note")).to_have_count(0)  # a done mark holds for its own turn only
    expect(page.get_by_role("button", name="We’re done")).to_be_visible()
    assert focused(page) == "h1:Round 1: Arriving"

    room.go("Your feedback")
    room.send("open_feedback")
    expect(page.locator("form.feedback-form")).to_be_visible()
    assert focused(page) == "h1:Your feedback"
    tab_to(page, "button:Send my feedback", limit=40)
    page.keyboard.press("Enter")
    first = page.locator("#q0-0")
    assert page.evaluate("document.activeElement.id") == "q0-0", "the first unanswered question takes focus"
    expect(first).to_have_attribute("aria-invalid", "true")
    describedby = first.get_attribute("aria-describedby")
    assert "q0-error" in describedby.split()
    expect(page.locator("#q0-error")).to_have_text("Please answer this question.")
    page.keyboard.press("ArrowRight")  # answers the scale: 2
    expect(page.locator("#q0-1")).to_be_checked()
    expect(page.locator("#q0-error")).to_be_hidden()
    expect(page.locator("#q0-1")).not_to_have_attribute("aria-invalid", "true")
    expect(page.locator("#q1-error")).to_be_visible()  # the other unanswered question keeps its error
    tab_to(page, "input:Too short", limit=10)  # Tab enters the radio group, the arrows choose
    page.keyboard.press("ArrowDown")
    expect(page.locator("#q1-1")).to_be_checked()
    expect(page.locator("#q1-error")).to_be_hidden()
    tab_to(page, "button:Send my feedback", limit=20)
    page.keyboard.press("Enter")
    expect(page.get_by_text("Thank you for your feedback.")).to_be_visible()
    assert focused(page) == "h1:Your feedback"

    room.send("end_workshop")
    expect(page.locator("#view h1")).to_have_text("Thank you")
    assert focused(page) == "h1:Thank you"


def test_the_text_question_is_named_once_and_errors_belong_to_their_fields(room):
    page = room.join()
    room.send("go_to_step", index=STEP["Your feedback"])
    room.send("open_feedback")
    area = page.get_by_role("textbox", name="Anything else?")
    expect(area).to_be_visible()
    assert page.locator("fieldset:has(textarea)").count() == 0, "one label names a textarea, not a legend too"
    tree = page.locator("form.feedback-form").aria_snapshot()
    assert 'group "Anything else?"' not in tree and 'textbox "Anything else?"' in tree, tree
    ids = page.evaluate("[...document.querySelectorAll('[id]')].map(e => e.id)")
    assert len(ids) == len(set(ids)), f"ids repeat: {sorted(i for i in ids if ids.count(i) > 1)}"


def test_every_phone_screen_fits_320_px_in_light_and_dark_with_no_serious_axe_violation(room):
    camera = Camera()
    page = room.page
    page.goto(room.workshop["join_url"])
    camera.both(page, "join")
    page.get_by_label("Your first name").fill("Ana-Sofía Wolkenstein-Raczyńska")
    page.get_by_role("button", name="Join").click()
    expect(page.locator("#view h1")).to_have_text("Welcome")
    expect(page.locator("#view .countdown")).to_have_count(0)  # the welcome's timer is not counting
    camera.both(page, "lobby")
    room.go("Three agreements")
    page.get_by_role("button", name="I agree").click()
    room.everyone_agrees()
    room.go("Round 1: Arriving")  # no pairing step: the round forms the pairs
    expect(page.locator("#view h1")).to_have_text("Your new partner")
    camera.both(page, "new-partner")

    room.send("start_timer")
    expect(page.locator(".screen-round")).to_be_visible()  # the moment folds away once the turn runs
    snapshot = room.snapshot()
    mine = group_of(snapshot, "Ana-Sofía Wolkenstein-Raczyńska")
    expect(page.locator(".pair-badge")).to_have_text(
        f"Pair {mine['number']} · {mine['colour']} · with {mine['partners'][0][0]}")
    room.send("send_message", text=MESSAGE)
    expect(page.locator("#banner")).to_be_visible()
    kinds = []
    for turn in (1, 2):
        role = page.locator(".role-card")
        kinds.append("speaking" if "role-speak" in role.get_attribute("class") else "listening")
        box = page.locator("#view .countdown").bounding_box()
        assert box and box["y"] >= 0 and box["y"] + box["height"] <= SMALL["height"], \
            f"the countdown is below the fold at 320x568 with a message showing: {box}"
        camera.both(page, kinds[-1])
        if turn == 1:
            room.send("skip_timer")
            expect(page.locator(".kicker").first).to_contain_text("Turn 2 of 3")
    assert sorted(kinds) == ["listening", "speaking"], kinds
    room.send("pause_timer")
    expect(page.locator("#view .countdown")).to_have_attribute("data-state", "paused")
    expect(page.locator(".countdown-caption")).to_have_text("Paused")
    camera.both(page, "paused")
    room.send("send_message", text="")

    room.go("Your feedback")
    room.send("open_feedback")
    expect(page.locator("form.feedback-form")).to_be_visible()
    camera.both(page, "feedback")
    room.send("end_workshop")
    expect(page.locator("#view h1")).to_have_text("Thank you")
    expect(page.locator("#view .countdown")).to_have_count(0)
    camera.both(page, "end")
    print("photographed and audited:", ", ".join(camera.taken))
    print("countdown contrasts:", camera.contrasts)
    assert any("paused-dark" in key for key in camera.contrasts), "the paused countdown was measured in dark"
    assert not camera.blocking, "axe violations:\n" + "\n".join(camera.blocking)


def test_a_locked_room_says_so_before_asking_a_name_and_lets_a_returning_phone_back_in(room, browser):
    page = room.join()
    room.send("lock_room", locked=True)
    newcomer = browser.new_context(viewport=SMALL)
    try:
        other = newcomer.new_page()
        other.goto(room.workshop["join_url"])
        expect(other.locator("#view h1")).to_have_text("This workshop is closed to newcomers")
        assert other.get_by_label("Your first name").count() == 0
        other.goto(room.server.url + "/j/ZZZZZZ")
        expect(other.get_by_text("no open workshop", exact=False)).to_be_visible()
        assert other.get_by_label("Your first name").count() == 0
    finally:
        newcomer.close()
    page.reload()
    expect(page.locator("#view h1")).to_have_text("Welcome")
    expect(page.locator("#me-name")).to_have_text("Ana")


def test_the_screen_is_kept_awake_only_while_a_turn_runs(server, driver):
    with launched(driver, executable=CHROMIUM) as chromium:  # the headless shell has no wake lock
        room = Room(server, chromium)
        try:
            page = room.join()
            assert page.evaluate("window.isSecureContext"), "127.0.0.1 is a secure context"
            expect(page.locator("body")).to_have_attribute("data-wake", "released")
            room.go("Three agreements")
            page.get_by_role("button", name="I agree").click()
            room.everyone_agrees()
            room.go("Round 1: Arriving")
            room.send("start_timer")
            expect(page.locator("body")).to_have_attribute("data-wake", "held")
            room.send("pause_timer")
            expect(page.locator("body")).to_have_attribute("data-wake", "released")
            expect(page.locator("#wake-note")).to_be_hidden()
        finally:
            room.close()


def test_over_plain_http_on_a_venue_network_the_phone_says_it_cannot_keep_the_screen_awake(server, driver):
    workshop = server.create_workshop("phone-check")
    boss = facilitator(server, workshop)
    partner = attendee(server, workshop["code"], "Eli")
    # A name that is not loopback makes http insecure, as a laptop's LAN address is for a phone.
    venue = workshop["join_url"].replace("127.0.0.1", "venue.test")
    rule = "--host-resolver-rules=MAP venue.test 127.0.0.1"
    try:
        with launched(driver, rule, executable=CHROMIUM) as chromium:  # as the phone in the wake lock test
            page = chromium.new_page(viewport=SMALL)
            errors = []
            page.on("pageerror", lambda error: errors.append(str(error)))
            page.goto(venue)
            assert not page.evaluate("window.isSecureContext")
            page.get_by_label("Your first name").fill("Ana")
            page.get_by_role("button", name="Join").click()
            expect(page.locator("#view h1")).to_have_text("Welcome")
            expect(page.locator("body")).to_have_attribute("data-wake", "unavailable")
            expect(page.locator("#wake-note")).to_contain_text("cannot keep your screen awake")
            assert boss.send("go_to_step", {"index": STEP["Three agreements"]})["ok"]
            page.get_by_role("button", name="I agree").click()
            assert partner.send("agree")["ok"]
            assert boss.send("go_to_step", {"index": STEP["Round 1: Arriving"]})["ok"]
            assert boss.send("start_timer", {})["ok"]
            expect(page.locator(".screen-round")).to_be_visible()
            expect(page.locator("#view .countdown")).to_have_attribute("data-state", "running")
            assert not errors, errors
    finally:
        partner.close()
        boss.close()
