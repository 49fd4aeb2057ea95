"""The studio's API over a real SQLite file: one validator for files and studio, versions, keys, reports."""

from __future__ import annotations

import copy

import pytest

from workshop.core.agenda import read_yaml

from .in_process import ORGANIZER_KEY as KEY
from .in_process import make_app
from .test_agenda import MALFORMED, VALID, edited


def new_agenda(client, source=VALID) -> tuple[str, dict]:
    answer = client.post("/api/studio/agendas", json={"agenda": source})
    assert answer.status_code == 201, answer.json
    return answer.json["id"], {"X-Agenda-Key": answer.json["key"]}


@pytest.mark.parametrize("path, value, step, field, message", MALFORMED)
def test_the_studio_refuses_what_the_files_refuse_naming_the_same_step_and_field(
        client, path, value, step, field, message):
    answer = client.post("/api/studio/check", json={"agenda": edited(path, value)})
    assert answer.status_code == 200
    first = answer.json["problems"][0]
    assert (first["step"], first["field"]) == (step, field)
    assert message in first["problem"]
    assert answer.json["agenda"] is None


def test_a_valid_agenda_checks_clean_with_its_defaults_filled_in(client):
    answer = client.post("/api/studio/check", json={"agenda": VALID}).json
    assert answer["problems"] == []
    assert answer["agenda"]["steps"][3]["cues"]["speak"]
    assert answer["agenda"]["steps"][3]["round"] == 1


def test_every_broken_step_is_reported_at_once(client):
    source = copy.deepcopy(VALID)
    source["title"] = ""
    source["steps"][0]["title"] = ""
    source["steps"][3]["turns"][1]["minutes"] = 0
    source["steps"][5]["questions"][1]["options"] = ["Only one"]
    problems = client.post("/api/studio/check", json={"agenda": source}).json["problems"]
    assert [(p["step"], p["field"]) for p in problems] == [
        (None, "title"), (1, "title"), (4, "turns[2].minutes"), (6, "questions[2].options")]


def test_each_save_is_a_new_version_and_the_old_ones_stay(client):
    agenda_id, key = new_agenda(client)
    changed = copy.deepcopy(VALID)
    changed["title"] = "Second draft"
    assert client.put(f"/api/studio/agendas/{agenda_id}", json={"agenda": changed}, headers=key).json == {
        "version": 2, "problems": []}
    newest = client.get(f"/api/studio/agendas/{agenda_id}", headers=key).json
    assert newest["source"]["title"] == "Second draft"
    assert [v["version"] for v in newest["versions"]] == [2, 1]
    first = client.get(f"/api/studio/agendas/{agenda_id}?version=1", headers=key).json
    assert first["source"] == VALID


def test_a_draft_with_problems_is_saved_but_cannot_be_started(client):
    broken = edited(("steps", 4, "turns"), [])
    agenda_id, key = new_agenda(client, broken)
    assert client.get(f"/api/studio/agendas/{agenda_id}", headers=key).json["problems"][0]["field"] == "turns"
    answer = client.post("/api/studio/workshops", json={"from": "studio", "agenda": agenda_id}, headers=key)
    assert (answer.status_code, answer.json["code"]) == (422, "bad_agenda")


def test_only_the_edit_key_or_an_organizer_opens_a_studio_agenda(app, client):
    agenda_id, key = new_agenda(client)
    for headers in ({}, {"X-Agenda-Key": "not-the-key"}):
        assert client.get(f"/api/studio/agendas/{agenda_id}", headers=headers).status_code == 403
        assert client.put(f"/api/studio/agendas/{agenda_id}", json={"agenda": VALID},
                          headers=headers).status_code == 403
        assert client.delete(f"/api/studio/agendas/{agenda_id}", headers=headers).status_code == 403
    organizer = app.test_client()
    organizer.post("/organizer", data={"key": KEY})
    assert organizer.get(f"/api/studio/agendas/{agenda_id}").status_code == 200
    assert "Test agenda" in organizer.get("/organizer").get_data(as_text=True)
    stored = app.extensions["workshop"].store.db.execute("SELECT key_hash FROM studio_agendas").fetchone()[0]
    assert key["X-Agenda-Key"] not in stored


