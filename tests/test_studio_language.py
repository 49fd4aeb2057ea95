"""The studio in any language: an agenda's `language` checked, kept, exported and run; the studio's own words.

The agenda's language is the language its own text is written in (any BCP 47 tag); the room's language
for phones is one the product speaks, preset from it. Over a real SQLite file, with Flask's test client.
"""

from __future__ import annotations

import copy

import pytest

from workshop.core.agenda import read_yaml

from .test_agenda import VALID

ARABIC = {**copy.deepcopy(VALID), "title": "من القلب إلى القلب", "language": "ar"}
ARABIC["steps"][3]["prompts"] = ["ما الذي يحمله قلبك اليوم؟", "What gives you hope (in English)?"]


def new_agenda(client, source) -> tuple[str, dict]:
    answer = client.post("/api/studio/agendas", json={"agenda": source})
    assert answer.status_code == 201, answer.json
    return answer.json["id"], {"X-Agenda-Key": answer.json["key"]}


def room_language(client, code: str) -> str:
    return client.application.extensions["workshop"].rooms.room(code).settings.language


@pytest.mark.parametrize("tag", ["ar", "he", "pt-BR", "zh-Hant", "fil", "sw"])
def test_an_agenda_may_be_written_in_any_language_and_says_which(client, tag):
    checked = client.post("/api/studio/check", json={"agenda": {**VALID, "language": tag}}).json
    assert checked["problems"] == [] and checked["agenda"]["language"] == tag


@pytest.mark.parametrize("tag", ["Spanish", "es_ES", "e", "es-", "es ES", 7])
def test_a_language_that_is_not_a_tag_is_a_problem_of_the_language_field(client, tag):
    problems = client.post("/api/studio/check", json={"agenda": {**VALID, "language": tag}}).json["problems"]
    assert [(p["step"], p["field"]) for p in problems] == [(None, "language")]


def test_an_arabic_agenda_keeps_its_language_and_its_words_through_save_export_and_import(client):
    agenda_id, key = new_agenda(client, ARABIC)
    stored = client.get(f"/api/studio/agendas/{agenda_id}", headers=key).json
    assert stored["source"]["language"] == "ar" and stored["agenda"]["language"] == "ar"
    exported = client.post("/api/studio/export", json={"agenda": stored["source"]})
    text = exported.get_data(as_text=True)
    assert "\nlanguage: ar\n" in text and "ما الذي يحمله قلبك اليوم؟" in text  # written as is, not escaped
    imported = client.post("/api/studio/import", json={"yaml": text}).json["source"]
    assert imported["language"] == "ar" and read_yaml(text, "x")["title"] == ARABIC["title"]
    again = client.post("/api/studio/check", json={"agenda": imported}).json["agenda"]
    assert again == client.post("/api/studio/check", json={"agenda": ARABIC}).json["agenda"]


def test_a_shipped_spanish_agenda_opens_in_the_studio_with_its_language(client):
    assert client.get("/api/studio/files/quick-connect-es").json["source"]["language"] == "es"
    assert "language" not in client.get("/api/studio/files/quick-connect").json["source"]


def test_a_workshop_started_from_the_studio_takes_the_chosen_language_for_phones_else_the_agendas(client):
    agenda_id, key = new_agenda(client, ARABIC)
    chosen = client.post("/api/studio/workshops", json={"from": "studio", "agenda": agenda_id,
                                                        "language": "fr"}, headers=key)
    assert chosen.status_code == 201 and room_language(client, chosen.json["code"]) == "fr"
    preset = client.post("/api/studio/workshops", json={"from": "studio", "agenda": agenda_id}, headers=key)
    assert room_language(client, preset.json["code"]) == "ar"
    spanish = client.post("/api/studio/workshops", json={"from": "file", "agenda": "heart-to-heart-es"})
    assert room_language(client, spanish.json["code"]) == "es"
    # A language the agenda may be written in but the product does not speak: phones fall back to English.
    filipino, filipino_key = new_agenda(client, {**VALID, "language": "fil"})
    unspoken = client.post("/api/studio/workshops", json={"from": "studio", "agenda": filipino},
                           headers=filipino_key)
    assert room_language(client, unspoken.json["code"]) == "en"


def test_a_language_for_phones_the_product_does_not_speak_is_refused(client):
    answer = client.post("/api/studio/workshops", json={"from": "file", "agenda": "quick-connect",
                                                        "language": "ja"})
    assert (answer.status_code, answer.json["code"]) == (400, "bad_request")
    assert answer.json["error"] == "'language' must be one of: en, es, de, fr, pt, ar."


def test_a_tweak_for_one_workshop_may_not_change_the_agendas_language(client):
    source = client.get("/api/studio/files/quick-connect").json["source"]
    answer = client.post("/api/studio/workshops", json={"from": "file", "agenda": "quick-connect",
                                                        "tweaked": {**source, "language": "de"}})
    assert (answer.status_code, answer.json["code"]) == (422, "not_a_tweak")


def test_the_studios_refusals_are_templates_said_in_the_requests_language(client):
    answer = client.get("/api/studio/files/nothing-here", headers={"Accept-Language": "es"})
    assert answer.json == {"code": "unknown_agenda", "error": "No hay ninguna agenda llamada «nothing-here»."}
    source = client.get("/api/studio/files/quick-connect").json["source"]
    round_at = next(i for i, s in enumerate(source["steps"]) if s["kind"] == "round")
    source["steps"][round_at]["title"] = "Renamed"
    refused = client.post("/api/studio/workshops", json={"from": "file", "agenda": "quick-connect",
                                                         "tweaked": source}).json
    assert refused == {"code": "not_a_tweak", "error": (
        f"Step {round_at + 1} changed more than its prompts, durations or agreements: "
        "change the agenda in the studio instead.")}


@pytest.mark.parametrize("path", ["/studio", "/studio/files/quick-connect"])
def test_the_studios_pages_follow_the_browser_and_carry_the_catalog_for_their_javascript(client, path):
    page = client.get(path, headers={"Accept-Language": "ar"}).get_data(as_text=True)
    assert '<html lang="ar" dir="rtl">' in page and 'id="i18n-catalog"' in page
    assert '"lang": "ar"' in page or '"lang":"ar"' in page


def test_the_editor_offers_the_languages_for_phones_preset_to_the_pages(client):
    page = client.get("/studio/files/quick-connect", headers={"Accept-Language": "de"}).get_data(as_text=True)
    select = page.split('id="room-language"', 1)[1].split("</select>", 1)[0]
    assert '<option value="ar" lang="ar">العربية</option>' in select
    assert '<option value="de" lang="de" selected>Deutsch</option>' in select
