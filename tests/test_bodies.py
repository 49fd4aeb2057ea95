"""What the HTTP API does with any body: malformed, nested, oversized, or with bad names and codes."""

from __future__ import annotations

import json
import unicodedata

import pytest

from .in_process import create_workshop, make_app


@pytest.fixture(scope="module")
def http(tmp_path_factory):
    """Flask's test client over one app for the module: each test opens its own workshop, if any."""
    return make_app(tmp_path_factory.mktemp("bodies")).test_client()


def assert_alive(http) -> None:
    assert http.get("/healthz").get_json() == {"ok": True}


BAD_BODIES = [
    ("{", "application/json"),
    ("", "application/json"),
    ("null", "application/json"),
    ("[]", "application/json"),
    ('"Ana"', "application/json"),
    ("NaN", "application/json"),
    ('{"code": "ABCDEF", "name": "Ana"', "application/json"),
    ('{"code": "ABCDEF", "name": "Ana"}', "text/plain"),
    ("code=ABCDEF&name=Ana", "application/x-www-form-urlencoded"),
    (b"\xff\xfe{\x00", "application/json"),
]


@pytest.mark.parametrize("path", ["/api/join", "/api/workshops"])
@pytest.mark.parametrize(("body", "kind"), BAD_BODIES)
def test_a_malformed_body_gets_a_plain_400(http, path, body, kind):
    answer = http.post(path, data=body, content_type=kind)
    assert answer.status_code == 400, answer.get_data(as_text=True)[:200]
    assert answer.get_json()["code"] == "bad_request" and "JSON" in answer.get_json()["error"]


@pytest.mark.parametrize("path", ["/api/join", "/api/workshops"])
def test_deeply_nested_json_gets_a_plain_400(http, path):
    body = "[" * 20_000 + "]" * 20_000
    answer = http.post(path, data=body, content_type="application/json")
    assert answer.status_code == 400


@pytest.mark.parametrize("path", ["/api/join", "/api/workshops", "/organizer", "/reports/ABCDEF/unlock"])
def test_a_body_over_64_kb_is_refused(http, path):
    if path == "/organizer":
        answer = http.post(path, data={"key": "x" * 70_000})
    else:
        body = json.dumps({"code": "ABCDEF", "name": "x" * 70_000, "agenda": "quick-connect", "key": "x"})
        answer = http.post(path, data=body, content_type="application/json")
    assert answer.status_code == 413
    assert_alive(http)


BAD_NAMES = ["", "   ", "\x00\x01\x1b", "\u202e\u2066", "\t\n", "x" * 41, "🌱" * 41, None, 5, ["Ana"],
             {"first": "Ana"}, True, "Ana\x00", "\u202eAna", "Ana\u2066x", "\ufeffAna"]


@pytest.mark.parametrize("name", BAD_NAMES, ids=repr)
def test_a_bad_name_gets_a_plain_400(http, name):
    code = create_workshop(http)["code"]
    answer = http.post("/api/join", json={"code": code, "name": name})
    assert answer.status_code == 400, answer.get_data(as_text=True)
    assert answer.get_json()["code"] == "bad_request"
    assert answer.get_json()["error"].startswith("Your name")


@pytest.mark.parametrize("name", ["A" * 40, "🌱" * 40, "e\u0301" * 40, "Zoë", "محمد", "👩‍👩‍👧",
                                  "<b>Ana</b>"], ids=repr)
def test_a_name_is_kept_without_control_or_bidi_characters(http, name):
    code = create_workshop(http)["code"]
    answer = http.post("/api/join", json={"code": code, "name": name})
    assert answer.status_code == 201, answer.get_data(as_text=True)
    kept = answer.get_json()["name"]
    assert 1 <= len(kept) <= 40
    assert not any(unicodedata.category(ch) in ("Cc", "Cs") for ch in kept)
    assert not set(kept) & set("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


@pytest.mark.parametrize("name", ["\u200b", "\u200b\u200d\u2060", "\ufeff"], ids=repr)
def test_an_invisible_name_is_refused(http, name):
    code = create_workshop(http)["code"]
    answer = http.post("/api/join", json={"code": code, "name": name})
    assert answer.status_code == 400


@pytest.mark.parametrize("code", ["", "x" * 13, None, 7, ["ABCDEF"]], ids=repr)
def test_a_bad_room_code_gets_a_plain_400(http, code):
    answer = http.post("/api/join", json={"code": code, "name": "Ana"})
    assert answer.status_code == 400 and answer.get_json()["code"] == "bad_request"


@pytest.mark.parametrize("body", [{"agenda": ""}, {"agenda": 3}, {"agenda": "x" * 81}, {},
                                  {"agenda": "quick-connect", "odd": "both"},
                                  {"agenda": "quick-connect", "odd": None}], ids=repr)
def test_a_bad_workshop_request_gets_a_plain_400(http, body):
    answer = http.post("/api/workshops", json=body)
    assert answer.status_code == 400, answer.get_data(as_text=True)
    assert answer.get_json()["code"] == "bad_request"


def test_an_unknown_agenda_gets_a_plain_404(http):
    answer = http.post("/api/workshops", json={"agenda": "../../etc/passwd"})
    assert answer.status_code == 404 and answer.get_json()["code"] == "unknown_agenda"
