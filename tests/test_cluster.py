"""A real cluster: redis-server, HAProxy and two workers on two loopback "machines" (127.0.0.2, 127.0.0.3).

Each worker has its own data directory; everything is reached through the proxy, as
phones would. Started by the tests on free loopback ports; needs redis-server and
haproxy (`.ci/run` installs them).
"""

from __future__ import annotations

import os
import shutil
import signal
import tempfile
import time
from pathlib import Path
from urllib.parse import quote

import pytest
import requests
import socketio

from deploy.cluster import Cluster
from workshop.shell.cluster import owner

from .support import Phone, free_port, wait_until

pytestmark = [
    pytest.mark.server,
    pytest.mark.cluster,
    # Like the browser tests: skipped on a developer's machine without the tools, never under CI,
    # where a missing redis-server or haproxy must fail the run rather than pass it quietly.
    pytest.mark.skipif(not os.environ.get("CI") and not (
        shutil.which("redis-server") and (shutil.which("haproxy") or Path("/usr/sbin/haproxy").exists())),
        reason="needs redis-server and haproxy (.ci/run installs them)"),
]

ORGANIZER_KEY = "organizer-key-for-cluster-tests"


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    folder = tmp_path_factory.mktemp("cluster")
    running = Cluster(folder, workers=2, port=free_port(), hosts=["127.0.0.2", "127.0.0.3"], link="tcp",
                      worker_ports=[free_port(), free_port()], redis_port=free_port(),
                      env={"WORKSHOP_ORGANIZER_KEY": ORGANIZER_KEY, "WORKSHOP_TIME_SCALE": "0.2",
                           "WORKSHOP_GRACE_SECONDS": "120"})
    running.log = lambda text: None
    running.start()
    yield running
    running.stop()


def create(cluster: Cluster) -> dict:
    response = requests.post(cluster.url + "/api/workshops",
                             json={"agenda": "quick-connect", "organizer_key": ORGANIZER_KEY}, timeout=10)
    assert response.status_code == 201, response.text
    return response.json()


def workshop_on(cluster: Cluster, worker: int) -> dict:
    """Create workshops through the proxy until one belongs to the given worker."""
    for _ in range(20):
        workshop = create(cluster)
        if owner(workshop["code"], cluster.workers) == worker:
            return workshop
    raise AssertionError(f"no workshop landed on worker {worker}")


def phone(cluster: Cluster, code: str, auth: dict, transport: str = "websocket") -> Phone:
    """Connect through the proxy with the code in the connection URL, as the browser client does."""
    device = Phone(f"{cluster.url}/?code={code}", auth)
    device.client.connect(device.url, auth=auth, transports=[transport], wait_timeout=10)
    return device


def attendee(cluster: Cluster, code: str, name: str, transport: str = "websocket") -> Phone:
    joined = requests.post(cluster.url + "/api/join", json={"code": code, "name": name}, timeout=10)
    assert joined.status_code == 201, joined.text
    device = phone(cluster, code, {"role": "attendee", "code": code, "token": joined.json()["token"]},
                   transport)
    device.id = joined.json()["attendee_id"]
    device.wait_for(lambda p: p.latest("you"), "the attendee's view")
    return device


def console(cluster: Cluster, workshop: dict) -> Phone:
    device = phone(cluster, workshop["code"],
                   {"role": "facilitator", "code": workshop["code"], "key": workshop["facilitator_key"]})
    device.wait_for(lambda p: p.latest("console"), "the console")
    return device


def step_index(device: Phone, kind: str) -> int:
    return next(s["index"] for s in device.latest("console")["agenda"]["steps"] if s["kind"] == kind)


def in_round(cluster: Cluster, workshop: dict, names: list[str], transports=None):
    """Bring a workshop to a running first turn with these attendees."""
    facilitator = console(cluster, workshop)
    transports = transports or ["websocket"] * len(names)
    phones = [attendee(cluster, workshop["code"], n, t) for n, t in zip(names, transports, strict=True)]
    for device in phones:
        assert device.send("agree")["ok"]
    assert facilitator.send("go_to_step", {"index": step_index(facilitator, "round")})["ok"]
    assert facilitator.send("start_timer")["ok"]
    return facilitator, phones


def same_room(devices: list[Phone], seq: int) -> None:
    """Wait until every device holds the room at `seq` or later, and check they agree on step and deadline."""
    for device in devices:
        device.wait_for(lambda p: p.latest("room") and p.latest("room")["seq"] >= seq, "the same room")
    rooms = [d.latest("room") for d in devices]
    assert len({(r["step"]["index"], r["timer"]["deadline"], r["phase"]["index"]) for r in rooms}) == 1


def close(*devices: Phone) -> None:
    for device in devices:
        device.client.reconnection = False
        device.close()


