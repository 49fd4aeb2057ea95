"""The real server: `python -m workshop` on a loopback port, real Socket.IO clients, real SQLite."""

import subprocess
import sys

import requests

from .support import ROOT, Phone, Server, attendee, facilitator, wait_until


def step_of(kind, phone):
    room = phone.latest("room")
    return room and room["step"]["kind"] == kind


def go_to(console, kind):
    """Move the room to the first step of a kind and return its index."""
    steps = console.latest("console")["agenda"]["steps"]
    index = next(s["index"] for s in steps if s["kind"] == kind)
    assert console.send("go_to_step", {"index": index}) == {"ok": True}
    return index


def in_a_round(server, names):
    """Start quick-connect, let everyone join and agree, and move the room to its first round."""
    workshop = server.create_workshop("quick-connect")
    console = facilitator(server, workshop)
    phones = [attendee(server, workshop["code"], name) for name in names]
    for phone in phones:
        assert phone.send("agree") == {"ok": True}
    go_to(console, "round")
    return workshop, console, phones


def test_help_documents_flags_and_environment():
    out = subprocess.run([sys.executable, "-m", "workshop", "--help"], cwd=ROOT, capture_output=True,
                         text=True, check=True).stdout
    for flag in ("--host", "--port", "--db", "WORKSHOP_DB", "WORKSHOP_GRACE_SECONDS", "WORKSHOP_TIME_SCALE"):
        assert flag in out


def test_home_page_lists_the_shipped_agendas(server):
    page = requests.get(server.url + "/", timeout=5)
    assert page.status_code == 200
    assert "Heart to Heart" in page.text and "Quick" in page.text
    assert page.headers["Referrer-Policy"] == "no-referrer"
    assert "script-src 'self'" in page.headers["Content-Security-Policy"]


def test_wrong_code_is_refused_plainly(server):
    response = requests.post(server.url + "/api/join", json={"code": "ZZZZZZ", "name": "Ana"}, timeout=5)
    assert response.status_code == 404
    assert response.json()["code"] == "room_unavailable"
    assert "code" in response.json()["error"]


def test_join_by_code_is_case_insensitive_and_trims_the_name(server):
    workshop = server.create_workshop()
    joined = server.join(workshop["code"].lower(), "  Zoë 🌱  ")
    assert joined["name"] == "Zoë 🌱"
    assert len(joined["token"]) >= 32


def test_attendees_see_the_same_step_and_deadline(server):
    workshop, console, phones = in_a_round(server, ("Ana", "Ben", "Chloé", "Dev"))
    assert console.send("start_timer") == {"ok": True}
    deadlines = [phone.wait_for(lambda p: (p.latest("room")["timer"] or {}).get("deadline"), "deadline")
                 for phone in phones]
    assert len(set(deadlines)) == 1
    for phone in phones:
        you = phone.latest("you")
        assert you["group"] is not None
        assert len(you["group"]["members"]) == 2
        assert you["group"]["prompt"]


def test_server_moves_turns_on_at_the_deadline_without_the_facilitator(server):
    workshop, console, phones = in_a_round(server, ("Ana", "Ben"))
    console.send("start_timer")
    console.close()
    first = phones[0].wait_for(lambda p: p.latest("room")["phase"]["index"] == 0 and p.latest("room"))
    phones[0].wait_for(lambda p: p.latest("room")["phase"]["index"] >= 1, "the next turn", timeout=15)
    second = phones[0].latest("room")
    assert second["timer"]["deadline"] >= first["timer"]["deadline"]


def test_reconnecting_with_the_token_restores_the_same_attendee(server):
    workshop = server.create_workshop()
    ana = attendee(server, workshop["code"], "Ana")
    ana.close()
    again = Phone(server.url, {"role": "attendee", "code": workshop["code"], "token": ana.token})
    again.connect(wait_for="you")
    assert again.latest("you")["attendee"]["id"] == ana.id
    assert again.latest("you")["attendee"]["name"] == "Ana"


def test_the_newest_connection_for_a_token_wins(server):
    workshop = server.create_workshop()
    first = attendee(server, workshop["code"], "Ana")
    second = Phone(server.url, {"role": "attendee", "code": workshop["code"], "token": first.token})
    second.connect(wait_for="you")
    first.wait_for(lambda p: p.latest("replaced"), "replaced")
    wait_until(lambda: not first.client.connected, what="old connection closed")
    assert second.send("sync_clock")["ok"]


