"""A running turn holds, in real Chromium: a late joiner and a leaver mid-turn change no other phone.

Four phones are in pairs and talking; a fifth joins mid-turn and someone is removed mid-turn. Every other
phone's role, partner and countdown are read before and after; the late joiner's waiting screen and the
partner-left screen are audited with axe-core at 320x568 in light and dark (`make screenshots`
photographs them into artifacts/phone-held-*.png); then the facilitator's "Place now" on the console
brings the late joiner in at once as the partner of the one left alone, without changing a letter.
"""

from __future__ import annotations

import re

import pytest

from . import test_browser_phone as phone_tests
from .browser_support import displayed_agrees, expect
from .test_browser_phone import SMALL, Camera, Room

# The phone tests' server, as this module's own fixture.
server = phone_tests.server

pytestmark = pytest.mark.browser

PHONE_NAMES = ["Ana", "Ben", "Eli", "Sam"]
DIGITS = "#view .role-card .countdown-digits"


def new_phone(room, name):
    """Join in a fresh browser context (its own token), as a person with their own phone does."""
    context = room.context.browser.new_context(viewport=SMALL, has_touch=True, is_mobile=True,
                                               device_scale_factor=2)
    page = context.new_page()
    page.on("pageerror", lambda error: room.errors.append(f"{name}: {error}"))
    page.goto(room.workshop["join_url"])
    page.get_by_label("Your first name").fill(name)
    page.get_by_role("button", name="Join").click()
    return context, page


def conversation(page) -> dict:
    """What a phone in a turn shows of its conversation: role, partner, pair and the line under them."""
    view = page.locator("#view")
    return {
        "role": view.locator(".role-heading").text_content(),
        "partner": view.locator(".role-partner").text_content(),
        "with": view.locator(".with-line").text_content(),
        "pair": view.locator(".pair-badge").text_content(),
    }


def test_a_late_joiner_and_a_leaver_mid_turn_leave_every_other_phone_as_it_was(server, browser):
    room = Room(server, browser, others=[])
    contexts, phones, camera = [], {}, Camera()
    try:
        for name in PHONE_NAMES:
            context, page = new_phone(room, name)
            contexts.append(context)
            phones[name] = page
            expect(page.locator("#view h1")).to_have_text("Welcome")
        room.go("Three agreements")
        for page in phones.values():
            page.get_by_role("button", name="I agree").click()
        for page in phones.values():
            expect(page.locator("#view")).to_contain_text("Waiting for the others")
        room.go("Round 1: Arriving")
        for page in phones.values():
            button = page.get_by_role("button", name="We have found each other")
            button.click()
        room.send("start_timer")
        for page in phones.values():
            expect(page.locator(DIGITS)).to_be_visible()
        before = {name: conversation(page) for name, page in phones.items()}
        deadline = room.snapshot().deadline

        # A late joiner: agrees mid-turn and waits; nobody else's screen moves.
        context, zoe = new_phone(room, "Zoe")
        contexts.append(context)
        zoe.get_by_role("button", name="I agree").click()
        expect(zoe.locator("#view .held-title")).to_have_text("Welcome. A conversation is under way.")
        line = zoe.locator("#view .held-line").text_content()
        assert re.fullmatch(r"You'll join a pair when the next turn starts, in about 2 minutes\. "
                            r"Take a slow breath meanwhile\.", line), line
        camera.both(zoe, "held-new")
        assert room.snapshot().deadline == deadline, "the turn's deadline moved"
        for name, page in phones.items():
            assert conversation(page) == before[name], f"{name}'s phone changed when Zoe joined"
            agrees, why = displayed_agrees(page, DIGITS, deadline)
            assert agrees, why

        # A leaver: Sam is removed; Sam's partner stays with their letter and is told kindly.
        snapshot = room.snapshot()
        sams_group = next(g for g in snapshot.groups
                          if "Sam" in [snapshot.names.get(m) for m in g["members"]])
        partner = next(snapshot.names[m] for m in sams_group["members"] if snapshot.names.get(m) != "Sam")
        sam_id = next(i for i, n in snapshot.names.items() if n == "Sam")
        room.send("remove_attendee", attendee_id=sam_id)
        left = phones[partner]
        expect(left.locator("#view .held-title")).to_have_text("Sam had to step away.")
        assert "You'll be placed with someone when the next turn starts, in about" in \
            left.locator("#view .held-line").text_content()
        camera.both(left, "held-partner-left")
        untouched = [n for n in PHONE_NAMES if n not in ("Sam", partner)]
        for name in untouched:
            assert conversation(phones[name]) == before[name], f"{name}'s phone changed when Sam left"
            agrees, why = displayed_agrees(phones[name], DIGITS, deadline)
            assert agrees, why
        after = room.snapshot()
        assert after.deadline == deadline
        letter = next(r for m, r in zip(sams_group["members"], sams_group["roles"], strict=True)
                      if snapshot.names.get(m) == partner)
        assert after.group_of(partner) == {"role": letter, "prompt": sams_group["prompt"], "size": 1,
                                           "partners": []}

        # The console lists both, with why, and "Place now" brings Zoe in beside the one alone.
        console = room.context.browser.new_page(viewport={"width": 1280, "height": 900})
        contexts.append(console)
        console.goto(room.workshop["console_url"])
        held = console.locator("#held-list")
        expect(held.locator("li")).to_have_count(2)
        expect(held).to_contain_text("joined during a turn")
        expect(held).to_contain_text("Sam left")
        held.get_by_role("button", name="Place Zoe now").click()
        expect(held.locator("li")).to_have_count(0)
        # The turn runs, so the new-partner moment folds into the pair badge, never over the countdown.
        expect(zoe.locator("#view .pair-badge")).to_contain_text(f"with {partner}")
        expect(left.locator("#view .pair-badge")).to_contain_text("with Zoe")
        camera.both(left, "placed-now")
        placed = room.snapshot()
        assert placed.group_of(partner)["role"] == letter, "the one left alone kept their letter"
        assert placed.group_of("Zoe")["role"] == ("B" if letter == "A" else "A")
        for name in untouched:
            assert conversation(phones[name]) == before[name], f"{name}'s phone changed on Place now"
        assert placed.deadline == deadline
        assert not camera.blocking, "\n".join(camera.blocking)
        print("screens", camera.taken)
    finally:
        for context in contexts:
            context.close()
        room.close()