def test_each_worker_draws_codes_it_owns_and_every_page_of_a_room_reaches_its_owner(cluster):
    codes = [create(cluster)["code"] for _ in range(6)]
    assert {owner(code, 2) for code in codes} == {1, 2}, "round robin gives both workers new workshops"
    for code in codes:
        home = cluster.members[owner(code, 2) - 1]
        other = cluster.members[2 - owner(code, 2)]
        for path in (f"/j/{code}", f"/j/{code.lower()}", f"/facilitate/{code}", f"/p/{code}"):
            assert requests.get(cluster.url + path, timeout=5).status_code == 200, path
        assert requests.get(home.url + f"/j/{code}", timeout=5).status_code == 200
        assert requests.get(other.url + f"/j/{code}", timeout=5).status_code == 404, "only the owner has it"
        joined = requests.post(cluster.url + "/api/join", json={"code": code, "name": "Ida"}, timeout=5)
        assert joined.status_code == 201, "the join API's body is routed to the owner"


def test_a_code_spelled_with_spaces_dashes_or_lower_case_reaches_its_owner_however_it_is_sent(cluster):
    """The workers ignore spaces and dashes in a code (docs/protocol.md); the proxy routes on the code
    they read, not on its first byte. Twice each: the other worker would answer every second try."""
    for worker in (1, 2):
        workshop = workshop_on(cluster, worker)
        code = workshop["code"]
        for spelled in (f" {code}", f"-{code}", f"{code[:3]}-{code[3:]}".lower(), f" {code[:3]} {code[3:]} "):
            for _ in range(2):
                joined = requests.post(cluster.url + "/api/join", json={"code": spelled, "name": "Ida"},
                                       timeout=5)
                assert joined.status_code == 201, (spelled, joined.text)
                page = requests.get(f"{cluster.url}/j/{quote(spelled)}", timeout=5)
                assert page.status_code == 200, spelled
        joined = requests.post(cluster.url + "/api/join", json={"code": code, "name": "Jo"}, timeout=5).json()
        for spelled in (f" {code}", f"-{code[:3]}-{code[3:]}"):
            for _ in range(2):
                device = phone(cluster, quote(spelled), {"role": "attendee", "code": spelled,
                                                         "token": joined["token"]})
                device.wait_for(lambda p: p.latest("you"), f"the attendee's view with ?code={spelled!r}")
                close(device)


def test_phones_on_websocket_and_long_polling_see_the_same_step_and_deadline(cluster):
    for worker in (1, 2):
        workshop = workshop_on(cluster, worker)
        names = ["Ana", "Ben", "Caro", "Dev", "Eli"]
        facilitator, phones = in_round(cluster, workshop, names,
                                       ["websocket", "polling", "websocket", "polling", "websocket"])
        try:
            seq = facilitator.wait_for(lambda c: c.latest("room")["timer"]["deadline"] and
                                       c.latest("room")["seq"], "a running turn")
            same_room([facilitator, *phones], seq)
            assert facilitator.send("skip_timer")["ok"]
            same_room([facilitator, *phones], seq + 1)
            partners = {p.id: p.latest("you")["group"]["members"] for p in phones}
            assert all(partners.values()), "every phone knows its group"
        finally:
            close(facilitator, *phones)


def test_every_command_works_through_the_proxy(cluster):
    workshop = workshop_on(cluster, 2)
    facilitator, phones = in_round(cluster, workshop, ["Ana", "Ben", "Caro", "Dev"])
    try:
        ids = [p.id for p in phones]
        ack = {}
        for event, data in [("pause_timer", {}), ("resume_timer", {}), ("extend_timer", {"seconds": 60}),
                            ("send_message", {"text": "Hello from the cluster"}),
                            ("send_message", {"text": ""}),
                            ("lock_room", {"locked": True}), ("lock_room", {"locked": False}),
                            ("set_odd", {"odd": "facilitator"}), ("set_odd", {"odd": "triad"}),
                            ("swap_people", {"a": ids[0], "b": ids[2]}), ("skip_timer", {}),
                            ("pair_everyone", {})]:
            ack[event] = facilitator.send(event, data)
            assert ack[event]["ok"], (event, ack[event])
        group = phones[0].wait_for(lambda p: p.latest("you")["group"], "a group")
        for event, data in [("ask_moment", {"needed": True}), ("draw_prompt", {})]:
            assert phones[0].send(event, data)["ok"], event
        assert facilitator.send("clear_moment", {"attendee_id": ids[0]})["ok"]
        assert group["id"]
        assert facilitator.send("remove_attendee", {"attendee_id": ids[3]})["ok"]
        phones[3].wait_for(lambda p: p.latest("removed"), "the removal")
        assert facilitator.send("open_feedback")["ok"]
        phones[0].wait_for(lambda p: p.latest("room")["feedback"]["open"], "the feedback form")
        answers = {"overall": 4, "listened_to": 5, "pace": "About right"}
        sent = phones[0].send("send_feedback", {"answers": answers})
        assert sent["ok"], sent
        assert facilitator.send("close_feedback")["ok"]
        assert facilitator.send("end_workshop")["ok"]
        report = requests.get(cluster.url + f"/reports/{workshop['code']}.csv", timeout=10)
        assert report.status_code == 403, "a report needs the organizer or its share key"
    finally:
        close(facilitator, *phones)


