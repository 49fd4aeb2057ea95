"""Links phones can open: the address in join links, QR codes, console and report links, and the warning."""


import io
import ipaddress
import re

import pytest
import requests
import segno
from markupsafe import escape

from workshop.shell import links
from workshop.shell.keys import join_key

from .support import Phone, Server, facilitator

LAN = "http://192.168.1.23:5000"


def qr_svg(url: str, code: str) -> bytes:
    """Draw a join link as the server draws it, to compare with what it served."""
    out = io.BytesIO()
    segno.make(url, error="m").save(out, kind="svg", scale=8, border=2, dark="#1f2a37", light="#ffffff",
                                    title=f"QR code to join workshop {code}")
    return out.getvalue()


def key_of(app, code: str) -> str:
    """Return a room's join key as the app derives it."""
    return join_key(app.config["SECRET_KEY"], code)


def join_key_in(url: str) -> str:
    """Return the join key a join link carries, checking its shape."""
    assert re.fullmatch(r"[^?#]+/j/[A-Z2-9]{6}\?k=[0-9a-f]{20}", url), url
    return url.rsplit("=", 1)[1]


# -- the pure rules ----------------------------------------------------------------------------

@pytest.mark.parametrize("host, loopback", [
    ("127.0.0.1", True), ("127.4.5.6", True), ("localhost", True), ("LocalHost", True),
    ("app.localhost", True), ("::1", True), ("[::1]", True), ("0.0.0.0", True), ("::", True),
    ("192.168.1.23", False), ("10.0.0.5", False), ("172.20.10.2", False), ("192.0.2.2", False),
    ("fe80::1", False), ("laptop.local", False), ("workshop.example.org", False),
])
def test_only_this_machines_own_names_count_as_loopback(host, loopback):
    assert links.is_loopback(host) is loopback


@pytest.mark.parametrize("address, usable", [
    ("192.168.1.23", True), ("10.1.2.3", True), ("172.16.0.9", True), ("192.0.2.2", True),
    ("127.0.0.1", False), ("0.0.0.0", False), ("169.254.10.20", False), ("fe80::1", False),
    ("224.0.0.1", False), ("::1", False), ("not an address", False), ("", False),
])
def test_phones_can_use_neither_loopback_nor_link_local_nor_multicast_addresses(address, usable):
    assert links.usable(address) is usable


@pytest.mark.parametrize("url, host", [
    ("http://127.0.0.1:5000/", "127.0.0.1"), ("http://[::1]:5000/", "::1"), ("127.0.0.1:5000", "127.0.0.1"),
    ("https://Workshop.Example.org", "workshop.example.org"), ("http://192.168.1.23:5000", "192.168.1.23"),
])
def test_a_links_host_is_read_without_port_or_brackets(url, host):
    assert links.host_of(url) == host


@pytest.mark.parametrize("listen_host, found, expected", [
    ("0.0.0.0", "192.168.1.23", "http://192.168.1.23:5000"),
    ("::", "10.0.0.5", "http://10.0.0.5:5000"),
    ("", "10.0.0.5", "http://10.0.0.5:5000"),
    ("0.0.0.0", None, None),
    ("192.168.1.23", None, "http://192.168.1.23:5000"),
    ("fd00::5", None, "http://[fd00::5]:5000"),
    ("laptop.local", None, "http://laptop.local:5000"),
    ("127.0.0.1", "192.168.1.23", None),
    ("localhost", "192.168.1.23", None),
])
def test_the_lan_link_comes_from_the_listening_address_or_the_address_found(listen_host, found, expected):
    asked = []

    def detect():
        asked.append(True)
        return found

    assert links.lan_url(listen_host, 5000, detect) == expected
    assert bool(asked) == (listen_host in ("0.0.0.0", "::", "")), "detection only when listening everywhere"


@pytest.mark.parametrize("public, request_url, lan, expected", [
    ("https://w.example.org/", "http://127.0.0.1:5000/", LAN, "https://w.example.org"),
    ("https://w.example.org", "http://192.168.1.23:5000/", None, "https://w.example.org"),
    (None, "http://127.0.0.1:5000/", LAN, LAN),
    (None, "http://localhost:5000/", LAN, LAN),
    (None, "http://[::1]:5000/", LAN, LAN),
    (None, "http://0.0.0.0:5000/", LAN, LAN),
    (None, "http://192.168.1.23:5000/", LAN, LAN),
    (None, "https://h2h.example.org/", LAN, "https://h2h.example.org"),
    (None, "http://laptop.local:5000/", LAN, "http://laptop.local:5000"),
    (None, "http://127.0.0.1:5000/", None, "http://127.0.0.1:5000"),
])
def test_the_public_url_wins_then_the_browsers_address_unless_loopback(public, request_url, lan, expected):
    assert links.choose_base(public, request_url, lan) == expected


