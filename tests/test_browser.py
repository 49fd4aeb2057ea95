"""A whole Quick Connect workshop in real browsers: a facilitator on a laptop, five phones, an organizer.

The tests run in order and share one server, one Chromium and one room: each is a chapter of the same
journey, and a chapter after a failed one is skipped (the first failure is the one to read). Screens are
audited with axe-core at phone and desktop sizes (and with `make screenshots` photographed into
artifacts/browser-*.png); the last test fails on any serious or critical violation found on the way.
"""

from __future__ import annotations

import csv
import functools
import io
import re
import time
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlsplit

import openpyxl
import pypdf
import pytest

from .browser_support import (
    CONSOLE_DIGITS,
    DESKTOP,
    PHONE_DIGITS,
    SHARED,
    Audit,
    Snapshot,
    displayed_agrees,
    expect,
    flip_deadline,
    list_names,
    record_flips,
    require_browser,
)
from .support import Server

pytestmark = pytest.mark.browser

ORGANIZER_KEY = "organizer-key-for-tests"
# A turn of 2 minutes lasts 30 s: long enough to reload a phone and keep another offline for 10 s in one turn.
TIME_SCALE = 0.25
NAMES = ["Ana", "Bilal", "Chloé", "Dmitri", "Ewa"]
BY_TYPED_CODE = {0, 2, 4}  # the others open the QR code's join link
DEVICES = ["iPhone 13", "Pixel 7"]  # alternating
MESSAGE = "Two minutes left: begin to wrap up gently."
PACE = ["Too rushed", "About right", "Too slow"]
SCREENS = {  # every screen audited, at both sizes
    "home", "join", "attendee-name", "attendee-welcome", "attendee-agreements", "attendee-agreed",
    "attendee-pairing", "attendee-round", "attendee-round-message", "attendee-feedback", "attendee-thanks",
    "console-empty", "console-people", "console-round", "console-feedback",
    "organizer-sign-in", "organizer-list", "report",
}


# -- the shared journey -------------------------------------------------------------------------------------


@dataclass
class Journey:
    playwright: object
    browser: object
    server: Server
    audit: Audit
    console: object = None
    code: str = ""
    key: str = ""
    join_url: str = ""
    phones: list = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    broken: str | None = None

    def snapshot(self) -> Snapshot:
        return Snapshot.take(self.server.url, self.code, self.key)

    def watch(self, page, label: str):
        page.on("pageerror", lambda error: self.errors.append(f"{label}: {error}"))
        page.on("dialog", lambda dialog: dialog.accept())  # the console confirms "Close feedback"
        return page

    def named_phones(self):
        return list(zip(NAMES, self.phones, strict=True))

    def everyone(self):
        """Every phone and the console, with the selector of its countdown."""
        return [(name, page, PHONE_DIGITS) for name, page in self.named_phones()] + [
            ("console", self.console, CONSOLE_DIGITS)]


def chapter(test):
    """Skip a chapter once an earlier one failed, so that the first failure is the one reported."""
    @functools.wraps(test)
    def run(journey, *args, **kwargs):
        if journey.broken:
            pytest.skip(f"an earlier chapter failed: {journey.broken}")
        try:
            return test(journey, *args, **kwargs)
        except BaseException:
            journey.broken = test.__name__
            raise
    return run


@pytest.fixture(scope="module")
def live_server(tmp_path_factory):
    require_browser()
    running = Server(tmp_path_factory.mktemp("browser") / "browser.db",
                     "--time-scale", str(TIME_SCALE), "--grace", "60").start()
    yield running
    running.stop()


@pytest.fixture(scope="module")
def audit():
    return Audit()


@pytest.fixture(scope="module")
def journey(live_server, audit):
    with SHARED.browser() as browser:
        yield Journey(SHARED.playwright(), browser, live_server, audit)


# -- what a phone should show ------------------------------------------------------------------------------