def test_the_organizer_lists_the_workshops_of_every_worker(cluster):
    codes = {workshop_on(cluster, 1)["code"], workshop_on(cluster, 2)["code"]}
    browser = requests.Session()
    signed_in = browser.post(cluster.url + "/organizer", data={"key": ORGANIZER_KEY}, timeout=10)
    assert signed_in.status_code == 200
    for code in codes:
        assert f"<code>{code}</code>" in signed_in.text
    foreign = next(c for c in codes if owner(c, 2) == 2)
    assert f'href="/reports/{foreign}#key=' in signed_in.text, "a peer's report opens with its share key"
    assert requests.get(cluster.url + "/organizer/peer.json", timeout=5).status_code == 403


def test_a_signed_in_organizer_opens_the_report_of_a_workshop_on_any_worker(cluster):
    """The sign-in is kept by the worker that served /organizer; the others ask it."""
    codes = [workshop_on(cluster, 1)["code"], workshop_on(cluster, 2)["code"]]
    browser = requests.Session()
    signed_in = browser.post(cluster.url + "/organizer", data={"key": ORGANIZER_KEY}, timeout=10)
    assert signed_in.status_code == 200
    for code in codes:
        for path in (f"/reports/{code}", f"/reports/{code}.csv"):
            assert browser.get(cluster.url + path, timeout=10).status_code == 200, (path, owner(code, 2))
    stranger = requests.get(f"{cluster.url}/reports/{codes[1]}.csv", timeout=10)
    assert stranger.status_code == 403, "not signed in"
    for url in (cluster.url, cluster.members[1].url):
        asked = requests.get(url + "/organizer/peer/sign-in", headers={"X-Workshop-Sign-In": "0" * 64},
                             timeout=5)
        assert asked.status_code == 403, "only a peer, with the cluster's signature, may ask"
    for path in ("/organizer/peer.json", "/organizer/%70eer.json", "//organizer/peer.json",
                 "/organizer//peer/sign-in", "/organizer/peer/sign-in"):
        refused = requests.get(cluster.url + path, timeout=5)
        assert refused.status_code == 403 and "administrative rules" in refused.text, path  # HAProxy
    kept = dict(browser.cookies)  # a copy of the cookie, kept past the sign-out, opens nothing
    assert browser.post(cluster.url + "/organizer/logout", timeout=10).status_code == 200
    browser.cookies.update(kept)
    for code in codes:
        assert browser.get(f"{cluster.url}/reports/{code}.csv", timeout=10).status_code == 403, "signed out"


def test_the_studio_keeps_its_agendas_on_one_worker_and_starts_workshops_from_them(cluster):
    """Studio agendas carry no room code: every studio request goes where the organizer's page goes."""
    from .test_agenda import VALID

    made = requests.post(cluster.url + "/api/studio/agendas", json={"agenda": VALID}, timeout=10)
    assert made.status_code == 201, made.text
    agenda_id, key = made.json()["id"], {"X-Agenda-Key": made.json()["key"]}
    for _ in range(3):
        assert requests.get(f"{cluster.url}/api/studio/agendas/{agenda_id}", headers=key,
                            timeout=10).status_code == 200
        assert requests.get(f"{cluster.url}/studio/{agenda_id}", timeout=10).status_code == 200
        started = requests.post(cluster.url + "/api/studio/workshops", headers=key, timeout=10,
                                json={"from": "studio", "agenda": agenda_id})
        assert started.status_code == 201, started.text
        code = started.json()["code"]
        assert requests.get(f"{cluster.url}/j/{code}", timeout=10).status_code == 200, "it reaches its owner"
    browser = requests.Session()
    page = browser.post(cluster.url + "/organizer", data={"key": ORGANIZER_KEY}, timeout=10)
    assert agenda_id in page.text, "the organizer's page lists the studio's agendas"


def test_signing_out_on_one_worker_ends_a_sign_in_made_on_another(cluster):
    """While worker 1 is away the organizer page is served by worker 2, and the sign-in is kept there."""
    code = workshop_on(cluster, 1)["code"]
    on_worker_2 = requests.Session()
    signed_in = on_worker_2.post(cluster.members[1].url + "/organizer", data={"key": ORGANIZER_KEY},
                                 timeout=10)
    assert signed_in.status_code == 200
    kept = dict(on_worker_2.cookies)  # the same cookie, for any host: the proxy's as well
    browser = requests.Session()
    browser.cookies.update(kept)
    assert browser.get(f"{cluster.url}/reports/{code}.csv", timeout=10).status_code == 200
    assert browser.post(cluster.url + "/organizer/logout", timeout=10).status_code == 200  # on worker 1
    browser.cookies.update(kept)
    for url in (cluster.url, cluster.members[1].url):
        assert browser.get(f"{url}/reports/{code}.csv", timeout=10).status_code == 403, url


