"""The HTTP side of joining, through Flask's test client: the home page, codes and names."""

from __future__ import annotations

from .in_process import create_workshop, facilitator, join


def test_home_page_lists_the_shipped_agendas(client):
    page = client.get("/")
    assert page.status_code == 200
    assert "Heart to Heart" in page.get_data(as_text=True) and "Quick" in page.get_data(as_text=True)
    assert page.headers["Referrer-Policy"] == "no-referrer"
    assert "script-src 'self'" in page.headers["Content-Security-Policy"]


def test_wrong_code_is_refused_plainly(client):
    response = client.post("/api/join", json={"code": "ZZZZZZ", "name": "Ana"})
    assert response.status_code == 404
    assert response.get_json()["code"] == "room_unavailable"
    assert "code" in response.get_json()["error"]


def test_join_by_code_is_case_insensitive_and_trims_the_name(client):
    workshop = create_workshop(client)
    joined = join(client, workshop["code"].lower(), "  Zoë 🌱  ")
    assert joined["name"] == "Zoë 🌱"
    assert len(joined["token"]) >= 32


def test_an_unknown_a_locked_and_an_ended_room_answer_alike(app, client):
    locked, ended = create_workshop(client), create_workshop(client)
    assert facilitator(app, locked).send("lock_room", {"locked": True}) == {"ok": True}
    assert facilitator(app, ended).send("end_workshop") == {"ok": True}
    answers = [client.post("/api/join", json={"code": code, "name": "Eve"})
               for code in ("ZZZZZZ", locked["code"], ended["code"])]
    assert {r.status_code for r in answers} == {404}
    assert len({r.get_data() for r in answers}) == 1
