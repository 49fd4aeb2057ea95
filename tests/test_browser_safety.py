"""Hostile names and answers, shown in the real browser: always as text, never as markup."""

import pytest
import requests

from .support import attendee, facilitator

pytestmark = pytest.mark.browser

HOSTILE = [
    '<img src=x onerror="window.__pwned=1">',
    "<script>window.__pwned=1</script>",
    '"><svg onload="window.__pwned=1">',
]
ORGANIZER = "organizer-key-for-tests"


def visit(browser, url: str):
    """Open a page that records dialogs and script errors."""
    page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    page.alarms = []
    page.on("dialog", lambda dialog: (page.alarms.append(dialog.message), dialog.dismiss()))
    page.on("pageerror", lambda error: page.alarms.append(str(error)))
    page.goto(url)
    return page


def assert_inert(page, texts):
    for text in texts:
        page.get_by_text(text, exact=False).first.wait_for(timeout=10_000)
    assert page.evaluate("window.__pwned") is None, "a payload ran"
    # The one inline script is the page's translation catalog, JSON that never runs (escaped by tojson).
    assert page.locator("script#i18n-catalog[type='application/json']").count() == 1
    markup = page.locator("img[src='x'], svg[onload], script:not([src]):not(#i18n-catalog)")
    assert markup.count() == 0, "a payload became markup"
    assert page.alarms == []


def test_hostile_names_and_answers_stay_text_on_every_page(server, browser):
    workshop = server.create_workshop("quick-connect")
    console = facilitator(server, workshop)
    phones = [attendee(server, workshop["code"], name[:40]) for name in HOSTILE]
    viewer = attendee(server, workshop["code"], "Viewer")
    for phone in [*phones, viewer]:
        phone.send("agree")
    names = [name[:40] for name in HOSTILE]

    page = visit(browser, workshop["console_url"])
    assert_inert(page, names)

    steps = console.latest("console")["agenda"]["steps"]
    console.send("go_to_step", {"index": next(s["index"] for s in steps if s["kind"] == "round")})
    partner = viewer.wait_for(lambda p: p.latest("you")["group"], "a partner")["members"]
    other = next(m["name"] for m in partner if m["id"] != viewer.id)
    attendee_page = visit(browser, f"{server.url}/j/{workshop['code']}")
    attendee_page.evaluate("([code, token]) => localStorage.setItem('h2h:' + code, token)",
                           [workshop["code"], viewer.token])
    attendee_page.reload()
    assert_inert(attendee_page, [other])

    console.send("open_feedback")
    for phone, text in zip(phones, HOSTILE, strict=True):
        questions = phone.wait_for(lambda p: p.latest("room")["step"].get("questions"), "the form")
        answers = {q["id"]: text for q in questions if q["type"] == "text"}
        answers.update({q["id"]: 3 for q in questions if q["type"] == "scale"})
        answers.update({q["id"]: q["options"][0] for q in questions if q["type"] == "single"})
        assert phone.send("send_feedback", {"answers": answers}) == {"ok": True}
    for extra in range(2):
        late = attendee(server, workshop["code"], f"Quiet {extra}")
        late.send("agree")
        late.send("send_feedback", {"answers": {q["id"]: 4 for q in questions if q["type"] == "scale"}
                                    | {q["id"]: q["options"][0] for q in questions if q["type"] == "single"}})
    console.send("close_feedback")

    report = visit(browser, server.url + "/organizer")
    report.fill("#organizer-key", ORGANIZER)
    report.get_by_role("button", name="Sign in").click()
    report.goto(f"{server.url}/reports/{workshop['code']}")
    assert_inert(report, HOSTILE)
    assert requests.get(f"{server.url}/reports/{workshop['code']}").status_code == 403