def test_an_emit_from_another_process_reaches_the_rooms_phones_through_redis(cluster):
    workshop = workshop_on(cluster, 1)
    facilitator, phones = in_round(cluster, workshop, ["Ana", "Ben"])
    try:
        outside = socketio.RedisManager(cluster.redis_url, channel="workshop", write_only=True)
        outside.emit("notice", {"text": "from a script"}, room=workshop["code"])
        for device in phones:
            device.wait_for(lambda p: p.latest("notice"), "the emit through Redis")
    finally:
        close(facilitator, *phones)


def test_kill_9_of_a_worker_mid_turn_loses_nothing_and_its_phones_come_back_on_their_own(cluster):
    victim_room, other_room = workshop_on(cluster, 1), workshop_on(cluster, 2)
    facilitator, phones = in_round(cluster, victim_room, ["Ana", "Ben", "Caro", "Dev"])
    other_console, other_phones = in_round(cluster, other_room, ["Eve", "Finn"])
    try:
        before = facilitator.wait_for(lambda c: c.latest("room")["timer"]["deadline"] and c.latest("room"),
                                      "a running turn")
        groups = {p.id: p.latest("you")["group"]["id"] for p in phones}
        sids = {id(device): device.client.sid for device in (facilitator, *phones)}
        victim = cluster.members[0]
        restarts = victim.restarts
        os.kill(victim.pid, signal.SIGKILL)
        # The other worker's room keeps going while worker 1 is down.
        assert other_console.send("send_message", {"text": "still here"})["ok"]
        wait_until(lambda: victim.restarts > restarts, timeout=10, what="the supervisor's restart")
        for device in (facilitator, *phones):
            device.wait_for(lambda p: p.client.connected and p.client.sid != sids[id(p)],
                            "the phone back on its own", timeout=30)
        after = facilitator.wait_for(lambda c: c.latest("room")["seq"] >= before["seq"] and c.latest("room"),
                                     "the room again")
        assert after["step"]["index"] == before["step"]["index"]
        assert after["timer"]["deadline"] == before["timer"]["deadline"], "the turn keeps its deadline"
        for device in phones:
            device.wait_for(lambda p: p.latest("you")["group"]["id"] == groups[p.id], "the same group")
        people = facilitator.latest("console")["attendees"]
        assert {a["id"] for a in people} >= set(groups), "every acknowledged join survived"
    finally:
        close(facilitator, *phones, other_console, *other_phones)


def heard_through_redis_again(cluster: Cluster, code: str, phones: list[Phone]) -> None:
    """Wait until an emit from another process reaches the room's phones: the workers listen again."""
    outside = socketio.RedisManager(cluster.redis_url, channel="workshop", write_only=True)

    def heard() -> bool:
        outside.emit("notice", {"text": "Redis is back"}, room=code)
        return all(p.latest("notice") for p in phones)

    wait_until(heard, timeout=20, interval=0.5, what="the workers' subscription to come back")


def test_a_redis_restart_mid_workshop_heals_without_anyone_joining_again(cluster):
    workshop = workshop_on(cluster, 2)
    facilitator, phones = in_round(cluster, workshop, ["Ana", "Ben"])
    try:
        sids = [p.client.sid for p in (facilitator, *phones)]
        cluster.stop_redis(hard=True)
        # The room's sockets are on its owner: the workshop goes on while Redis is away.
        assert facilitator.send("skip_timer")["ok"]
        seq = facilitator.latest("room")["seq"]
        same_room([facilitator, *phones], seq)
        cluster.start_redis()
        heard_through_redis_again(cluster, workshop["code"], phones)
        assert [p.client.sid for p in (facilitator, *phones)] == sids, "nobody had to reconnect"
        assert facilitator.send("send_message", {"text": "after Redis"})["ok"]
    finally:
        close(facilitator, *phones)


def test_a_redis_that_stops_answering_does_not_slow_a_rooms_commands(cluster):
    """A frozen Redis (as behind a lost network: connections open, no replies) is never waited for."""
    workshop = workshop_on(cluster, 1)
    facilitator, phones = in_round(cluster, workshop, ["Ana", "Ben"])
    cluster.redis.send_signal(signal.SIGSTOP)
    try:
        for _ in range(3):
            began = time.monotonic()
            assert facilitator.send("skip_timer")["ok"]
            assert time.monotonic() - began < 1.0, "a command waited for Redis"
            same_room([facilitator, *phones], facilitator.latest("room")["seq"])
    finally:
        cluster.redis.send_signal(signal.SIGCONT)
        close(facilitator, *phones)