def expected_round(snapshot: Snapshot, name: str) -> dict:
    """What `name`'s phone shows in the current turn: partners, role, cue, prompt, turn."""
    mine = snapshot.group_of(name)
    room = snapshot.room
    phase, cues = room["phase"], room["step"]["cues"]
    speaker = phase["speaker"]
    if speaker is None:
        heading, cue = "Round complete", "Thank each other for what you shared."
    elif speaker == "both":
        heading, cue = phase["title"], cues["both"]
    elif speaker == "C" and mine["size"] == 2:  # a pair talks freely while the triad's C speaks
        heading, cue = phase["pair_title"], cues["both"]
    elif speaker == mine["role"]:
        heading, cue = "You speak", cues["speak"]
    else:
        talker = next(n for n, r in mine["partners"] if r == speaker)
        heading, cue = f"You listen, {talker} speaks", cues["listen"]
    partners = list_names([f"{n} ({r})" for n, r in mine["partners"]])
    turn = f" · Turn {phase['number']} of {phase['count']}" if speaker else ""
    return {".role-heading": heading, ".role-cue": cue,
            ".with-line": f"With {partners} · you are {mine['role']}",
            ".prompt-text": mine["prompt"],
            ".screen-round > .kicker": f"Round {room['step']['round']}{turn}"}


def shows_its_round(page, snapshot: Snapshot, name: str) -> None:
    for selector, text in expected_round(snapshot, name).items():
        expect(page.locator(selector)).to_have_text(text)


def press(page, label: str) -> None:
    page.get_by_role("button", name=label, exact=True).click()


def countdowns_agree(journey: Journey, pages=None, tolerance_ms: int = 500) -> dict[str, int]:
    """Check that every countdown flips its seconds with the server's deadline; return each one's lag."""
    deadline = journey.snapshot().deadline
    pages = pages or journey.everyone()
    for _, page, selector in pages:
        record_flips(page, selector)
    late = {name: flip_deadline(page) - deadline for name, page, _ in pages}
    print(f"countdown flips vs the server's deadline (ms): {late}")
    for name, ms in late.items():
        assert abs(ms) <= tolerance_ms, f"{name}'s countdown is {ms} ms off the server's deadline: {late}"
    assert max(late.values()) - min(late.values()) <= tolerance_ms, f"countdowns disagree: {late}"
    for name, page, selector in pages:  # the digits on screen and the page's own remaining ms, read at once
        ok, detail = displayed_agrees(page, selector, deadline)
        assert ok, f"{name}: {detail}"
    return late


# -- the chapters -------------------------------------------------------------------------------------------


@chapter
def test_the_facilitator_starts_quick_connect_from_the_home_page(journey):
    url = journey.server.url
    desktop = journey.browser.new_context(viewport=DESKTOP)
    page = journey.watch(desktop.new_page(), "console")
    page.goto(url + "/")
    journey.audit.check(page, "home")
    card = page.locator(".agenda-card").filter(has=page.get_by_role("heading", name="Quick Connect"))
    card.get_by_role("button", name="Start this workshop").click()
    page.wait_for_url(re.compile(r"/facilitate/[A-Z2-9]{6}$"))
    expect(page.locator("#connection")).to_have_text("Connected")
    assert "#key=" not in page.url, "the private key stays off the address bar (projector)"

    journey.console = page
    journey.code = page.locator(".room-code").inner_text().strip()
    expect(page.locator(".join-url a")).to_have_attribute("href", re.compile(r"\?k=[0-9a-f]{20}$"))
    journey.join_url = page.locator(".join-url a").get_attribute("href")
    join_key = journey.join_url.rsplit("?k=", 1)[1]
    assert journey.join_url == f"{url}/j/{journey.code}?k={join_key}"  # the link that skips the code guard
    expect(page.locator("#workshop-title")).to_have_text("Quick Connect")  # from the socket, not the page
    private = page.locator("#private-url").input_value()
    journey.key = parse_qs(urlsplit(private).fragment)["key"][0]
    assert journey.snapshot().room["step"]["title"] == "Welcome"

    qr = page.locator("img.qr")
    expect(qr).to_have_attribute("src", f"/j/{journey.code}/qr.svg?k={join_key}")
    page.wait_for_function("() => { const img = document.querySelector('img.qr'); "
                           "return img.complete && img.naturalWidth > 0; }")
    svg = page.request.get(f"{url}/j/{journey.code}/qr.svg?k={join_key}")
    assert svg.ok and svg.headers["content-type"].startswith("image/svg+xml"), svg.headers
    assert "<svg" in svg.text()
    journey.audit.check(page, "console-empty")