def test_attendee_cannot_send_facilitator_commands(server):
    workshop = server.create_workshop()
    ana = attendee(server, workshop["code"], "Ana")
    for event in ("go_to_step", "start_timer", "lock_room", "send_message", "end_workshop"):
        reply = ana.send(event, {"index": 1, "text": "hi", "locked": True})
        assert reply["ok"] is False and reply["code"] == "forbidden", event
    assert ana.latest("room")["step"]["index"] == 0


def test_a_wrong_facilitator_key_is_refused(server):
    workshop = server.create_workshop()
    phone = Phone(server.url, {"role": "facilitator", "code": workshop["code"], "key": "x" * 32})
    try:
        phone.connect()
    except Exception:
        pass
    wait_until(lambda: phone.refused, what="refusal")
    assert phone.refused["data"]["code"] == "wrong_key"
    assert "not valid" in phone.refused["message"]


def test_bad_payloads_get_plain_errors_and_change_nothing(server):
    workshop = server.create_workshop()
    console = facilitator(server, workshop)
    for event, data in [("go_to_step", {"index": "2"}), ("go_to_step", {"index": 999}),
                        ("extend_timer", {"seconds": True}), ("send_message", {"text": "x" * 500}),
                        ("remove_attendee", {"attendee_id": 5}), ("no_such_event", {})]:
        reply = console.send(event, data)
        assert reply["ok"] is False and reply["error"], (event, reply)
    assert console.latest("room")["step"]["index"] == 0


def test_sigkill_mid_timer_then_restart_resumes_every_phone(tmp_path):
    server = Server(tmp_path / "crash.db", "--time-scale", "0.05", "--grace", "30").start()
    try:
        workshop = server.create_workshop("quick-connect")
        console = facilitator(server, workshop)
        phones = [attendee(server, workshop["code"], f"P{i}") for i in range(6)]
        for phone in phones:
            assert phone.send("agree") == {"ok": True}
        go_to(console, "round")
        assert console.send("start_timer") == {"ok": True}
        running = lambda p: p.latest("room")["timer"]["state"] == "running" and p.latest("room")  # noqa: E731
        before = [phone.wait_for(running) for phone in phones]
        groups_before = {phone.id: phone.latest("you")["group"]["id"] for phone in phones}
        server.kill()
        server.start()
        for phone in phones:
            phone.state.pop("you", None)
        for phone in phones:
            phone.wait_for(lambda p: p.client.connected and p.latest("you"), "resume", timeout=20)
        for phone, seen in zip(phones, before, strict=True):
            room = phone.latest("room")
            assert room["step"]["index"] == seen["step"]["index"]
            if room["phase"]["index"] == seen["phase"]["index"]:
                assert room["timer"]["deadline"] == seen["timer"]["deadline"]
            assert phone.latest("you")["group"]["id"] == groups_before[phone.id]
    finally:
        server.stop()


def test_an_unknown_a_locked_and_an_ended_room_answer_alike(server):
    locked, ended = server.create_workshop(), server.create_workshop()
    facilitator(server, locked).send("lock_room", {"locked": True})
    facilitator(server, ended).send("end_workshop")
    answers = [requests.post(server.url + "/api/join", json={"code": code, "name": "Eve"}, timeout=5)
               for code in ("ZZZZZZ", locked["code"], ended["code"])]
    assert {r.status_code for r in answers} == {404}
    assert len({r.text for r in answers}) == 1


def test_a_flood_of_events_from_one_connection_is_refused(server):
    workshop = server.create_workshop()
    ana = attendee(server, workshop["code"], "Ana")
    replies = [ana.send("sync_clock") for _ in range(60)]
    assert any(r.get("code") == "rate_limited" for r in replies)
    assert replies[0]["ok"] is True