def test_after_a_long_redis_outage_the_workers_listen_again_within_seconds_of_its_return(cluster):
    """python-socketio's own retry doubles its wait: after 8 s away it would try again only at 15 s."""
    workshop = workshop_on(cluster, 1)
    facilitator, phones = in_round(cluster, workshop, ["Ana", "Ben"])
    try:
        cluster.stop_redis(hard=True)
        time.sleep(8)  # the workers' listeners fail and retry meanwhile
        cluster.start_redis()
        back = time.monotonic()
        heard_through_redis_again(cluster, workshop["code"], phones)
        assert time.monotonic() - back < 4, "an operator's emits went unheard for long after Redis came back"
    finally:
        close(facilitator, *phones)


def test_a_redis_server_that_dies_is_started_again_by_the_launcher(cluster):
    """As systemd's Restart=always would: `make cluster` has no unit to do it."""
    workshop = workshop_on(cluster, 1)
    facilitator, phones = in_round(cluster, workshop, ["Ana", "Ben"])
    try:
        sids = [p.client.sid for p in (facilitator, *phones)]
        died = cluster.redis
        os.kill(died.pid, signal.SIGKILL)
        wait_until(lambda: cluster.redis is not died and cluster._redis_answers(), timeout=20,
                   what="the launcher to start redis-server again")
        assert died.poll() is not None, "the dead one is reaped, not left a zombie"
        heard_through_redis_again(cluster, workshop["code"], phones)
        assert [p.client.sid for p in (facilitator, *phones)] == sids, "nobody had to reconnect"
        # One that stops cleanly (as Ctrl-C in the launcher's terminal makes it) is left stopped.
        stopped = cluster.redis
        stopped.send_signal(signal.SIGINT)
        assert stopped.wait(timeout=10) == 0
        time.sleep(1)
        assert cluster.redis is stopped and not cluster._redis_answers()
        cluster.start_redis()
        heard_through_redis_again(cluster, workshop["code"], phones)
    finally:
        close(facilitator, *phones)


def test_a_machine_cut_off_leaves_the_others_serving_their_rooms(cluster):
    kept, lost = workshop_on(cluster, 1), workshop_on(cluster, 2)
    facilitator, phones = in_round(cluster, kept, ["Ana", "Ben"])
    machine = cluster.members[1]
    os.kill(machine.pid, signal.SIGSTOP)  # no answer at all, as when its network is gone
    try:
        wait_until(lambda: cluster.proxy_sees(machine, up=False), timeout=10, what="HAProxy to mark it down")
        assert facilitator.send("skip_timer")["ok"]
        same_room([facilitator, *phones], facilitator.latest("room")["seq"])
        fresh = create(cluster)
        assert owner(fresh["code"], 2) == 1, "new workshops go to the machines that answer"
        close(attendee(cluster, fresh["code"], "Gus"))
        started = time.monotonic()
        assert requests.get(cluster.url + f"/j/{lost['code']}", timeout=10).status_code == 503
        assert time.monotonic() - started < 5, "a room on the lost machine fails fast, it does not hang"
    finally:
        os.kill(machine.pid, signal.SIGCONT)
        close(facilitator, *phones)
    wait_until(lambda: cluster.proxy_sees(machine, up=True), timeout=10, what="the machine back in")
    assert requests.get(cluster.url + f"/j/{lost['code']}", timeout=10).status_code == 200


def published_on(redis_url: str):
    """Listen to the cluster's Redis channel; return the listener and a function that drains what came."""
    import json

    import redis

    listener = redis.Redis.from_url(redis_url).pubsub(ignore_subscribe_messages=True)
    listener.subscribe("workshop")
    wait_until(lambda: listener.get_message(timeout=0.1) is None and listener.subscribed, timeout=5,
               what="the subscription")

    def drain(seconds: float) -> list[dict]:
        seen, deadline = [], time.monotonic() + seconds
        while time.monotonic() < deadline:
            message = listener.get_message(timeout=0.1)
            if message:
                seen.append(json.loads(message["data"]))
        return seen

    return listener, drain


def test_a_rooms_joins_and_changes_are_delivered_by_its_owner_without_a_redis_message(cluster):
    """Every socket of a room is on its owner, so nothing of it is published for other workers to decode."""
    workshop = workshop_on(cluster, 1)
    facilitator, phones = in_round(cluster, workshop, ["Ana", "Ben", "Caro"])
    listener, drain = published_on(cluster.redis_url)
    late = None
    try:
        late = attendee(cluster, workshop["code"], "Dev")  # a join: the room, the agreements, its own view
        assert facilitator.send("remove_attendee", {"attendee_id": phones[0].id})["ok"]
        assert facilitator.send("skip_timer")["ok"]
        facilitator.wait_for(lambda c: c.latest("attendee") and c.latest("attendee")["id"] == phones[0].id,
                             "the removal on the console")
        seq = facilitator.latest("room")["seq"]
        same_room([facilitator, late, *phones[1:]], seq)
        assert drain(1.0) == [], "a room's own emits stay on its owner"
    finally:
        listener.close()
        close(facilitator, *phones, *([late] if late else []))


