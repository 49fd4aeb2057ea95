"""Markup typed as a name or an answer comes back as text on every page the server renders."""

from __future__ import annotations

from urllib.parse import quote

from .in_process import ORGANIZER_KEY, attendee, create_workshop, facilitator

SCRIPTS = ["<script>alert(1)</script>", '"><img src=x onerror=alert(1)>']
URL_SAFE = "!#$%&'()*+,/:;=?@[]~"  # what a browser or requests leaves unquoted in a path


def test_names_and_answers_with_markup_are_escaped_on_every_page(app, client):
    workshop = create_workshop(client)
    console = facilitator(app, workshop)
    phones = [attendee(app, workshop["code"], SCRIPTS[i % 2][:40]) for i in range(5)]
    assert phones[0].latest("you")["attendee"]["name"] == SCRIPTS[0]
    for phone in phones:
        phone.send("agree")
    assert console.send("open_feedback")["ok"]
    for i, phone in enumerate(phones):
        answers = {"overall": 4, "listened_to": 5, "pace": "About right", "anything_else": SCRIPTS[i % 2]}
        assert phone.send("send_feedback", {"answers": answers}) == {"ok": True}
    assert console.send("close_feedback")["ok"]
    organizer = app.test_client()
    organizer.post("/organizer", data={"key": ORGANIZER_KEY})
    code = workshop["code"]
    pages = {path: organizer.get(quote(path, safe=URL_SAFE)) for path in (
        f"/reports/{code}", "/organizer", f"/facilitate/{code}", f"/j/{code}",
        "/join?code=%3Cscript%3E", f"/j/{SCRIPTS[1]}", f"/reports/{SCRIPTS[0]}")}
    assert pages[f"/reports/{code}"].status_code == 200
    report = pages[f"/reports/{code}"].get_data(as_text=True)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in report  # the answers are there
    for path, page in pages.items():
        for script in SCRIPTS:
            assert script not in page.get_data(as_text=True), path