def test_a_server_that_requires_the_organizer_key_requires_it_to_create_agendas(tmp_path):
    app = make_app(tmp_path, REQUIRE_ORGANIZER_KEY=True)
    try:
        client = app.test_client()
        refused = client.post("/api/studio/agendas", json={"agenda": VALID})
        assert (refused.status_code, refused.json["code"]) == (403, "organizer_key_required")
        with_key = {"agenda": VALID, "organizer_key": KEY}
        assert client.post("/api/studio/agendas", json=with_key).status_code == 201
    finally:
        app.extensions["workshop"].stop()


def test_a_report_shows_the_questions_asked_after_the_agenda_is_edited_and_deleted(app, client):
    agenda_id, key = new_agenda(client)
    started = client.post("/api/studio/workshops", json={"from": "studio", "agenda": agenda_id}, headers=key)
    assert started.status_code == 201
    code = started.json["code"]
    changed = copy.deepcopy(VALID)
    changed["steps"][5]["questions"][0]["text"] = "A question nobody was asked"
    client.put(f"/api/studio/agendas/{agenda_id}", json={"agenda": changed}, headers=key)
    client.delete(f"/api/studio/agendas/{agenda_id}", headers=key)
    assert client.get(f"/api/studio/agendas/{agenda_id}", headers=key).status_code == 404
    organizer = app.test_client()
    organizer.post("/organizer", data={"key": KEY})
    page = organizer.get(f"/reports/{code}").get_data(as_text=True)
    assert "How was it?" in page and "A question nobody was asked" not in page


def test_exported_yaml_is_read_back_by_the_loader_and_by_the_import(client):
    exported = client.post("/api/studio/export", json={"agenda": VALID})
    assert exported.status_code == 200
    assert exported.headers["Content-Disposition"] == 'attachment; filename="test-agenda.yaml"'
    text = exported.get_data(as_text=True)
    imported = client.post("/api/studio/import", json={"yaml": text}).json["source"]
    checked = client.post("/api/studio/check", json={"agenda": imported}).json["agenda"]
    assert checked == client.post("/api/studio/check", json={"agenda": read_yaml(text, "x")}).json["agenda"]


def test_an_agenda_with_problems_cannot_be_exported(client):
    answer = client.post("/api/studio/export", json={"agenda": edited(("title",), "")})
    assert (answer.status_code, answer.json["code"]) == (422, "bad_agenda")
    assert "title" in answer.json["error"]


def test_importing_a_broken_file_gives_the_loaders_own_sentence(client):
    answer = client.post("/api/studio/import", json={"yaml": "title: Hi\nsteps:\n\t- kind: welcome\n"})
    assert answer.status_code == 422
    assert "never tabs" in answer.json["error"]


def test_a_shipped_agenda_is_read_only_but_one_workshop_of_it_can_be_tweaked(client):
    source = client.get("/api/studio/files/quick-connect").json["source"]
    assert client.put("/api/studio/agendas/quick-connect", json={"agenda": source}).status_code == 404
    round_at = next(i for i, s in enumerate(source["steps"]) if s["kind"] == "round")
    source["steps"][round_at]["prompts"] = ["What would you like to be asked today?"]
    source["steps"][round_at]["draw"] = False
    answer = client.post("/api/studio/workshops", json={"from": "file", "agenda": "quick-connect",
                                                        "tweaked": source})
    assert answer.status_code == 201
    room = client.application.extensions["workshop"].rooms.room(answer.json["code"])
    assert room.agenda.steps[round_at].prompts == ("What would you like to be asked today?",)
    assert "What would you like" not in client.get("/api/studio/files/quick-connect").get_data(as_text=True)
    source["steps"][round_at]["title"] = "Renamed"
    refused = client.post("/api/studio/workshops", json={"from": "file", "agenda": "quick-connect",
                                                         "tweaked": source})
    assert (refused.status_code, refused.json["code"]) == (422, "not_a_tweak")