def test_an_emit_for_sockets_elsewhere_is_published_and_one_for_the_owners_rooms_is_not(cluster):
    """The workers' manager on a real Redis: what may be held elsewhere crosses, the rest stays."""
    from workshop.shell.cluster import message_queue, owns

    here = next(c for c in "ABCDEFGHJK" if owner(c, 2) == 1)
    elsewhere = next(c for c in "ABCDEFGHJK" if owner(c, 2) == 2)
    server = socketio.Server(async_mode="threading",
                             client_manager=message_queue(cluster.redis_url, owns(1, 2)))
    listener, drain = published_on(cluster.redis_url)
    try:
        for room in (here * 6, f"{here * 6}:facilitators", f"{here * 6}:displays"):
            server.emit("notice", {"text": "stays"}, to=room)
        for room in (elsewhere * 6, f"{elsewhere * 6}:facilitators", "a-connection-held-elsewhere", None):
            server.emit("notice", {"text": "crosses"}, to=room)
        seen = drain(1.0)
        assert [m["room"] for m in seen] == [elsewhere * 6, f"{elsewhere * 6}:facilitators",
                                             "a-connection-held-elsewhere", None]
        assert {m["data"][0]["text"] for m in seen} == {"crosses"}
    finally:
        listener.close()
        server.manager.redis.close()


def test_make_clusters_own_layout_serves_workshops_over_unix_sockets_and_stops_clean():
    """What `make cluster` starts on one machine: HAProxy reaches its workers on Unix sockets.

    In a folder with a short path (a Unix socket's path holds 107 bytes; pytest's tmp_path under
    xdist is long), as instance/cluster is in a checkout.
    """
    folder = Path(tempfile.mkdtemp(prefix="cluster-"))
    running = Cluster(folder, workers=2, port=free_port(), worker_ports=[free_port(), free_port()],
                      redis_port=free_port(), env={"WORKSHOP_ORGANIZER_KEY": ORGANIZER_KEY})
    running.log = lambda text: None
    running.start()
    try:
        assert all(f"unix@{w.socket}" in (folder / "haproxy.cfg").read_text() for w in running.members)
        # `make cluster` run again in the same checkout: refused plainly before it starts anything, and
        # the first keeps its sockets and its Redis (whose configuration file is left as it was).
        conf = folder / "redis" / "redis.conf"
        written = (conf.read_text(), conf.stat().st_mtime_ns)
        again = Cluster(folder, workers=2, port=free_port(), worker_ports=[free_port(), free_port()],
                        redis_port=free_port(), env={"WORKSHOP_ORGANIZER_KEY": ORGANIZER_KEY})
        again.log = lambda text: None
        with pytest.raises(RuntimeError, match=f"already running from {folder}.*pid {os.getpid()}"):
            again.start()
        assert again.redis is None and not [w for w in again.members if w.process]
        assert (conf.read_text(), conf.stat().st_mtime_ns) == written and running.redis.poll() is None
        assert all(w.socket.is_socket() for w in running.members) and running.stats_path.is_socket()
        for worker in (1, 2):
            workshop = workshop_on(running, worker)
            facilitator, phones = in_round(running, workshop, ["Ana", "Ben"])
            same_room([facilitator, *phones], facilitator.latest("room")["seq"])
            for device in [facilitator, *phones]:
                device.close()
    finally:
        running.stop()
    assert all(w.process.poll() is not None for w in running.members) and running.haproxy.poll() is not None
    assert not [path for path in folder.rglob("*") if path.is_socket()], "a socket file was left behind"
    after = Cluster(folder, workers=2)
    after.claim_folder()  # stopped, the folder is free for the next launch
    after.claim.close()
    shutil.rmtree(folder)


