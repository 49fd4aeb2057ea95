"""What only the wire carries, against one real server: oversized, nested, undecodable and odd packets.

Flask-SocketIO's test client skips Engine.IO, so the 128 KB message limit, the transports and the
decoding of raw packets are tested here, over real websockets and long-polling.
"""

from __future__ import annotations

import copy
import json

import pytest
import requests
import socketio
import websocket

from .support import Server, attendee, facilitator, wait_until
from .test_agenda import VALID

pytestmark = pytest.mark.server


@pytest.fixture(scope="module")
def wire(tmp_path_factory):
    """A real server for the module, with the agendas' real durations so that timers hold still."""
    folder = tmp_path_factory.mktemp("wire")
    server = Server(folder / "wire.db", "--grace", "60").start()
    yield server
    server.stop()


class LogWatch:
    """What the server logged since a point in time."""

    def __init__(self, server: Server):
        self.server, self.start = server, len(server.output())

    def since(self) -> str:
        return self.server.output()[self.start:]


def assert_alive(server: Server) -> None:
    assert server.process.poll() is None, server.output()[-3000:]
    assert requests.get(server.url + "/healthz", timeout=5).json() == {"ok": True}


def raw_client(server: Server, auth: dict, transport: str = "websocket") -> socketio.Client:
    client = socketio.Client(reconnection=False, request_timeout=5)
    client.connect(server.url, auth=auth, transports=[transport], wait_timeout=5)
    return client


def attendee_auth(server: Server, name: str, code: str | None = None) -> dict:
    """Join a workshop (a new one unless `code` is given) and return the attendee's connect auth."""
    code = code or server.create_workshop()["code"]
    return {"role": "attendee", "code": code, "token": server.join(code, name)["token"]}


def polling_session(server: Server, auth: dict) -> str:
    """Open a raw Engine.IO long-polling session, connected as `auth`; return its URL."""
    polling = f"{server.url}/socket.io/?code={auth['code']}&EIO=4&transport=polling"
    session = f"{polling}&sid={json.loads(requests.get(polling, timeout=5).text[1:])['sid']}"
    assert requests.post(session, data="40" + json.dumps(auth), timeout=5).ok
    return session


@pytest.mark.parametrize("transport", ["websocket", "polling"])
def test_a_socket_message_over_128_kb_closes_the_connection(wire, transport):
    auth = attendee_auth(wire, "Big")
    client = raw_client(wire, auth, transport)
    try:
        assert client.call("sync_clock", {})["ok"]
        with pytest.raises(socketio.exceptions.TimeoutError):
            client.call("ask_moment", {"needed": True, "padding": "x" * 132_000}, timeout=2)
        wait_until(lambda: not client.connected, timeout=10, what="the connection to close")
    finally:
        client.disconnect()
    assert_alive(wire)
    again = raw_client(wire, auth)
    try:
        assert again.call("ask_moment", {"needed": True}) == {"ok": True}
    finally:
        again.disconnect()


def test_an_oversized_long_polling_post_is_answered_at_once_and_ends_only_its_session(wire):
    """Not left waiting for a GET to take a close packet (python-engineio's own way): 413 at once."""
    auth = attendee_auth(wire, "Long")
    session = polling_session(wire, auth)
    assert '"room"' in requests.get(session, timeout=5).text
    big = '421["ask_moment",' + json.dumps({"needed": True, "padding": "x" * 132_000}) + "]"
    answer = requests.post(session, data=big, timeout=5)
    assert answer.status_code == 413 and "128 KB" in answer.text
    assert requests.get(session, timeout=5).status_code == 400, "the session should be gone"
    assert_alive(wire)
    # A message just under the limit is still a message.
    again = raw_client(wire, auth, "polling")
    try:
        assert again.call("ask_moment", {"needed": True, "padding": "x" * 130_000}) == {"ok": True}
    finally:
        again.disconnect()


@pytest.mark.parametrize("how", ["another path under /socket.io/", "a chunked body"])
def test_a_long_polling_post_the_server_will_not_read_is_refused_at_once(wire, how):
    """Engine.IO answers every path under /socket.io/; and reads a chunked body as empty (200)."""
    auth = attendee_auth(wire, "Odd")
    session = polling_session(wire, auth)
    big = '421["ask_moment",' + json.dumps({"needed": True, "padding": "x" * 132_000}) + "]"
    if how == "a chunked body":
        answer = requests.post(session, data=iter([big[:10], big[10:]]), timeout=5)
        assert answer.status_code == 411 and "Content-Length" in answer.text
    else:
        elsewhere = session.replace("/socket.io/?", "/socket.io/x?")
        answer = requests.post(elsewhere, data=big, timeout=5)
        assert answer.status_code == 413
    assert requests.get(session, timeout=5).status_code == 400, "the session should be gone"
    assert_alive(wire)


