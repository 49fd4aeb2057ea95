"""A room through Socket.IO, in process: shared deadlines, reconnection, commands and their reach."""

from __future__ import annotations

from .in_process import Socket, attendee, create_workshop, facilitator, go_to


def in_a_round(app, names):
    """Start quick-connect, let everyone join and agree, and move the room to its first round."""
    workshop = create_workshop(app.test_client(), "quick-connect")
    console = facilitator(app, workshop)
    phones = [attendee(app, workshop["code"], name) for name in names]
    for phone in phones:
        assert phone.send("agree") == {"ok": True}
    go_to(console, "round")
    return workshop, console, phones


def test_attendees_see_the_same_step_and_deadline(app):
    workshop, console, phones = in_a_round(app, ("Ana", "Ben", "Chloé", "Dev"))
    assert console.send("start_timer") == {"ok": True}
    deadlines = [phone.sees(lambda p: (p.latest("room")["timer"] or {}).get("deadline"), "deadline")
                 for phone in phones]
    assert len(set(deadlines)) == 1
    for phone in phones:
        you = phone.latest("you")
        assert you["group"] is not None
        assert len(you["group"]["members"]) == 2
        assert you["group"]["prompt"]


def test_reconnecting_with_the_token_restores_the_same_attendee(app, client):
    workshop = create_workshop(client)
    ana = attendee(app, workshop["code"], "Ana")
    ana.close()
    again = Socket(app, {"role": "attendee", "code": workshop["code"], "token": ana.token})
    again.sees(lambda p: p.latest("you"), "the attendee's view")
    assert again.latest("you")["attendee"]["id"] == ana.id
    assert again.latest("you")["attendee"]["name"] == "Ana"


def test_the_newest_connection_for_a_token_wins(app, client):
    workshop = create_workshop(client)
    first = attendee(app, workshop["code"], "Ana")
    second = Socket(app, {"role": "attendee", "code": workshop["code"], "token": first.token})
    second.sees(lambda p: p.latest("you"), "the attendee's view")
    first.sees(lambda p: p.latest("replaced"), "replaced")
    assert not first.connected
    assert second.send("sync_clock")["ok"]


def test_bad_payloads_get_plain_errors_and_change_nothing(app, client):
    workshop = create_workshop(client)
    console = facilitator(app, workshop)
    for event, data in [("go_to_step", {"index": "2"}), ("go_to_step", {"index": 999}),
                        ("extend_timer", {"seconds": True}), ("send_message", {"text": "x" * 500}),
                        ("remove_attendee", {"attendee_id": 5}), ("no_such_event", {})]:
        reply = console.send(event, data)
        assert reply["ok"] is False and reply["error"], (event, reply)
    assert console.latest("room")["step"]["index"] == 0


def test_a_flood_of_events_from_one_connection_is_refused(app, client):
    workshop = create_workshop(client)
    ana = attendee(app, workshop["code"], "Ana")
    replies = [ana.send("sync_clock") for _ in range(60)]
    assert any(r.get("code") == "rate_limited" for r in replies)
    assert replies[0]["ok"] is True


def test_pair_commands_reach_the_pair_and_a_moment_reaches_only_the_facilitator(app):
    workshop, console, phones = in_a_round(app, ("Ana", "Ben"))
    ana, ben = phones
    ana.sees(lambda p: (p.latest("you")["group"] or {}).get("prompt"), "a prompt")
    first_prompt = ana.latest("you")["group"]["prompt"]
    if ana.latest("room")["step"]["draw"]:
        assert ana.send("draw_prompt") == {"ok": True}
        ben.sees(lambda p: p.latest("you")["group"]["prompt"] != first_prompt, "the new prompt")
    ben.pull()
    ben_before = len(ben.events)
    assert ana.send("ask_moment", {"needed": True}) == {"ok": True}
    console.sees(lambda c: any(e == "attendee" and d["id"] == ana.id and d["moment"] for e, d in c.events),
                 "the facilitator sees the moment")
    ben.pull()
    assert all(not (isinstance(d, dict) and "moment" in str(d) and ana.id in str(d) and e != "you")
               for e, d in ben.events[ben_before:])
    assert ana.send("mark_done")["code"] == "turn_not_started"
    console.send("start_timer")
    assert ana.send("mark_done") == {"ok": True}
    ana.sees(lambda p: p.latest("room")["phase"]["index"] == 1, "all groups done: next turn")


def test_the_facilitator_swaps_two_people_between_pairs(app):
    workshop, console, phones = in_a_round(app, [f"P{i}" for i in range(4)])
    for phone in phones:
        phone.sees(lambda p: p.latest("you")["group"], "a group")
    a = phones[0]
    partner = next(m["id"] for m in a.latest("you")["group"]["members"] if m["id"] != a.id)
    other = next(p for p in phones if p.id not in (a.id, partner))
    assert console.send("swap_people", {"a": a.id, "b": other.id}) == {"ok": True}
    a.sees(lambda p: other.id not in {m["id"] for m in p.latest("you")["group"]["members"]}
           and partner not in {m["id"] for m in p.latest("you")["group"]["members"]}, "a new partner")
    bad = console.send("swap_people", {"a": a.id, "b": "a_nobody"})
    assert bad["ok"] is False and bad["error"]


def test_the_default_agenda_runs_from_start_to_finish_with_every_phone_in_step(app, client):
    workshop = create_workshop(client, "heart-to-heart")
    console = facilitator(app, workshop)
    phones = [attendee(app, workshop["code"], f"P{i}") for i in range(5)]
    steps = console.latest("console")["agenda"]["steps"]
    for step in steps:
        if step["index"]:
            assert console.send("go_to_step", {"index": step["index"]}) == {"ok": True}
        seq = console.sees(lambda c, i=step["index"]: c.latest("room")["step"]["index"] == i
                           and c.latest("room"))["seq"]
        for phone in phones:
            phone.sees(lambda p, s=seq: p.latest("room")["seq"] >= s, "the step on every phone")
        if step["kind"] == "agreements":
            for phone in phones:
                assert phone.send("agree") == {"ok": True}
        if step["kind"] == "round":
            assert console.send("start_timer") == {"ok": True}
            turns = len(console.latest("room")["step"]["turns"]) + 1  # with the triad's turn
            for _ in range(turns):
                room = console.sees(lambda c: c.latest("room")["timer"]["state"] in ("running", "done")
                                    and c.latest("room"))
                if room["timer"]["state"] == "done":
                    break
                deadlines = {phone.sees(lambda p, s=room["seq"]: p.latest("room")["seq"] >= s
                                        and p.latest("room"))["timer"]["deadline"] for phone in phones}
                assert len(deadlines) == 1, "every phone counts down to the same deadline"
                groups = [phone.latest("you")["group"] for phone in phones]
                assert all(g and len(g["members"]) in (2, 3) for g in groups)
                console.send("skip_timer")
    assert console.latest("room")["step"]["kind"] == "closing"