@pytest.mark.parametrize("base, listen_host, says", [
    (LAN, "0.0.0.0", None),
    ("https://w.example.org", "127.0.0.1", None),
    ("http://127.0.0.1:5000", "0.0.0.0", "connect this laptop to the venue's Wi-Fi and restart the server"),
    ("http://127.0.0.1:5000", None, "connect this laptop to the venue's Wi-Fi"),
    ("http://127.0.0.1:5000", "127.0.0.1", "restart the server with --host 0.0.0.0"),
    ("http://localhost:5000", "localhost", "restart the server with --host 0.0.0.0"),
])
def test_a_loopback_link_comes_with_a_plain_warning_and_what_to_do(base, listen_host, says):
    warning = links.advice(base, listen_host)
    if says is None:
        assert warning is None
    else:
        assert warning.startswith(f"Phones can't reach this address: {base} opens only on this laptop.")
        assert says in warning and "WORKSHOP_PUBLIC_URL" in warning


@pytest.mark.parametrize("sources, expected", [
    (([], ["10.0.0.5"]), "10.0.0.5"),
    ((["192.168.1.23"], ["172.17.0.1"]), "192.168.1.23"),
    ((["127.0.0.1"], ["127.0.1.1", "169.254.3.4", "192.168.1.23"]), "192.168.1.23"),
    (([], ["127.0.0.1", "127.0.1.1"]), None),
    (([], []), None),
])
def test_the_routing_tables_answer_comes_first_then_the_interfaces(sources, expected):
    assert links.lan_address(tuple(lambda found=found: found for found in sources)) == expected


def test_finding_the_lan_address_names_no_real_outside_address():
    assert all(ipaddress.ip_address(probe).is_private for probe in links.PROBES)


def test_this_machine_has_a_lan_address_phones_could_open():
    found = links.lan_address()
    assert found is not None and links.usable(found), "these tests need one non-loopback interface"


def test_the_interfaces_alone_find_that_address_when_no_route_answers():
    assert links.lan_address((links.interface_addresses,)) == links.lan_address((links.routed_addresses,))


# -- in the app: every link from one place ---------------------------------------------------

@pytest.fixture
def workshop(client):
    response = client.post("/api/workshops", json={"agenda": "quick-connect"},
                           base_url="http://127.0.0.1:5000")
    assert response.status_code == 201
    return response.get_json()


def test_a_facilitator_on_localhost_gets_links_with_the_lan_address(app, client):
    app.config["LAN_URL"] = LAN
    made = client.post("/api/workshops", json={"agenda": "quick-connect"}, base_url="http://127.0.0.1:5000")
    body = made.get_json()
    key = key_of(app, body["code"])
    assert body["join_url"] == f"{LAN}/j/{body['code']}?k={key}"
    assert body["console_url"].startswith(f"{LAN}/facilitate/{body['code']}#key=")

    page = client.get(f"/facilitate/{body['code']}", base_url="http://localhost:5000").get_data(as_text=True)
    assert f'href="{LAN}/j/{body["code"]}"' in page and f'data-base-url="{LAN}"' in page
    assert "Phones can't reach" not in page and key not in page  # the page is alike for any code
    qr = client.get(f"/j/{body['code']}/qr.svg?k={key}", base_url="http://127.0.0.1:5000").get_data()
    assert qr == qr_svg(f"{LAN}/j/{body['code']}?k={key}", body["code"])


def test_a_browser_on_the_lan_address_gets_links_with_that_address(app, client, workshop):
    app.config["LAN_URL"] = LAN
    page = client.get(f"/facilitate/{workshop['code']}", base_url="http://laptop.local:5000")
    assert f'href="http://laptop.local:5000/j/{workshop["code"]}"' in page.get_data(as_text=True)


def test_the_public_url_wins_over_the_lan_address(app, client, workshop):
    app.config.update(LAN_URL=LAN, PUBLIC_URL="https://h2h.example.org")
    page = client.get(f"/facilitate/{workshop['code']}", base_url="http://127.0.0.1:5000").get_data(as_text=True)
    assert f'href="https://h2h.example.org/j/{workshop["code"]}"' in page
    key = key_of(app, workshop["code"])
    qr = client.get(f"/j/{workshop['code']}/qr.svg?k={key}", base_url="http://127.0.0.1:5000").get_data()
    assert qr == qr_svg(f"https://h2h.example.org/j/{workshop['code']}?k={key}", workshop["code"])


def test_the_console_warns_plainly_when_phones_cannot_reach_the_join_link(app, client, workshop):
    app.config["LAN_URL"] = None
    page = client.get(f"/facilitate/{workshop['code']}", base_url="http://127.0.0.1:5000").get_data(as_text=True)
    assert 'id="reach-warning"' in page
    assert str(escape("Phones can't reach this address: http://127.0.0.1:5000 opens only on this laptop. "
                       "To let them in, connect this laptop to the venue's Wi-Fi and restart the server, "
                       "or set WORKSHOP_PUBLIC_URL.")) in page