@chapter
def test_five_phones_join_by_typed_code_or_by_the_qr_link_and_give_a_first_name(journey):
    for i, name in enumerate(NAMES):
        phone = journey.browser.new_context(**journey.playwright.devices[DEVICES[i % 2]])
        page = journey.watch(phone.new_page(), name)
        if i in BY_TYPED_CODE:
            page.goto(journey.server.url + "/join")
            if i == 0:
                journey.audit.check(page, "join")
            page.get_by_label("Room code").press_sequentially(journey.code.lower())
            page.get_by_role("button", name="Continue").tap()
            page.wait_for_url(journey.join_url)  # the room was found: its page put the join key in
        else:
            page.goto(journey.join_url)
        name_box = page.get_by_label("Your first name")
        expect(name_box).to_be_visible()
        if i == 0:
            journey.audit.check(page, "attendee-name")
        name_box.press_sequentially(name)
        page.get_by_role("button", name="Join").tap()
        expect(page.locator(".screen-welcome h1")).to_have_text("Welcome")
        journey.phones.append(page)
    journey.audit.check(journey.phones[0], "attendee-welcome")
    expect(journey.console.locator("#people .tag-present")).to_have_count(5)
    journey.audit.check(journey.console, "console-people")


@chapter
def test_everyone_agrees_and_five_people_make_one_triad_and_one_pair(journey):
    console = journey.console
    press(console, "Next step")
    expect(console.locator("#step-title")).to_have_text("Three agreements")
    for page in journey.phones:
        expect(page.get_by_text("What is said here stays here.")).to_be_visible()
    journey.audit.check(journey.phones[0], "attendee-agreements")
    for page in journey.phones:
        page.get_by_role("button", name="I agree").tap()
        expect(page.get_by_text("Waiting for the others…")).to_be_visible()
    journey.audit.check(journey.phones[0], "attendee-agreed")
    expect(console.locator("#people .tag-agreed")).to_have_count(5)

    press(console, "Next step")
    expect(console.locator("#step-title")).to_have_text("Meet your partner")
    expect(console.locator("#board-summary")).to_have_text("2 groups · 1 of three")
    snapshot = journey.snapshot()
    assert sorted(len(g["members"]) for g in snapshot.groups) == [2, 3]
    for name, page in journey.named_phones():  # a full-screen "new partner" moment, then the pairing screen
        mine = snapshot.group_of(name)
        expect(page.locator(".new-partner-names")).to_have_text(list_names([n for n, _ in mine["partners"]]))
        page.get_by_role("button", name="We have found each other").tap()
        expect(page.locator(".partner-names")).to_have_text(list_names([n for n, _ in mine["partners"]]))
    journey.audit.check(journey.phones[0], "attendee-pairing")


@chapter
def test_in_round_one_each_phone_shows_its_partners_role_cue_and_the_groups_prompt(journey):
    console = journey.console
    press(console, "Next step")
    expect(console.locator("#step-title")).to_have_text("Round 1: Arriving")
    for page in journey.phones:
        expect(page.get_by_text("The first turn starts when your facilitator starts")).to_be_visible()
    press(console, "Start")
    expect(console.locator("#timer-state")).to_have_text("Running")
    expect(console.locator("#turn-info")).to_have_text("A speaks, B listens · Turn 1 of 4")
    snapshot = journey.snapshot()
    assert snapshot.room["phase"]["speaker"] == "A"
    for name, page in journey.named_phones():
        shows_its_round(page, snapshot, name)
    speakers = [page for page in journey.phones if page.locator(".role-heading").inner_text() == "You speak"]
    assert len(speakers) == 2, "one speaker per group"


@chapter
def test_every_countdown_agrees_with_the_server_within_half_a_second(journey):
    countdowns_agree(journey)
    journey.audit.check(journey.phones[0], "attendee-round")
    journey.audit.check(journey.console, "console-round")