def children_of(pid: int) -> list[int]:
    """Return the processes whose parent is `pid` (redis-server renames itself: its command line won't do)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(stat.parent.name))
        except (OSError, ValueError):
            continue
    return found


def free(port: int) -> bool:
    """Tell whether nothing listens on a loopback port (the launcher puts its workers at port + 101...)."""
    import socket

    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


@pytest.mark.parametrize("how", ["SIGTERM twice", "SIGTERM twice to the group", "SIGINT twice to the group",
                                 "SIGINT to the group of a launcher started with SIGINT ignored",
                                 "SIGHUP to the group, once: the terminal was closed",
                                 "SIGHUP to the group of a launcher whose terminal is gone"])
def test_the_launcher_stops_everything_however_it_is_told_and_however_often(how):
    """`make cluster` is stopped by Ctrl-C or kill, sometimes twice, and make passes its own SIGTERM on:
    whatever comes, nothing it started is left running (unsupervised) and no socket file is left."""
    import subprocess
    import sys

    folder = Path(tempfile.mkdtemp(prefix="cluster-"))
    port = next(p for p in iter(free_port, None) if p + 102 < 65536 and free(p + 101) and free(p + 102))
    command = [sys.executable, "-m", "deploy.cluster", "--workers", "2", "--bind", "127.0.0.1",
               "--port", str(port), "--redis-port", str(free_port()), "--dir", str(folder)]
    ignored, started, said = "ignored" in how, [], []
    # A real terminal for the last case: once it is closed, every print of the launcher fails (EIO).
    terminal, screen = os.openpty() if "terminal is gone" in how else (None, None)
    launcher = subprocess.Popen(
        command, cwd=Path(__file__).resolve().parent.parent,
        env={**os.environ, "WORKSHOP_ORGANIZER_KEY": ORGANIZER_KEY},
        stdout=screen or subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True,
        preexec_fn=(lambda: signal.signal(signal.SIGINT, signal.SIG_IGN)) if ignored else None)
    try:
        if terminal is not None:
            os.close(screen)
            deadline = time.monotonic() + 60
            while "Ctrl-C stops everything" not in "".join(said) and time.monotonic() < deadline:
                said.append(os.read(terminal, 4096).decode(errors="replace"))
            os.close(terminal)  # the terminal is closed: its window, or an SSH session, gone
        else:
            for line in launcher.stdout:
                said.append(line)
                if "Ctrl-C stops everything" in line:
                    break
        assert "Attendees join at: http://127.0.0.1:" in "".join(said), "the links a facilitator needs"
        started = children_of(launcher.pid)
        assert len(started) == 4, f"redis-server, two workers and HAProxy, not {started}: {''.join(said)}"
        number = next(getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP") if name in how)
        times = 2 if "twice" in how else 1
        for _ in range(times):
            if "group" in how:
                os.killpg(launcher.pid, number)
            else:
                launcher.send_signal(number)
            time.sleep(0.05)
        said.append(launcher.communicate(timeout=60)[0] or "")
        wait_until(lambda: not any(alive(pid) for pid in started), timeout=10, what="every child stopped")
        assert not [path for path in folder.rglob("*") if path.is_socket()], \
            f"a socket file was left behind: {''.join(said)}"
        after = Cluster(folder, workers=2)
        after.claim_folder()  # the folder is free for the next launch
        after.claim.close()
    finally:
        if launcher.poll() is None:
            os.killpg(launcher.pid, signal.SIGKILL)
            launcher.wait()
        for pid in started:  # left running by a launcher that failed this test
            if alive(pid):
                os.kill(pid, signal.SIGKILL)
        shutil.rmtree(folder, ignore_errors=True)


def test_a_cluster_folder_made_by_two_workers_refuses_to_start_with_another_count():
    """Each code names the worker that made it: with 3 workers, open workshops would go to the wrong one.

    Read from the codes: a folder that once ran with 3 workers but made nothing then is not held to 3."""
    folder = Path(tempfile.mkdtemp(prefix="cluster-"))

    def cluster_of(workers: int) -> Cluster:
        made = Cluster(folder, workers=workers, port=free_port(),
                       worker_ports=[free_port() for _ in range(workers)], redis_port=free_port(),
                       env={"WORKSHOP_ORGANIZER_KEY": ORGANIZER_KEY})
        made.log = lambda text: None
        return made

    try:
        empty = cluster_of(3).start(supervise=False)  # three workers, no workshop
        empty.stop()
        made = cluster_of(2).start(supervise=False)
        codes = {}
        while not any(owner(code, 3) != worker for code, worker in codes.items()):  # one that 3 would move
            worker = len(codes) % 2 + 1
            codes[workshop_on(made, worker)["code"]] = worker
        made.stop()
        for workers in (3, 1):
            other = cluster_of(workers)
            try:
                with pytest.raises(RuntimeError, match="a cluster of 2 workers: with .* would be sent to a "
                                                       "worker that does not hold .*WORKERS=2"):
                    other.start(supervise=False)
                assert other.redis is None and not [w for w in other.members if w.process], "nothing started"
            finally:
                other.stop()  # had it started after all
        again = cluster_of(2).start(supervise=False)
        try:
            for code in codes:
                assert requests.get(f"{again.url}/j/{code}", timeout=10).status_code == 200, "on its owner"
        finally:
            again.stop()
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def test_a_second_cluster_on_ports_in_use_refuses_to_start_and_names_the_port(cluster, tmp_path):
    """A readiness check cannot tell another cluster's Redis or HAProxy from ours: ports are checked first."""
    for taken in ({"redis_port": cluster.redis_port, "port": free_port()},
                  {"redis_port": free_port(), "port": cluster.port}):
        other = Cluster(tmp_path / f"other-{taken['port']}", workers=2, bind="127.0.0.1",
                        worker_ports=[free_port(), free_port()], **taken)
        other.log = lambda text: None
        what = "redis-server" if taken["redis_port"] == cluster.redis_port else "HAProxy"
        number = taken["redis_port"] if what == "redis-server" else taken["port"]
        try:
            with pytest.raises(RuntimeError, match=f"port {number} \\({what}\\) is already in use"):
                other.start(supervise=False)
            assert other.redis is None and not [w for w in other.members if w.process], "nothing started"
        finally:
            other.stop()  # had it started after all
    assert requests.get(cluster.url + "/healthz", timeout=5).status_code == 200, "the first one goes on"