def test_a_polling_client_that_sent_too_much_comes_back_by_itself(wire):
    """As over a websocket: the connection drops as a transport error and the client reconnects."""
    auth = attendee_auth(wire, "Back")
    client = socketio.Client(reconnection=True, reconnection_delay=0.2, reconnection_delay_max=0.5,
                             request_timeout=30)
    reasons = []
    client.on("disconnect", lambda *reason: reasons.append(reason))
    client.connect(wire.url, auth=auth, transports=["polling"], wait_timeout=5)
    try:
        with pytest.raises(socketio.exceptions.TimeoutError):
            client.call("ask_moment", {"needed": True, "padding": "x" * 132_000}, timeout=1)
        assert reasons == [("transport error",)], "dropped at once, well before the POST's 30 s timeout"
        wait_until(lambda: client.connected, timeout=5, what="the client to reconnect")
        assert client.call("ask_moment", {"needed": True}, timeout=5) == {"ok": True}
    finally:
        client.shutdown()
    assert_alive(wire)


def test_the_longest_feedback_a_form_allows_fits_in_one_message(wire):
    """Ten text questions of 1,000 characters (the most a form may ask), answered in emoji, which
    python-socketio's JSON escapes to 12 bytes each: one message, accepted, over both transports."""
    agenda = copy.deepcopy(VALID)
    agenda["steps"][5]["questions"] = [{"id": f"question_{n}", "type": "text", "text": f"Question {n}?",
                                        "max_length": 1000} for n in range(10)]
    key = wire.env["WORKSHOP_ORGANIZER_KEY"]
    kept = requests.post(wire.url + "/api/studio/agendas", json={"agenda": agenda, "organizer_key": key},
                         timeout=5)
    assert kept.status_code == 201 and not kept.json()["problems"], kept.text
    started = requests.post(wire.url + "/api/studio/workshops", headers={"X-Agenda-Key": kept.json()["key"]},
                            json={"from": "studio", "agenda": kept.json()["id"], "organizer_key": key},
                            timeout=5)
    assert started.status_code == 201, started.text
    workshop = started.json()
    console = facilitator(wire, workshop)
    on_websocket = attendee(wire, workshop["code"], "Wide")
    on_polling = raw_client(wire, attendee_auth(wire, "Long", workshop["code"]), "polling")
    try:
        assert console.send("open_feedback") == {"ok": True}
        answers = {f"question_{n}": "😀" * 1000 for n in range(10)}
        assert len(json.dumps(answers)) > 120_000
        assert on_websocket.send("send_feedback", {"answers": answers}) == {"ok": True}
        assert on_polling.call("send_feedback", {"answers": answers}, timeout=5) == {"ok": True}
    finally:
        on_polling.disconnect()
        on_websocket.close()
        console.close()


def test_a_deeply_nested_socket_message_is_dropped_and_the_connection_goes_on(wire):
    auth = attendee_auth(wire, "Deep")
    ws = websocket.create_connection(f"ws://127.0.0.1:{wire.port}/socket.io/?EIO=4&transport=websocket",
                                     timeout=5)
    try:
        assert ws.recv().startswith("0")
        ws.send("40" + json.dumps(auth))
        ws.send('421["ask_moment",' + "[" * 5000 + "]" * 5000 + "]")
        ws.send('422["sync_clock",{}]')
        received = []
        wait_until(lambda: received.append(ws.recv()) or any(m.startswith("432") for m in received),
                   timeout=5, what="the next acknowledgement")
        assert not any(m.startswith("431") and "Traceback" in m for m in received)
    finally:
        ws.close()
    assert_alive(wire)


def test_undecodable_socket_messages_leave_no_traceback_in_the_log(wire):
    log = LogWatch(wire)
    ws = websocket.create_connection(f"ws://127.0.0.1:{wire.port}/socket.io/?EIO=4&transport=websocket",
                                     timeout=5)
    try:
        ws.recv()
        ws.send("40")
        for packet in ('421["ask_moment",' + "[" * 5000 + "]" * 5000 + "]", '422["ask_moment",{', "42x"):
            ws.send(packet)
    finally:
        ws.close()
    assert_alive(wire)
    assert "Traceback" not in log.since()


def test_an_event_named_star_leaves_the_connection_and_the_server_working(wire):
    """A literal "*" reaches the catch-all handler without its name (python-socketio 5.18,
    Flask-SocketIO 5.7): the payload is taken for a sid, so the answer is `('', 400)` or none at all.
    """
    client = raw_client(wire, attendee_auth(wire, "Star"))
    try:
        client.call("sync_clock", {}, timeout=5)
        for data in ("", "abc"):
            assert client.call("*", data, timeout=5) != {"ok": True}
        with pytest.raises(socketio.exceptions.TimeoutError):
            client.call("*", {}, timeout=1)
        assert client.call("sync_clock", {}, timeout=5)["ok"] is True
    finally:
        client.disconnect()
    assert_alive(wire)