@chapter
def test_a_reloaded_phone_and_a_phone_offline_for_10_s_come_back_to_the_same_partner_role_and_time(journey):
    console = journey.console
    press(console, "Skip")
    expect(console.locator("#turn-info")).to_have_text("B speaks, A listens · Turn 2 of 4")
    snapshot = journey.snapshot()
    for name, page in journey.named_phones():
        shows_its_round(page, snapshot, name)
    trio = [i for i, n in enumerate(NAMES) if snapshot.group_of(n)["size"] == 3]
    pair = [i for i, n in enumerate(NAMES) if snapshot.group_of(n)["size"] == 2]
    away, reloaded = journey.phones[trio[0]], journey.phones[pair[0]]
    away_name, reloaded_name = NAMES[trio[0]], NAMES[pair[0]]
    steady = [(n, p, s) for n, p, s in journey.everyone() if p not in (away, reloaded)]

    # One phone loses the network for 10 s...
    record_flips(away, PHONE_DIGITS)
    away.context.set_offline(True)
    offline_at = time.monotonic()
    expect(away.locator("#connection")).to_have_text("Reconnecting…")
    expect(away.locator("#connection")).to_be_visible()

    # ...while another reloads: it comes back by itself, with no name to type.
    reloaded.reload()
    shows_its_round(reloaded, snapshot, reloaded_name)
    assert reloaded.locator("#name").count() == 0
    countdowns_agree(journey, [(reloaded_name, reloaded, PHONE_DIGITS), *steady], tolerance_ms=1000)

    away_row = console.locator("#people .person").filter(has_text=away_name)
    expect(away_row.locator(".tag").first).to_have_text("Away")  # the facilitator sees who dropped out
    time.sleep(max(0.0, 10 - (time.monotonic() - offline_at)))  # the specified 10 s offline
    kept_counting = away.evaluate("window.__flips.length")
    assert kept_counting >= 7, f"the offline phone's countdown stood still ({kept_counting} changes in 10 s)"
    away.context.set_offline(False)
    online_at = time.monotonic()
    expect(away.locator("#connection")).to_be_hidden(timeout=20_000)
    print(f"the offline phone reconnected {time.monotonic() - online_at:.1f} s after the network came back")
    assert away.locator("#name").count() == 0
    shows_its_round(away, snapshot, away_name)
    countdowns_agree(journey, [(away_name, away, PHONE_DIGITS), (reloaded_name, reloaded, PHONE_DIGITS),
                               *steady], tolerance_ms=1000)
    expect(away_row.locator(".tag").first).to_have_text("Here")
    assert journey.snapshot().statuses == dict.fromkeys(NAMES, "present")


@chapter
def test_a_message_from_the_console_shows_on_every_phone(journey):
    # Sent while turn B runs on: the next chapter waits for its end anyway (a message outlives a turn).
    console = journey.console
    console.get_by_label("Message shown on every phone").fill(MESSAGE)
    console.locator("#message-form").get_by_role("button", name="Send", exact=True).click()
    expect(console.locator("#message-current")).to_have_text(f"Showing on every phone: “{MESSAGE}”")
    for page in journey.phones:
        expect(page.locator("#banner")).to_be_visible()
        expect(page.locator("#banner-text")).to_have_text(MESSAGE)
    journey.audit.check(journey.phones[0], "attendee-round-message")
    press(console, "Clear")
    for page in journey.phones:
        expect(page.locator("#banner")).to_be_hidden()


@chapter
def test_a_turn_that_runs_out_moves_every_phone_on_and_the_triads_c_speaks(journey):
    console = journey.console
    # Nobody presses Skip: the server ends turn B at its deadline.
    expect(console.locator("#turn-info")).to_have_text("C speaks, A and B listen · Turn 3 of 4",
                                                       timeout=40_000)
    snapshot = journey.snapshot()
    assert snapshot.room["phase"]["speaker"] == "C"
    for name, page in journey.named_phones():
        shows_its_round(page, snapshot, name)
    c = next(i for i, n in enumerate(NAMES) if snapshot.group_of(n)["role"] == "C")
    expect(journey.phones[c].locator(".role-heading")).to_have_text("You speak")


@chapter
def test_the_console_skips_to_the_reflection_and_the_end_of_round_one(journey):
    console = journey.console
    press(console, "Skip")
    expect(console.locator("#turn-info")).to_have_text("Reflect together · Turn 4 of 4")
    snapshot = journey.snapshot()
    for name, page in journey.named_phones():
        shows_its_round(page, snapshot, name)
        expect(page.locator(".reflection-text")).to_have_text(
            "What is one thing you heard that stayed with you?")
    press(console, "Skip")
    expect(console.locator("#turn-info")).to_have_text("Round complete")
    for page in journey.phones:
        expect(page.locator(".role-heading")).to_have_text("Round complete")


@chapter
def test_round_two_forms_new_groups_and_every_phone_follows_the_console(journey):
    console = journey.console
    press(console, "Next step")
    expect(console.locator("#step-title")).to_have_text("Round 2: A little deeper")
    press(console, "Start")
    expect(console.locator("#timer-state")).to_have_text("Running")
    expect(console.locator("#turn-info")).to_have_text("A speaks, B listens · Turn 1 of 4")
    snapshot = journey.snapshot()
    assert sorted(len(g["members"]) for g in snapshot.groups) == [2, 3]
    for name, page in journey.named_phones():
        shows_its_round(page, snapshot, name)
    countdowns_agree(journey)
    for turn in ("B speaks, A listens · Turn 2 of 4", "C speaks, A and B listen · Turn 3 of 4",
                 "Reflect together · Turn 4 of 4", "Round complete"):
        press(console, "Skip")
        expect(console.locator("#turn-info")).to_have_text(turn)
        snapshot = journey.snapshot()
        for name, page in journey.named_phones():
            shows_its_round(page, snapshot, name)