def test_a_process_that_keeps_failing_at_start_is_restarted_later_and_later():
    """Restarted at once after a long run; after quick failures only after 1, 2, 4... up to 30 s."""
    from deploy.cluster import Retry

    retry = Retry()
    retry.started = time.monotonic() - 3600
    assert retry.ended() == 0 and retry.now(), "a long run: started again at once"
    waits = []
    for _ in range(8):
        retry.began()
        waits.append(retry.ended())
        assert not retry.now(), "not before its time"
    assert waits == [1, 2, 4, 8, 16, 30, 30, 30]
    retry.due = time.monotonic()
    assert retry.now() and retry.due is None
    retry.started = time.monotonic() - 3600
    assert retry.ended() == 0, "a long run again: the count starts over"


def test_a_cluster_folder_too_deep_for_a_unix_socket_still_gets_a_proxy_that_starts(tmp_path):
    deep = tmp_path / ("a-folder-with-a-long-name-" * 3) / "instance" / "cluster"
    deep.mkdir(parents=True)
    cluster = Cluster(deep, workers=2, port=free_port(), worker_ports=[free_port(), free_port()])
    try:
        config = cluster.write_proxy_config().read_text()  # runs `haproxy -c` on it
        assert len(str(cluster.stats_path)) <= 90 and f"stats socket {cluster.stats_path} " in config
        assert all(f"127.0.0.1:{w.port}" in config for w in cluster.members), "workers too deep: TCP"
    finally:
        cluster.stop()
    assert not cluster.stats_path.parent.exists()


def test_a_worker_serves_its_proxy_on_a_private_unix_socket_that_replaces_a_stale_one(tmp_path):
    import socket as sockets
    import stat

    from .support import Server

    path = tmp_path / "workshop.sock"
    stale = sockets.socket(sockets.AF_UNIX)
    stale.bind(str(path))  # what a killed server leaves: a socket file nobody answers on
    stale.close()
    stale_inode = path.stat().st_ino
    server = Server(tmp_path / "workshop.db", "--unix-socket", str(path)).start()
    try:
        assert stat.S_ISSOCK(path.stat().st_mode) and path.stat().st_ino != stale_inode, \
            "the stale file was replaced by the socket"
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, "only the server's own user may connect"
        with sockets.socket(sockets.AF_UNIX) as link:
            link.settimeout(5)
            link.connect(str(path))
            link.sendall(b"GET /healthz HTTP/1.0\r\nHost: workshop\r\n\r\n")
            answer = b""
            while chunk := link.recv(4096):
                answer += chunk
        assert answer.startswith(b"HTTP/1.1 200") and b'"ok":true' in answer
        assert requests.get(server.url + "/healthz", timeout=5).ok, "the TCP port still serves"
    finally:
        server.stop()


def test_a_unix_socket_path_naming_a_file_or_a_live_server_stops_the_new_one_and_deletes_nothing(tmp_path):
    import socket as sockets
    import subprocess
    import sys

    from .support import ROOT, Server

    def refused(path) -> str:
        run = subprocess.run([sys.executable, "-m", "workshop", "--host", "127.0.0.1",
                              "--port", str(free_port()), "--db", str(tmp_path / "other.db"),
                              "--unix-socket", str(path)],
                             cwd=ROOT, capture_output=True, text=True, timeout=30,
                             env={**os.environ, "WORKSHOP_INSTANCE": str(tmp_path / "instance")})
        assert run.returncode != 0
        return run.stderr

    mistyped = tmp_path / "workshop.db"
    mistyped.write_bytes(b"SQLite format 3\x00 precious")
    assert "it is a file, not a socket" in refused(mistyped)
    assert mistyped.read_bytes() == b"SQLite format 3\x00 precious", "the file is untouched"

    path = tmp_path / "live.sock"
    server = Server(tmp_path / "live.db", "--unix-socket", str(path)).start()
    try:
        assert "a server is answering there" in refused(path)
        with sockets.socket(sockets.AF_UNIX) as link:
            link.settimeout(5)
            link.connect(str(path))  # the first server still has its socket
        assert not (tmp_path / "other.db").exists(), "the second server stopped before its database"
    finally:
        server.stop()