def test_pair_commands_reach_the_pair_and_a_moment_reaches_only_the_facilitator(server):
    workshop, console, phones = in_a_round(server, ("Ana", "Ben"))
    ana, ben = phones
    ana.wait_for(lambda p: (p.latest("you")["group"] or {}).get("prompt"), "a prompt")
    first_prompt = ana.latest("you")["group"]["prompt"]
    if ana.latest("room")["step"]["draw"]:
        assert ana.send("draw_prompt") == {"ok": True}
        ben.wait_for(lambda p: p.latest("you")["group"]["prompt"] != first_prompt, "the new prompt")
    ben_before = len(ben.events)
    assert ana.send("ask_moment", {"needed": True}) == {"ok": True}
    console.wait_for(lambda c: any(e == "attendee" and d["id"] == ana.id and d["moment"]
                                   for e, d in c.events), "the facilitator sees the moment")
    assert all(not (isinstance(d, dict) and "moment" in str(d) and ana.id in str(d) and e != "you")
               for e, d in ben.events[ben_before:])
    assert ana.send("mark_done")["code"] == "turn_not_started"
    console.send("start_timer")
    assert ana.send("mark_done") == {"ok": True}
    ana.wait_for(lambda p: p.latest("room")["phase"]["index"] == 1, "all groups done: next turn")


def test_the_facilitator_swaps_two_people_between_pairs(server):
    workshop, console, phones = in_a_round(server, [f"P{i}" for i in range(4)])
    for phone in phones:
        phone.wait_for(lambda p: p.latest("you")["group"], "a group")
    a = phones[0]
    partner = next(m["id"] for m in a.latest("you")["group"]["members"] if m["id"] != a.id)
    other = next(p for p in phones if p.id not in (a.id, partner))
    assert console.send("swap_people", {"a": a.id, "b": other.id}) == {"ok": True}
    a.wait_for(lambda p: other.id not in {m["id"] for m in p.latest("you")["group"]["members"]}
               and partner not in {m["id"] for m in p.latest("you")["group"]["members"]}, "a new partner")
    bad = console.send("swap_people", {"a": a.id, "b": "a_nobody"})
    assert bad["ok"] is False and bad["error"]


def test_the_default_agenda_runs_from_start_to_finish_with_every_phone_in_step(server):
    workshop = server.create_workshop("heart-to-heart")
    console = facilitator(server, workshop)
    phones = [attendee(server, workshop["code"], f"P{i}") for i in range(5)]
    steps = console.latest("console")["agenda"]["steps"]
    for step in steps:
        if step["index"]:
            assert console.send("go_to_step", {"index": step["index"]}) == {"ok": True}
        seq = console.wait_for(lambda c, i=step["index"]: c.latest("room")["step"]["index"] == i
                               and c.latest("room"))["seq"]
        for phone in phones:
            phone.wait_for(lambda p, s=seq: p.latest("room")["seq"] >= s, "the step on every phone")
        if step["kind"] == "agreements":
            for phone in phones:
                assert phone.send("agree") == {"ok": True}
        if step["kind"] == "round":
            assert console.send("start_timer") == {"ok": True}
            turns = len(console.latest("room")["step"]["turns"]) + 1  # with the triad's turn
            for _ in range(turns):
                room = console.wait_for(lambda c: c.latest("room")["timer"]["state"] in ("running", "done")
                                        and c.latest("room"))
                if room["timer"]["state"] == "done":
                    break
                deadlines = {phone.wait_for(lambda p, s=room["seq"]: p.latest("room")["seq"] >= s
                                            and p.latest("room"))["timer"]["deadline"] for phone in phones}
                assert len(deadlines) == 1, "every phone counts down to the same deadline"
                groups = [phone.latest("you")["group"] for phone in phones]
                assert all(g and len(g["members"]) in (2, 3) for g in groups)
                console.send("skip_timer")
    assert console.latest("room")["step"]["kind"] == "closing"


def test_a_second_server_on_the_same_port_stops_before_touching_its_database(server, tmp_path):
    second = subprocess.run([sys.executable, "-m", "workshop", "--port", str(server.port), "--db",
                             str(tmp_path / "second.db")], cwd=ROOT, capture_output=True, text=True,
                            timeout=30, env=server.env)
    assert second.returncode == 1
    assert "Cannot listen" in second.stderr and "another --port" in second.stderr
    assert not (tmp_path / "second.db").exists()
    assert requests.get(server.url + "/healthz", timeout=5).json() == {"ok": True}


def test_an_ended_workshops_console_still_opens_after_a_restart(tmp_path):
    server = Server(tmp_path / "ended.db").start()
    try:
        workshop = server.create_workshop()
        assert facilitator(server, workshop).send("end_workshop") == {"ok": True}
        server.kill()
        server.start()
        console = facilitator(server, workshop)
        assert console.latest("room")["status"] == "ended"
        assert console.send("go_to_step", {"index": 1})["code"] == "room_ended"
    finally:
        server.stop()
