"""Limits that stop abusers, never a room: one budget of wrong codes per address, shared by every route.

The guard's arithmetic is checked with time passed in; the routes with an in-process app whose
budget is small and fast; a venue of 200 phones behind one address, and probing, on a real server.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

import pytest
import requests
import socketio as sio

from workshop.core.limits import CodeGuard, Crowded, address_key
from workshop.shell.codes import CODE_ALPHABET
from workshop.shell.keys import is_join_key, join_key

from .in_process import Socket, create_workshop, join, make_app
from .support import ROOT, Server, facilitator


class Clock:
    """Time that moves only when someone sleeps."""

    def __init__(self):
        self.now, self.slept = 0.0, []

    def sleep(self, seconds):
        self.slept.append(seconds)
        self.now += seconds


def guard(**kwargs) -> tuple[CodeGuard, Clock]:
    clock = Clock()
    return CodeGuard(clock=lambda: clock.now, sleep=clock.sleep, **kwargs), clock


class HeldClock:
    """time.monotonic, except that it stands still while held and then runs on from where it stood."""

    def __init__(self):
        self.lost, self.stood = 0.0, None

    def __call__(self) -> float:
        return self.stood if self.stood is not None else time.monotonic() - self.lost

    @contextmanager
    def held(self):
        self.stood = self()
        try:
            yield
        finally:
            self.lost, self.stood = time.monotonic() - self.stood, None


RIGHT, WRXNG = (lambda: ("right", True)), (lambda: ("wrong", False))


def test_right_codes_spend_nothing_and_wrong_ones_within_the_burst_are_answered_at_once():
    codes, clock = guard(burst=30, per_second=0.5)
    assert [codes.check("venue", RIGHT) for _ in range(500)] == ["right"] * 500
    assert [codes.check("venue", WRXNG) for _ in range(30)] == ["wrong"] * 30
    assert clock.slept == []


def test_once_the_budget_is_spent_right_and_wrong_codes_wait_the_same_turn():
    waits = []
    for attempt, answer in ((RIGHT, "right"), (WRXNG, "wrong")):
        codes, clock = guard(burst=30, per_second=0.5)
        for _ in range(30):
            codes.check("venue", WRXNG)
        assert codes.check("venue", attempt) == answer  # a right code is delayed, never refused
        waits.append(clock.slept)
    assert waits[0] == waits[1] == [pytest.approx(2.0)]


def test_past_the_queue_a_check_is_refused_without_looking_at_the_code():
    codes, _ = guard(burst=2, per_second=0.5, max_held=3)
    for _ in range(2):
        codes.check("venue", WRXNG)
    for _ in range(3):  # three checks now wait their turn
        codes._reserve("venue")
    looked = []
    with pytest.raises(Crowded) as crowded:
        codes.check("venue", lambda: looked.append(1) or ("right", True))
    assert looked == [] and crowded.value.retry_after >= 8


def test_a_check_that_fails_on_its_own_spends_nothing():
    codes, clock = guard(burst=1, per_second=0.5)

    def broken():
        raise ValueError("bad body")

    with pytest.raises(ValueError):
        codes.check("venue", broken)
    assert codes.check("venue", WRXNG) == "wrong" and clock.slept == []


def test_each_address_has_its_own_budget_and_an_ipv6_network_is_one_address():
    codes, clock = guard(burst=1, per_second=0.5)
    codes.check(address_key("2001:db8:1:2::1"), WRXNG)
    codes.check(address_key("2001:db8:1:2:ffff::9"), WRXNG)  # same /64: waits
    codes.check(address_key("198.51.100.7"), WRXNG)  # another address: at once
    assert clock.slept == [pytest.approx(2.0)]
    assert address_key("::ffff:198.51.100.7") == "198.51.100.7"


def test_the_table_of_budgets_stays_bounded():
    codes, clock = guard(burst=1, per_second=0.5, max_keys=100)
    for i in range(1000):
        codes.check(f"10.0.{i // 250}.{i % 250}", WRXNG)
    assert len(codes.budgets) <= 100


# -- the routes, in process ------------------------------------------------------------------------

FAST = {"codes": {"burst": 3, "per_second": 5, "max_held": 2},
        "creations": {"burst": 2, "per_second": 0.001}}


@pytest.fixture
def fast(tmp_path):
    app = make_app(tmp_path, PROXY_HOPS=1, LIMITS=FAST)
    yield app
    app.extensions["workshop"].stop()


def start(app, address="192.0.2.1") -> dict:
    answer = app.test_client().post("/api/workshops", json={"agenda": "quick-connect",
                                                             "organizer_key": "organizer-key-for-tests"},
                                    headers={"X-Forwarded-For": address})
    assert answer.status_code == 201, answer.get_json()
    return answer.get_json()


QUICK = {"agenda": "quick-connect"}


def from_address(address):
    return {"X-Forwarded-For": address}


def test_a_correct_code_is_never_refused_because_of_earlier_wrong_ones(fast):
    code = start(fast)["code"]
    client = fast.test_client()
    for i in range(12):  # far past the budget, one at a time as a person would
        wrong = client.post("/api/join", json={"code": "WRXNG" + CODE_ALPHABET[i], "name": "Typo"},
                            headers=from_address("203.0.113.5"))
        assert wrong.status_code == 404
    began = time.monotonic()
    right = client.post("/api/join", json={"code": code, "name": "Ana"}, headers=from_address("203.0.113.5"))
    assert right.status_code == 201 and time.monotonic() - began >= 0.1  # waited its turn


def test_every_page_that_tells_codes_apart_shares_one_budget(fast):
    start(fast)
    client, where = fast.test_client(), from_address("203.0.113.9")
    codes = fast.extensions["workshop"].code_guard
    clock = codes.clock = HeldClock()
    with clock.held():  # nothing refills while the three pages answer, however busy the machine
        assert client.get("/j/WRXNG2", headers=where).status_code == 404
        assert client.get("/j/WRXNG3?k=0123456789abcdef0123", headers=where).status_code == 404  # wrong key
        assert client.post("/api/join", json={"code": "WRXNG4", "name": "Ana"},
                           headers=where).status_code == 404
    assert codes.budgets[address_key("203.0.113.9")].tokens == pytest.approx(0, abs=0.5)
    began = time.monotonic()  # the socket's share is checked against a real server below
    assert client.get("/j/WRXNG5", headers=where).status_code == 404 and time.monotonic() - began >= 0.1


def test_past_the_queue_every_route_answers_429_without_looking(fast):
    code = start(fast)["code"]
    codes = fast.extensions["workshop"].code_guard
    where = from_address("203.0.113.7")
    for _ in range(3):
        fast.test_client().get("/j/WRXNG5", headers=where)
    for _ in range(2):
        codes._reserve(address_key("203.0.113.7"))  # two checks already wait their turn
    client = fast.test_client()
    for answer in (client.get(f"/j/{code}", headers=where), client.get("/j/WRXNG6", headers=where),
                   client.post("/api/join", json={"code": code, "name": "Ana"}, headers=where)):
        assert answer.status_code == 429 and int(answer.headers["Retry-After"]) >= 1
        assert "Your network is very busy: scan the QR code or open the link instead" \
            in answer.get_data(as_text=True)
    assert client.post("/api/join", json={"code": code, "name": "Ana"}, headers=where).get_json()["code"] \
        == "rate_limited"


def test_routes_that_need_not_know_whether_a_code_exists_do_not_tell(fast):
    code = start(fast)["code"]
    client = fast.test_client()
    real, made_up = client.get(f"/j/{code}/qr.svg"), client.get("/j/WRXNG7/qr.svg")
    assert real.status_code == made_up.status_code == 200
    assert real.mimetype == made_up.mimetype == "image/svg+xml" and b"WRXNG7" in made_up.data
    for asked in (code, "WRXNG7"):
        answer = client.get(f"/join?code={asked.lower()}")
        assert answer.status_code == 303 and answer.headers["Location"].endswith(f"/j/{asked}")
    assert fast.extensions["workshop"].code_guard.budgets == {}


def test_a_wrong_room_and_a_wrong_token_in_a_real_room_get_the_same_answer(app, client):
    workshop = create_workshop(client)
    token = join(client, workshop["code"], "Ana")["token"]
    refusals = []
    for code, tok in (("WRXNG8", token), (workshop["code"], "t" * 32), ("WRXNG9", "t" * 32)):
        phone = Socket(app, {"role": "attendee", "code": code, "token": tok})
        assert not phone.connected
        refusals.append(phone.refused)
    assert refusals[0] == refusals[1] == refusals[2]
    assert refusals[0]["data"]["code"] == "unknown_attendee"


# -- creating workshops -------------------------------------------------------------------------------

def test_creating_workshops_is_limited_per_address_but_not_for_the_organizer(fast):
    client = fast.test_client()
    made = [client.post("/api/workshops", json=QUICK, headers=from_address("198.51.100.1")) for _ in range(3)]
    assert [m.status_code for m in made] == [201, 201, 429]
    assert made[2].get_json()["code"] == "rate_limited" and int(made[2].headers["Retry-After"]) > 0
    page = client.post("/workshops", data={"agenda": "quick-connect"}, headers=from_address("198.51.100.1"))
    assert page.status_code == 429
    other = client.post("/api/workshops", json=QUICK, headers=from_address("198.51.100.2"))
    assert other.status_code == 201
    start(fast, "198.51.100.1")  # the organizer key is not limited


def test_open_rooms_are_capped(tmp_path):
    app = make_app(tmp_path, MAX_ROOMS=2)
    try:
        answers = [app.test_client().post("/api/workshops", json=QUICK) for _ in range(3)]
        assert [a.status_code for a in answers] == [201, 201, 503]
        assert answers[2].get_json()["code"] == "server_full"
    finally:
        app.extensions["workshop"].stop()


@pytest.fixture
def keyed(tmp_path):
    app = make_app(tmp_path, REQUIRE_ORGANIZER_KEY=True)
    yield app
    app.extensions["workshop"].stop()


def test_a_server_that_requires_the_organizer_key_starts_workshops_only_with_it(keyed):
    client = keyed.test_client()
    assert client.post("/api/workshops", json={"agenda": "quick-connect"}).get_json()["code"] \
        == "organizer_key_required"
    assert client.post("/api/workshops", json={"agenda": "quick-connect", "organizer_key": "nope"}) \
        .status_code == 403
    assert client.post("/api/workshops", json={"agenda": "quick-connect",
                                               "organizer_key": "organizer-key-for-tests"}).status_code == 201
    assert 'name="organizer_key"' in client.get("/").get_data(as_text=True)
    assert client.post("/workshops", data={"agenda": "quick-connect"}).status_code == 403
    with_key = {"agenda": "quick-connect", "organizer_key": "organizer-key-for-tests"}
    assert client.post("/workshops", data=with_key).status_code == 303
    # A signed-in organizer needs no key on the page or the API.
    client.post("/organizer", data={"key": "organizer-key-for-tests"})
    assert 'name="organizer_key"' not in client.get("/").get_data(as_text=True)
    assert client.post("/workshops", data={"agenda": "quick-connect"}).status_code == 303
    assert client.post("/api/workshops", json={"agenda": "quick-connect"}).status_code == 201


def test_the_setting_is_documented_in_help_and_readme():
    shown = subprocess.run([sys.executable, "-m", "workshop", "--help"], cwd=ROOT, capture_output=True,
                           text=True, timeout=60).stdout
    assert "--require-organizer-key" in shown and "WORKSHOP_REQUIRE_ORGANIZER_KEY" in shown
    assert "WORKSHOP_REQUIRE_ORGANIZER_KEY" in (ROOT / "README.md").read_text()


@pytest.mark.server
def test_the_setting_is_read_from_the_environment_by_a_real_server(tmp_path):
    server = Server(tmp_path / "env.db", env={"WORKSHOP_REQUIRE_ORGANIZER_KEY": "1"}).start()
    try:
        refused = requests.post(server.url + "/api/workshops", json={"agenda": "quick-connect"}, timeout=5)
        assert refused.status_code == 403
        assert server.create_workshop()["code"]  # with the key
    finally:
        server.stop()


# -- a venue, and a prober, against a real server ------------------------------------------------------

@pytest.fixture
def venue(tmp_path):
    server = Server(tmp_path / "venue.db", env={"WORKSHOP_PROXY_HOPS": "1"}).start()
    yield server
    server.stop()


async def phones_join_and_connect(url: str, code: str, count: int, typos: int) -> dict:
    """Have `count` phones join through one address; `typos` of them first mistype the code twice."""
    import aiohttp

    results = {"joined": 0, "connected": 0, "slowest_s": 0.0, "refused": []}
    wrong = [c + code[1:] for c in CODE_ALPHABET if c != code[0]]

    async def phone(i, session):
        began = time.monotonic()
        if i < typos:
            for attempt in range(2):
                typo = {"code": wrong[(2 * i + attempt) % len(wrong)], "name": f"T{i}"}
                async with session.post(f"{url}/api/join", json=typo) as answer:
                    assert answer.status == 404, await answer.text()
        async with session.post(f"{url}/api/join", json={"code": code, "name": f"P{i}"}) as answer:
            if answer.status != 201:
                results["refused"].append((answer.status, await answer.text()))
                return
            token = (await answer.json())["token"]
        results["joined"] += 1
        client = sio.AsyncClient(reconnection=False)
        try:
            await client.connect(url, auth={"role": "attendee", "code": code, "token": token},
                                 transports=["websocket"], wait_timeout=10)
            results["connected"] += 1
        finally:
            await client.disconnect()
        results["slowest_s"] = max(results["slowest_s"], time.monotonic() - began)

    async with aiohttp.ClientSession(headers={"X-Forwarded-For": "203.0.113.50"}) as session:
        await asyncio.gather(*(phone(i, session) for i in range(count)))
    return results


@pytest.mark.server
def test_two_hundred_phones_behind_one_address_all_join_while_ten_mistype(venue):
    workshop = venue.create_workshop()
    results = asyncio.run(asyncio.wait_for(
        phones_join_and_connect(venue.url, workshop["code"], 200, typos=10), timeout=90))
    assert results["refused"] == []
    assert results["joined"] == 200 and results["connected"] == 200
    console = facilitator(venue, workshop)
    try:
        assert len(console.latest("console")["attendees"]) == 200
    finally:
        console.close()


@pytest.mark.server
def test_probing_codes_from_one_address_is_bounded_and_another_address_is_not_slowed(venue):
    workshop = venue.create_workshop()
    prober = {"X-Forwarded-For": "198.51.100.66"}
    routes = ["/j/{}", "/j/{}?k=0123456789abcdef0123", "join"]  # a wrong join key is no key

    def probe(i):
        code = "Q" + "".join(CODE_ALPHABET[(i * 7 + k) % 31] for k in range(5))
        route = routes[i % 3]
        began = time.monotonic()
        try:
            if route == "join":
                answer = requests.post(venue.url + "/api/join", json={"code": code, "name": "X"},
                                       headers=prober, timeout=4)
            else:
                answer = requests.get(venue.url + route.format(code), headers=prober, timeout=4,
                                      allow_redirects=False)
        except requests.Timeout:
            return "held", time.monotonic() - began
        return answer.status_code, time.monotonic() - began

    began = time.monotonic()
    first = [probe(i) for i in range(30)]
    assert {status for status, _ in first} == {404} and time.monotonic() - began < 10
    # The socket connect shares the budget: spent by the pages and the API, it now waits its turn.
    client = sio.Client(reconnection=False)
    began = time.monotonic()
    with pytest.raises(sio.exceptions.ConnectionError):
        client.connect(venue.url, auth={"role": "attendee", "code": "WRXNG9", "token": "t" * 32},
                       headers=prober, transports=["websocket"], wait_timeout=5)
    assert time.monotonic() - began >= 1.5
    with ThreadPoolExecutor(max_workers=14) as pool:
        second = list(pool.map(probe, range(30, 44)))
    answered_at_once = [s for s, took in second if s == 429 and took < 1.0]
    held = [(s, took) for s, took in second if s != 429]
    assert len(answered_at_once) == 4  # past the 10 that may wait, refused without a look
    assert len(held) == 10 and all(took >= 1.5 for _, took in held)  # one every 2 s, the rest timed out
    # Meanwhile another address is answered at once, and a right code from it is taken.
    quick = time.monotonic()
    answer = requests.post(venue.url + "/api/join", json={"code": workshop["code"], "name": "Ana"},
                           headers={"X-Forwarded-For": "198.51.100.67"}, timeout=5)
    assert answer.status_code == 201 and time.monotonic() - quick < 1.0


# -- secrets first: the join key, a token, and pages that look nothing up ---------------------------

def test_a_join_key_is_derived_from_the_code_alone_and_nothing_else_passes_for_it():
    key = join_key("server-secret", "K7QF3M")
    assert len(key) == 20 and set(key) <= set("0123456789abcdef")
    assert key == join_key("server-secret", "K7QF3M")
    assert key not in (join_key("server-secret", "K7QF3N"), join_key("another-secret", "K7QF3M"))
    assert is_join_key("server-secret", "K7QF3M", key) and is_join_key("server-secret", "K7QF3M", key.upper())
    for wrong in (None, "", 42, key[:-1], join_key("server-secret", "K7QF3N"), key + "0"):
        assert not is_join_key("server-secret", "K7QF3M", wrong)


def crowd(app, address: str) -> None:
    """Spend an address's budget and fill its queue, as a guesser on the venue's network does."""
    codes = app.extensions["workshop"].code_guard
    for _ in range(3):
        app.test_client().get("/j/WRXNG5", headers=from_address(address))
    for _ in range(2):
        codes._reserve(address_key(address))  # two checks already wait their turn


def key_of(app, code: str) -> str:
    return join_key(app.config["SECRET_KEY"], code)


def test_the_link_and_the_qr_codes_key_let_a_phone_in_at_once_while_its_network_is_crowded(fast):
    code = start(fast)["code"]
    crowd(fast, "203.0.113.20")
    client, where, key = fast.test_client(), from_address("203.0.113.20"), key_of(fast, code)
    began = time.monotonic()
    page = client.get(f"/j/{code}?k={key}", headers=where)
    joined = client.post("/api/join", json={"code": code, "name": "Ana", "join_key": key}, headers=where)
    assert page.status_code == 200 and f'data-join-key="{key}"' in page.get_data(as_text=True)
    assert joined.status_code == 201 and time.monotonic() - began < 0.1
    # The key names a code, not a room: for a code no workshop has, it gets the one "no open workshop".
    assert client.get(f"/j/WRXNG2?k={key_of(fast, 'WRXNG2')}", headers=where).status_code == 404


def test_a_wrong_join_key_is_no_key_and_gets_the_very_same_answers(fast):
    code = start(fast)["code"]
    crowd(fast, "203.0.113.21")
    client, where = fast.test_client(), from_address("203.0.113.21")
    for wrong in ("", "0123456789abcdef0123", key_of(fast, "WRXNG2")):
        page = client.get(f"/j/{code}?k={wrong}", headers=where)
        bare = client.get(f"/j/{code}", headers=where)
        assert page.status_code == bare.status_code == 429 and page.data == bare.data
        body = {"code": code, "name": "Ana"}
        keyed = client.post("/api/join", json={**body, "join_key": wrong or None}, headers=where)
        plain = client.post("/api/join", json=body, headers=where)
        assert keyed.status_code == plain.status_code == 429 and keyed.get_json() == plain.get_json()


def test_a_typed_code_is_slowed_and_the_page_says_to_scan_the_qr_code_instead(fast):
    code = start(fast)["code"]
    client, where = fast.test_client(), from_address("203.0.113.22")
    for _ in range(3):
        client.get("/j/WRXNG5", headers=where)
    began = time.monotonic()
    wrong = client.get("/j/WRXNG6", headers=where).get_data(as_text=True)  # held, then answered
    assert time.monotonic() - began >= 0.1
    assert 'id="join-busy"' in wrong and "scan the QR code or open the link instead" in wrong
    right = client.get(f"/j/{code}", headers=where)  # held too, then the room's page, with its key
    assert right.status_code == 200
    assert f'data-join-key="{key_of(fast, code)}"' in right.get_data(as_text=True)
    calm = fast.test_client().get("/j/WRXNG7", headers=from_address("203.0.113.23")).get_data(as_text=True)
    assert 'id="join-busy"' not in calm  # a quiet network is not told to hurry


def test_the_qr_code_carries_the_join_key_only_when_asked_with_it(fast):
    from .test_links import qr_svg

    code = start(fast)["code"]
    client, key = fast.test_client(), key_of(fast, code)
    keyed = client.get(f"/j/{code}/qr.svg?k={key}").data
    assert keyed == qr_svg(f"http://localhost/j/{code}?k={key}", code)
    for wrong in ("", "?k=0123456789abcdef0123", f"?k={key_of(fast, 'WRXNG2')}"):
        assert client.get(f"/j/{code}/qr.svg{wrong}").data == qr_svg(f"http://localhost/j/{code}", code)
    assert fast.extensions["workshop"].code_guard.budgets == {}


def test_console_and_projector_pages_are_the_same_for_real_ended_and_wrong_codes(fast):
    from workshop.shell.events import socketio

    open_room, ended = start(fast), start(fast)
    console = socketio.test_client(fast, auth={"role": "facilitator", "code": ended["code"],
                                               "key": ended["facilitator_key"]})
    assert console.emit("end_workshop", {}, callback=True) == {"ok": True}
    console.disconnect()
    client, where = fast.test_client(), from_address("203.0.113.24")
    for page in ("/facilitate/{}", "/p/{}"):
        answers = []
        for code in (open_room["code"], ended["code"], "WRXNG3"):
            answer = client.get(page.format(code), headers=where)
            answers.append((answer.status_code, answer.data.replace(code.encode(), b"<CODE>")))
        assert answers[0] == answers[1] == answers[2] and answers[0][0] == 200, page
        assert client.get(page.format("WRXNG"), headers=where).status_code == 404  # malformed
    assert fast.extensions["workshop"].code_guard.budgets == {}  # they are no code checks


@pytest.mark.server
def test_a_token_of_the_room_connects_at_once_while_its_network_is_crowded(venue):
    workshop = venue.create_workshop()
    crowded = {"X-Forwarded-For": "203.0.113.25"}
    token = requests.post(venue.url + "/api/join", json={"code": workshop["code"], "name": "Ana"},
                          headers=crowded, timeout=5).json()["token"]
    for i in range(31):  # spend the address's budget on the socket, with tokens that name nothing
        client, began = sio.Client(reconnection=False), time.monotonic()
        with pytest.raises(sio.exceptions.ConnectionError):
            wrong = {"role": "attendee", "code": workshop["code"], "token": f"t{i:031d}"}
            client.connect(venue.url, auth=wrong, headers=crowded, transports=["websocket"], wait_timeout=5)
    assert time.monotonic() - began >= 1.5  # the last wrong token waited its turn
    phone = sio.Client(reconnection=False)
    began = time.monotonic()
    phone.connect(venue.url, auth={"role": "attendee", "code": workshop["code"], "token": token},
                  headers=crowded, transports=["websocket"], wait_timeout=5)
    try:
        assert phone.connected and time.monotonic() - began < 1.0
    finally:
        phone.disconnect()


async def guessers_and_phones(url: str, code: str, key: str, loops: int, phones: int, typed: int) -> dict:
    """Run `loops` parallel wrong-code loops while phones join by the link and others type the code.

    Everyone shares one address, as at a venue behind one NAT address.
    """
    import aiohttp

    results = {"guesses": {}, "joined": [], "connected": 0, "refused": [], "typed": []}
    stop = asyncio.Event()
    wrong = [c + code[1:] for c in CODE_ALPHABET if c != code[0]]

    async def guess(i, session):
        n = i
        while not stop.is_set():
            n += loops
            guessed = wrong[n % len(wrong)]
            try:
                if n % 2:
                    request = session.get(f"{url}/j/{guessed}", timeout=aiohttp.ClientTimeout(total=25))
                else:
                    request = session.post(f"{url}/api/join", json={"code": guessed, "name": "X"},
                                           timeout=aiohttp.ClientTimeout(total=25))
                async with request as answer:
                    await answer.read()
                    results["guesses"][answer.status] = results["guesses"].get(answer.status, 0) + 1
            except TimeoutError:
                results["guesses"]["held"] = results["guesses"].get("held", 0) + 1

    async def phone(i, session):
        began = time.monotonic()
        async with session.get(f"{url}/j/{code}?k={key}") as page:  # scanned the QR code
            text = await page.text()
        body = {"code": code, "name": f"P{i}", "join_key": key}
        async with session.post(f"{url}/api/join", json=body) as answer:
            if page.status != 200 or f'data-join-key="{key}"' not in text or answer.status != 201:
                results["refused"].append((page.status, answer.status))
                return
            token = (await answer.json())["token"]
        client = sio.AsyncClient(reconnection=False)
        try:
            await client.connect(url, auth={"role": "attendee", "code": code, "token": token},
                                 headers={"X-Forwarded-For": "203.0.113.60"}, transports=["websocket"],
                                 wait_timeout=10)
            results["connected"] += 1
        finally:
            await client.disconnect()
        results["joined"].append(time.monotonic() - began)

    async def typist(session):
        try:
            async with session.get(f"{url}/j/{code}", timeout=aiohttp.ClientTimeout(total=3)) as page:
                results["typed"].append((page.status, await page.text()))
        except TimeoutError:
            results["typed"].append(("held", ""))

    async with aiohttp.ClientSession(headers={"X-Forwarded-For": "203.0.113.60"}) as session:
        guessers = [asyncio.create_task(guess(i, session)) for i in range(loops)]
        await asyncio.sleep(3)  # the budget is spent and the queue full before anyone arrives
        assert results["guesses"].get(429, 0) > 0, results["guesses"]
        began = time.monotonic()
        await asyncio.gather(*(phone(i, session) for i in range(phones)),
                             *(typist(session) for _ in range(typed)))
        results["all_in_s"] = time.monotonic() - began
        stop.set()
        for task in guessers:
            task.cancel()
        await asyncio.gather(*guessers, return_exceptions=True)
    return results


@pytest.mark.server
def test_a_guesser_on_the_venues_address_stops_no_phone_that_has_the_link(venue):
    workshop = venue.create_workshop()
    key = workshop["join_url"].rsplit("?k=", 1)[1]
    results = asyncio.run(asyncio.wait_for(
        guessers_and_phones(venue.url, workshop["code"], key, loops=12, phones=20, typed=5), timeout=60))
    print(f"\nguesses answered: {results['guesses']}; 20 linked phones all in after "
          f"{results['all_in_s']:.2f} s, slowest {max(results['joined']):.2f} s; "
          f"typed: {[status for status, _ in results['typed']]}")
    assert results["refused"] == [] and len(results["joined"]) == 20 and results["connected"] == 20
    assert max(results["joined"]) < 2.0
    # Who typed the bare code waits or is turned away, and the page says what to do instead.
    for status, text in results["typed"]:
        assert status == "held" or (status == 429 and "scan the QR code or open the link instead" in text)
