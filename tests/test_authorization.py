"""Who may do what: each role's commands, each room's key, the organizer's pages, in the test's process."""

from __future__ import annotations

from .checks import (
    ATTENDEE_COMMANDS,
    FACILITATOR_COMMANDS,
    assert_consistent,
    assert_plain_ack,
    fingerprint,
    valid_commands,
)
from .in_process import Socket, create_workshop, join, make_app, populated, snapshot


def test_an_attendee_connection_can_run_no_facilitator_command(app):
    workshop, console, phones = populated(app, 5, "Auth")
    before = snapshot(app, workshop)
    commands = valid_commands(before)
    assert set(commands) == set(FACILITATOR_COMMANDS)
    for event, data in commands.items():
        reply = phones[1].send(event, data)
        assert reply["ok"] is False and reply["code"] == "forbidden", (event, reply)
        assert reply["error"] == "Only the facilitator can do that."
    assert fingerprint(snapshot(app, workshop)) == fingerprint(before)


def test_another_rooms_facilitator_cannot_touch_this_room(app):
    mine, my_console, my_phones = populated(app, 5, "Mine")
    theirs, their_console, _ = populated(app, 2, "Theirs", to_round=False)
    before = snapshot(app, mine)
    seq = my_phones[0].latest("room")["seq"]
    for event, data in valid_commands(before).items():  # my ids and groups, sent on their connection
        assert_plain_ack(their_console.send(event, data), event)
    after = snapshot(app, mine)
    assert fingerprint(after) == fingerprint(before)
    assert my_phones[0].latest("room")["seq"] == seq
    assert all(p.connected for p in my_phones)
    # Their key opens their room only, and a key is checked against the code it comes with.
    for auth, refusal in (({"role": "facilitator", "code": mine["code"], "key": theirs["facilitator_key"]},
                           "wrong_key"),
                          ({"role": "attendee", "code": create_workshop(app.test_client())["code"],
                            "token": my_phones[0].token},
                           "unknown_attendee")):
        wrong = Socket(app, auth)
        assert not wrong.connected
        assert wrong.refused["data"]["code"] == refusal


def test_a_wrong_facilitator_key_is_refused_with_a_sentence(app, client):
    workshop = create_workshop(client)
    console = Socket(app, {"role": "facilitator", "code": workshop["code"], "key": "x" * 32})
    assert not console.connected
    assert console.refused["data"]["code"] == "wrong_key"
    assert "not valid" in console.refused["message"]


def test_a_facilitator_connection_cannot_send_attendee_commands(app):
    workshop, console, phones = populated(app, 2, "Fac")
    before = fingerprint(snapshot(app, workshop))
    for event in ATTENDEE_COMMANDS:
        if event == "sync_clock":
            continue
        reply = console.send(event, {"needed": True, "answers": {"overall": 5}})
        assert reply["ok"] is False and reply["code"] == "forbidden", (event, reply)
    assert fingerprint(snapshot(app, workshop)) == before


def test_organizer_pages_and_downloads_need_the_secret(app):
    workshop, console, _ = populated(app, 2, "Org", to_round=False)
    other = create_workshop(app.test_client())
    code = workshop["code"]
    browser = app.test_client()
    sign_in = browser.get("/organizer")
    assert sign_in.status_code == 200 and code not in sign_in.get_data(as_text=True)
    wrong = browser.post("/organizer", data={"key": "not-the-key"})
    assert wrong.status_code == 403 and code not in wrong.get_data(as_text=True)
    assert browser.get(f"/reports/{code}").status_code == 403
    for ext in ("csv", "xlsx", "pdf"):
        assert browser.get(f"/reports/{code}.{ext}").status_code == 403, ext
    unlock = f"/reports/{code}/unlock"
    for body in ({"key": "x" * 32}, {"key": None}, {"key": ["x"]}, {}, []):
        answer = browser.post(unlock, json=body)
        assert answer.status_code == 403 and answer.get_json()["code"] == "wrong_key", body
    assert browser.post(unlock, data="{", content_type="application/json").status_code == 403
    # The shared link's key opens that one report, and no other.
    key = console.latest("console")["report_url"].split("#key=", 1)[1]
    assert browser.post(unlock, json={"key": key}).get_json() == {"ok": True}
    assert browser.get(f"/reports/{code}").status_code == 200
    assert browser.get(f"/reports/{code}.csv").status_code == 200
    assert browser.get(f"/reports/{other['code']}").status_code == 403
    assert browser.post(f"/reports/{other['code']}/unlock", json={"key": key}).status_code == 403
    assert browser.get("/organizer").status_code == 200
    assert other["code"] not in browser.get("/organizer").get_data(as_text=True)


def test_a_report_key_with_a_lone_surrogate_is_refused_plainly(app, client):
    workshop = create_workshop(client)
    answer = client.post(f"/reports/{workshop['code']}/unlock", data='{"key": "\\ud800"}',
                         content_type="application/json")
    assert answer.status_code == 403 and answer.get_json()["code"] == "wrong_key"


def test_a_removed_attendee_cannot_come_back_with_the_same_token(app):
    workshop, console, phones = populated(app, 3, "Gone")
    ana = phones[0]
    assert console.send("remove_attendee", {"attendee_id": ana.id}) == {"ok": True}
    ana.sees(lambda p: p.latest("removed"), "removed")
    assert not ana.connected
    again = Socket(app, {"role": "attendee", "code": workshop["code"], "token": ana.token})
    assert not again.connected
    assert again.refused["data"]["code"] == "removed"
    assert again.refused["message"]
    view = snapshot(app, workshop)
    assert next(a for a in view["attendees"] if a["id"] == ana.id)["status"] == "removed"
    assert all(ana.id not in g["members"] for g in view["groups"])
    assert_consistent(view)


def test_a_full_room_says_so(tmp_path):
    app = make_app(tmp_path, MAX_ATTENDEES=3)
    client = app.test_client()
    workshop = create_workshop(client)
    for name in ("Ana", "Ben", "Cy"):
        join(client, workshop["code"], name)
    full = client.post("/api/join", json={"code": workshop["code"], "name": "Dee"})
    assert full.status_code == 409
    assert full.get_json()["code"] == "room_full" and "full" in full.get_json()["error"]
    assert len(snapshot(app, workshop)["attendees"]) == 3