def test_the_console_payload_and_the_report_link_carry_the_lan_address(app, workshop):
    from workshop.shell.events import socketio

    app.config["LAN_URL"] = LAN
    console = socketio.test_client(app, auth={"role": "facilitator", "code": workshop["code"],
                                              "key": workshop["facilitator_key"]})
    try:
        payload = next(e["args"][0] for e in console.get_received() if e["name"] == "console")
    finally:
        console.disconnect()
    assert payload["join_url"] == f"{LAN}/j/{workshop['code']}?k={key_of(app, workshop['code'])}"
    assert payload["report_url"].startswith(f"{LAN}/reports/{workshop['code']}#key=")


# -- a real server, as `make run` starts it -------------------------------------------------

@pytest.fixture(scope="module")
def everywhere(tmp_path_factory):
    """`python -m workshop --host 0.0.0.0`, as `make run` starts it, on a free port."""
    running = Server(tmp_path_factory.mktemp("everywhere") / "x.db", "--host", "0.0.0.0").start()
    yield running
    running.stop()


def polling_handshake(url: str, origin: str) -> requests.Response:
    """Open an Engine.IO session by long-polling, as a browser page at `origin` would."""
    return requests.get(f"{url}/socket.io/?EIO=4&transport=polling", headers={"Origin": origin}, timeout=5)


@pytest.mark.server
def test_make_run_puts_the_lan_address_in_every_link_even_for_a_console_opened_on_localhost(everywhere):
    lan = f"http://{links.lan_address()}:{everywhere.port}"
    assert not links.is_loopback(links.host_of(lan))
    made = everywhere.create_workshop()  # through 127.0.0.1, as on the facilitator's laptop
    code = made["code"]
    key = join_key_in(made["join_url"])
    assert made["join_url"] == f"{lan}/j/{code}?k={key}"
    assert made["console_url"].startswith(f"{lan}/facilitate/{code}#key=")

    page = requests.get(f"{everywhere.url}/facilitate/{code}", timeout=5).text
    assert f'href="{lan}/j/{code}"' in page and "Phones can&#39;t reach" not in page
    qr = requests.get(f"{everywhere.url}/j/{code}/qr.svg?k={key}", timeout=5).content
    assert qr == qr_svg(f"{lan}/j/{code}?k={key}", code)
    console = facilitator(everywhere, made)
    try:
        assert console.latest("console")["join_url"] == f"{lan}/j/{code}?k={key}"
    finally:
        console.close()

    out = everywhere.output()
    assert f"Heart to Heart is running on {lan}/ (on this laptop also {everywhere.url}/)" in out
    assert f"Attendees join at: {lan}/join" in out and "Phones can't reach" not in out


@pytest.mark.server
def test_a_phone_reaches_the_server_through_the_lan_address_and_joins(everywhere):
    lan = f"http://{links.lan_address()}:{everywhere.port}"
    code = everywhere.create_workshop()["code"]
    assert requests.get(f"{lan}/j/{code}", timeout=5).status_code == 200
    joined = requests.post(f"{lan}/api/join", json={"code": code, "name": "Ana"}, timeout=5).json()
    phone = Phone(lan, {"role": "attendee", "code": code, "token": joined["token"]}).connect(wait_for="you")
    try:  # websocket-client sends Origin: the LAN address, as a phone's browser does
        assert phone.latest("you")["attendee"]["name"] == "Ana"
    finally:
        phone.close()


@pytest.mark.server
def test_listening_everywhere_keeps_sockets_same_origin(everywhere):
    lan = f"http://{links.lan_address()}:{everywhere.port}"
    phone = polling_handshake(lan, origin=lan)
    assert phone.status_code == 200 and phone.headers["Access-Control-Allow-Origin"] == lan
    laptop = polling_handshake(everywhere.url, origin=everywhere.url)
    assert laptop.status_code == 200 and laptop.headers["Access-Control-Allow-Origin"] == everywhere.url
    for url in (lan, everywhere.url):
        other_port = f"http://127.0.0.1:{everywhere.port + 1}"
        strangers = ("http://evil.example", other_port, lan.replace("http://", "https://"))
        for stranger in strangers:
            if stranger != url:
                refused = polling_handshake(url, origin=stranger)
                assert refused.status_code == 400 and "Access-Control-Allow-Origin" not in refused.headers


@pytest.mark.server
def test_a_server_kept_to_loopback_says_so_in_the_console_and_the_terminal(tmp_path):
    server = Server(tmp_path / "alone.db").start()  # --host 127.0.0.1
    try:
        made = server.create_workshop()
        assert made["join_url"] == f"{server.url}/j/{made['code']}?k={join_key_in(made['join_url'])}"
        page = requests.get(f"{server.url}/facilitate/{made['code']}", timeout=5).text
        warning = (f"Phones can't reach this address: {server.url} opens only on this laptop. "
                   "To let them in, restart the server with --host 0.0.0.0 (make run does), "
                   "or set WORKSHOP_PUBLIC_URL.")
        assert str(escape(warning)) in page
        assert warning in " ".join(server.output().split())  # the terminal wraps it
    finally:
        server.stop()