@chapter
def test_every_phone_answers_the_feedback_and_sees_the_thank_you(journey):
    console = journey.console
    press(console, "Next step")
    expect(console.locator("#step-title")).to_have_text("Before you go")
    press(console, "Open feedback")
    expect(console.locator("#step-title")).to_have_text("Your feedback")
    for page in journey.phones:
        expect(page.locator("form.feedback-form")).to_be_visible()
    journey.audit.check(journey.phones[0], "attendee-feedback")
    for i, page in enumerate(journey.phones):
        page.locator(f"label[for='q0-{i % 5}']").tap()
        page.locator(f"label[for='q1-{(i + 2) % 5}']").tap()
        page.locator("fieldset.question").nth(2).get_by_text(PACE[i % 3], exact=True).tap()
        page.get_by_label("Anything else you would like to tell us?").fill(f"Thank you from phone {i + 1} 🌿")
        page.get_by_role("button", name="Send my feedback").tap()
        expect(page.get_by_text("Thank you for your feedback.")).to_be_visible()
    expect(console.locator("#feedback-count")).to_have_text("5")
    journey.audit.check(journey.phones[0], "attendee-thanks")
    journey.audit.check(console, "console-feedback")
    press(console, "Close feedback")  # confirmed by the dialog handler
    expect(console.locator("#feedback-state")).to_contain_text("Closed")
    for page in journey.phones:
        expect(page.get_by_text("Thank you for your feedback.")).to_be_visible()


@chapter
def test_the_organizer_signs_in_and_downloads_csv_xlsx_and_pdf_with_five_responses(journey):
    page = journey.watch(journey.browser.new_context(viewport=DESKTOP).new_page(), "organizer")
    page.goto(journey.server.url + "/organizer")
    journey.audit.check(page, "organizer-sign-in")
    page.get_by_label("Organizer key").fill(ORGANIZER_KEY)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Every workshop on this server")).to_be_visible()
    journey.audit.check(page, "organizer-list")
    page.get_by_role("link", name=f"Report for {journey.code}").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(journey.code)
    expect(page.locator("#feedback-heading + p")).to_have_text("5 responses.")
    journey.audit.check(page, "report")

    files = {}
    for ext, label in (("csv", "Download CSV"), ("xlsx", "Download Excel (XLSX)"), ("pdf", "Download PDF")):
        with page.expect_download() as started:
            page.get_by_role("link", name=label).click()
        download = started.value
        assert download.suggested_filename.endswith(f".{ext}"), download.suggested_filename
        files[ext] = open(download.path(), "rb").read()  # noqa: SIM115

    # The workshop's details, a blank row, then the answers.
    lines = list(csv.reader(io.StringIO(files["csv"].decode("utf-8-sig"))))
    details, rows = lines[:lines.index([])], lines[lines.index([]) + 1:]
    assert ["Code", journey.code] in details, details
    assert len(rows) == 1 + 5, rows
    assert sorted(cell for row in rows for cell in row if cell.startswith("Thank you from phone")) == [
        f"Thank you from phone {i} 🌿" for i in range(1, 6)]
    book = openpyxl.load_workbook(io.BytesIO(files["xlsx"]))
    assert book["Responses"].max_row == 1 + 5
    text = "".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(files["pdf"])).pages)
    assert "5 responses" in text, text[:500]


def test_no_screen_has_serious_or_critical_accessibility_violations_at_phone_or_desktop_size(journey, audit):
    print(audit.how)
    assert not audit.blocking, "serious or critical axe violations:\n" + "\n".join(audit.blocking)
    if journey.broken:
        pytest.skip(f"not every screen was reached: {journey.broken} failed")
    wanted = {f"{screen}-{size}" for screen in SCREENS for size in ("phone", "desktop")}
    assert not wanted - set(audit.screens), f"screens not audited: {sorted(wanted - set(audit.screens))}"


def test_no_page_threw_an_uncaught_error(journey):
    assert not journey.errors, "\n".join(journey.errors)
