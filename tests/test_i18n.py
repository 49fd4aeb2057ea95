"""Every word in every language: complete catalogs, nothing left unmarked, each person's language honoured.

The unmarked-string checks read the sources the way a reviewer would: template text outside `_()`,
JavaScript literals that reach the page without `t()`, and server sentences that are not templates
the catalogs know.
"""

from __future__ import annotations

import ast
import csv
import io
import re
import subprocess
import sys
import zipfile

import pytest
from babel.messages.pofile import read_po
from jinja2 import Environment
from openpyxl import load_workbook

from workshop.core.report import to_csv, to_pdf, to_xlsx
from workshop.shell.language import LANGUAGES

from .support import ROOT

TRANSLATIONS = ROOT / "workshop" / "translations"
PLACEHOLDER = re.compile(r"%\(\w+\)s|\{\w+\}")
BRAND = {"Heart to Heart"}  # the product's name stays as it is in every language


def catalog(lang: str):
    with (TRANSLATIONS / lang / "LC_MESSAGES" / "messages.po").open("rb") as po:
        return read_po(po, locale=lang)


def template():
    with (TRANSLATIONS / "messages.pot").open("rb") as pot:
        return read_po(pot)


def key(message) -> tuple:
    return (message.context, message.id if isinstance(message.id, str) else message.id[0])


# -- the catalogs ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("lang", [lang for lang in LANGUAGES if lang != "en"])
def test_every_catalog_translates_every_message_with_its_placeholders_and_no_fuzzy_entry(lang):
    translated = catalog(lang)
    expected = {key(m) for m in template() if m.id}
    found = {key(m): m for m in translated if m.id}
    assert set(found) == expected, f"{lang}: missing {expected - set(found)}, extra {set(found) - expected}"
    for message in found.values():
        assert not message.fuzzy, f"{lang}: fuzzy {message.id!r}"
        forms = message.string if isinstance(message.string, tuple) else (message.string,)
        assert len(forms) == (translated.num_plurals if message.pluralizable else 1), message.id
        assert all(form.strip() for form in forms), f"{lang}: empty translation of {message.id!r}"
        wanted = set(PLACEHOLDER.findall(message.id if isinstance(message.id, str) else message.id[1]))
        for form in forms:
            used = set(PLACEHOLDER.findall(form))
            # A plural form may leave the number out ("one response" in words); nothing else may go.
            allowed_missing = {"%(num)s", "{n}", "{names}"} if message.pluralizable else set()
            assert used <= wanted and wanted - used <= allowed_missing, f"{lang}: {message.id!r} -> {form!r}"


def test_the_catalog_template_holds_every_string_the_sources_mark():
    """What `make messages` would extract today is what messages.pot (and so every catalog) holds."""
    out = ROOT / "artifacts" / "extracted.pot"
    out.parent.mkdir(exist_ok=True)
    makefile = (ROOT / "Makefile").read_text()
    keywords = re.search(r"^KEYWORDS := (.+)$", makefile, re.M).group(1).split()
    pybabel = [sys.executable, "-c", "import sys; from babel.messages.frontend import main; sys.exit(main())"]
    subprocess.run([*pybabel, "extract", "-F", "babel.cfg", *keywords, "--no-location", "-o", str(out), "."],
                   cwd=ROOT, check=True, capture_output=True)
    with out.open("rb") as pot:
        extracted = {key(m) for m in read_po(pot) if m.id}
    assert extracted == {key(m) for m in template() if m.id}, "run `make messages` and translate what is new"


# -- nothing the user reads is left unmarked ----------------------------------------------------------------

JINJA = re.compile(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}", re.S)
TAG = re.compile(r"<[^>]*>")
ATTRIBUTE_BLOCK = re.compile(
    r"\{%\s*block (?:body_class|body_attrs|color_scheme)\s*%\}.*?\{%\s*endblock\s*%\}", re.S)
ATTRIBUTE = re.compile(r'\b(?:aria-label|alt|title|placeholder|data-label)="([^"\x00]*[A-Za-z][^"\x00]*)"')


def unmarked_template_text(source: str) -> list[str]:
    """Return the words of a template outside every `{{ ... }}` and `{% ... %}`, in text or labels."""
    Environment(extensions=["jinja2.ext.i18n"]).parse(source)  # a template that does not parse fails here
    source = ATTRIBUTE_BLOCK.sub("", source)  # blocks that fill attributes hold class names, not words
    source = JINJA.sub("\x00", source).replace(".yaml", "")
    found = ATTRIBUTE.findall(source)
    text = re.sub(r"&\w+;|&#\d+;", " ", TAG.sub("\n", source))
    for brand in BRAND:
        text = text.replace(brand, " ")
    for line in text.split("\n"):
        if re.search(r"[A-Za-z]{2,}", line.replace("\x00", " ")):
            found.append(" ".join(line.replace("\x00", "…").split()))
    return found


@pytest.mark.parametrize("path", sorted((ROOT / "templates").glob("*.html")), ids=lambda p: p.name)
def test_every_word_of_every_template_is_marked_for_translation(path):
    assert unmarked_template_text(path.read_text(encoding="utf-8")) == []


def test_the_template_check_catches_unmarked_text_and_attributes():
    assert unmarked_template_text('<p>Hello there</p><img alt="A photo">') == ["A photo", "Hello there"]
    assert unmarked_template_text('<p>{{ n }} people</p>') == ["… people"]
    assert unmarked_template_text('<p>{{ _("Hello there") }}</p><img alt="{{ _(\'A photo\') }}">') == []


# Literals in the JavaScript that reach a person read like words: they start with a capital letter
# ("Time is up", "Swapped ${a} and ${b}."), or are three or more plain words ("needs a moment").
# Selectors, class lists, paths, event and storage names, key names and the product's name are not.
JS_KEYS = {"Escape", "Enter", "Spacebar", "ArrowRight", "ArrowLeft", "ArrowUp", "ArrowDown", "Content-Type",
           "POST", "GET", "N", "Heart to Heart", "English"}
JS_LITERAL = re.compile(r'"((?:[^"\\\n]|\\.)*)"|`((?:[^`\\]|\\.)*)`')
JS_MARKED = re.compile(r'\b(?:t|tp)\(\s*(?:"(?:[^"\\]|\\.)*"\s*,\s*)?"(?:[^"\\]|\\.)*"'
                       r'|\btn\(\s*"(?:[^"\\]|\\.)*"\s*,\s*"(?:[^"\\]|\\.)*"')


def unmarked_js_literals(source: str) -> list[str]:
    """Return the string literals of a module that read like words for people and are not translated."""
    source = re.sub(r"/\*.*?\*/", "", source, flags=re.S)
    source = re.sub(r"^\s*//.*$", "", source, flags=re.M)
    source = re.sub(r"^import .*$", "", source, flags=re.M)
    source = JS_MARKED.sub("MARKED", source)
    source = re.sub(r'\bclass(?:Name)?\s*[:=]\s*(?:"(?:[^"\\]|\\.)*"|`[^`]*`)', "CLASS", source)
    found = []
    for plain, template in JS_LITERAL.findall(source):
        text = plain or re.sub(r"\$\{[^}]*\}", " ", template)
        words = re.findall(r"[A-Za-z]{2,}", text)
        if not words:
            continue
        text = text.strip()
        if text in JS_KEYS or re.match(r"^[.#\[/]|^\w+/\w+$", text):
            continue
        capital = re.match(r"^[A-Z][a-z]", text) is not None
        plain_words = len(text.split()) >= 3 and not re.search(r"[-_.#/\[\]=:]", text.rstrip(".…"))
        if capital or plain_words:
            found.append(text)
    return found


@pytest.mark.parametrize("path", sorted((ROOT / "static" / "js").rglob("*.js")), ids=lambda p: p.name)
def test_every_sentence_the_javascript_shows_or_says_is_marked_for_translation(path):
    assert unmarked_js_literals(path.read_text(encoding="utf-8")) == []


def test_the_javascript_check_catches_unmarked_sentences_and_lets_marked_ones_pass():
    assert unmarked_js_literals('node.textContent = "Time is up";') == ["Time is up"]
    assert unmarked_js_literals('say(`${name} needs a moment.`);') == ["needs a moment."]
    assert unmarked_js_literals('node.textContent = t("Time is up"); el("p", { class: "big-line" });') == []
    assert unmarked_js_literals('tn("{n} pair", "{n} pairs", n); tp("person", "Here");') == []
    assert unmarked_js_literals('el("p", { class: "button block big" }, x); q(".group, a.member");') == []
    assert unmarked_js_literals('el("span", {}, "needs a moment");') == ["needs a moment"]


def refusal_sentences(path) -> list[tuple[int, str]]:
    """Return the Refusal/TimerError calls in a module whose sentence the catalogs cannot know."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    marked = {target.id for node in ast.walk(tree) if isinstance(node, ast.Assign)
              and isinstance(node.value, ast.Call) and getattr(node.value.func, "id", "") == "N_"
              for target in node.targets if isinstance(target, ast.Name)}
    imported = {alias.asname or alias.name for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)
                for alias in node.names if alias.name.isupper()}
    bad = []
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and getattr(node.func, "id", "") in ("Refusal", "TimerError")):
            continue
        first = node.args[0] if node.args else None
        ok = (isinstance(first, ast.Constant) and isinstance(first.value, str)
              or isinstance(first, ast.Call) and getattr(first.func, "id", "") == "N_"
              or isinstance(first, ast.Name) and (first.id in marked or first.id in imported)
              or isinstance(first, ast.Attribute) and first.attr in ("template", "says", "not_object"))
        if not ok:
            bad.append((node.lineno, ast.unparse(node)[:80]))
    return bad


def page_sentences(path) -> list[tuple[int, str]]:
    """Return render_template(...) arguments that hand a page an English sentence as a bare literal."""
    bad = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "render_template":
            for keyword in node.keywords:
                value = keyword.value
                if isinstance(value, ast.Constant) and isinstance(value.value, str) and " " in value.value:
                    bad.append((node.lineno, f"{keyword.arg}={value.value!r}"))
    return bad


@pytest.mark.parametrize("path", sorted((ROOT / "workshop").rglob("*.py")), ids=lambda p: p.name)
def test_every_server_sentence_is_a_template_the_catalogs_know(path):
    assert refusal_sentences(path) == [], "a Refusal's sentence must be a literal or an N_() constant"
    assert page_sentences(path) == [], "a page's sentence must go through gettext"


def test_the_server_checks_catch_an_fstring_refusal_and_a_bare_page_title(tmp_path):
    module = tmp_path / "m.py"
    module.write_text('Refusal(f"No {x}.", "c")\nrender_template("e.html", title="Not found")\n')
    assert refusal_sentences(module) and page_sentences(module)


# -- who reads which language --------------------------------------------------------------------------------


@pytest.fixture
def app(tmp_path):
    from workshop import create_app

    return create_app({"INSTANCE": str(tmp_path), "ASYNC_MODE": "threading", "CLOCK": False, "TESTING": True,
                       "ORGANIZER_KEY": "organizer-key"})


def start(client, language=None) -> str:
    data = {"agenda": "heart-to-heart", **({"language": language} if language else {})}
    answer = client.post("/workshops", data=data)
    assert answer.status_code == 303
    return answer.headers["Location"].split("/")[2].split("#")[0]


def test_pages_follow_the_query_then_the_cookie_then_the_browser_and_say_rtl_for_arabic(app):
    client = app.test_client()
    assert '<html lang="de" dir="ltr">' in client.get("/", headers={"Accept-Language": "de-CH,de;q=0.9"}).text
    assert '<html lang="ar" dir="rtl">' in client.get("/?lang=ar").text
    client.set_cookie("h2h_lang", "pt")
    page = client.get("/", headers={"Accept-Language": "de"}).text
    assert '<html lang="pt" dir="ltr">' in page and "Conversas sinceras" in page


def test_a_phone_whose_browser_speaks_none_of_ours_sees_the_rooms_language_and_the_projector_too(app):
    from workshop.core.view import display_view

    client = app.test_client()
    code = start(client, "fr")
    phone = client.get(f"/j/{code}", headers={"Accept-Language": "ja-JP,ja;q=0.9"}).text
    assert '<html lang="fr"' in phone and "Connexion à l’atelier…" in phone
    english_phone = client.get(f"/j/{code}", headers={"Accept-Language": "en-US"}).text
    assert '<html lang="en"' in english_phone
    # The projector's page looks no room up (it tells no code from another): its view, opened by the
    # display key, names the room's language, and projector.js reloads the page with `?lang=` of it.
    assert display_view(app.extensions["workshop"].rooms.room(code))["language"] == "fr"
    projector = client.get(f"/p/{code}?lang=fr", headers={"Accept-Language": "de"}).text
    assert '<html lang="fr"' in projector
    console = client.get(f"/facilitate/{code}", headers={"Accept-Language": "de"}).text
    assert '<html lang="de"' in console  # the console follows its own browser


def test_the_javascript_catalog_is_the_same_gettext_catalog_with_the_arabic_plural_rule(app):
    data = app.test_client().get("/i18n/ar.json").get_json()
    assert data["dir"] == "rtl" and data["plural"] == ["zero", "one", "two", "few", "many", "other"]
    assert data["messages"]["We’re done"] == "انتهينا"
    assert len(data["messages"]["{n} minute left"]) == 6
    unknown = app.test_client().get("/i18n/xx.json")
    assert unknown.status_code == 404 and unknown.get_json()["code"] == "not_found"


def test_the_servers_sentences_follow_the_connections_language_and_keep_their_code(app):
    from workshop.shell.events import socketio

    client = app.test_client()
    code = start(client)
    ana, ben = (client.post("/api/join", json={"code": code, "name": name}).get_json()
                for name in ("Ana", "Ben"))
    auth = {"role": "attendee", "code": code, "token": ana["token"]}
    spanish = socketio.test_client(app, auth={**auth, "lang": "es"})
    german = socketio.test_client(app, auth={**auth, "token": ben["token"], "lang": "de-AT"})
    try:
        assert spanish.emit("next_step", {}, callback=True)["code"] == "unknown_event"
        said = spanish.emit("go_to_step", {"index": 1}, callback=True)
        assert said == {"ok": False, "code": "forbidden", "error": "Solo quien facilita puede hacer eso."}
        said = german.emit("ask_moment", {"needed": "yes"}, callback=True)
        assert said["code"] == "bad_request" and said["error"] == "'needed' muss true oder false sein."
    finally:
        spanish.disconnect()
        german.disconnect()
    refused = socketio.test_client(app, auth={**auth, "token": "nope", "lang": "ar"})
    assert not refused.is_connected()


def test_http_errors_speak_the_requests_language_with_the_same_code(app):
    client = app.test_client()
    answer = client.post("/api/join", json={"code": "ZZZZZZ", "name": "x"}, headers={"Accept-Language": "fr"})
    assert answer.get_json() == {"code": "room_unavailable", "error": (
        "Aucun atelier ouvert n’a ce code, ou il n’accueille pas de nouvelles personnes pour l’instant. "
        "Vérifiez le code avec votre animateur·rice.")}
    answer = client.post("/api/join?lang=ar", json={"code": start(client), "name": " "})
    assert answer.get_json() == {"code": "bad_request", "error": "لا يمكن أن يكون اسمك فارغًا."}


# -- reports in the organizer's language ---------------------------------------------------------------------


@pytest.mark.parametrize("lang, header, sheet, words", [
    ("es", ["Respuestas", "Nota"], "Resumen", ["Informe del taller", "Asistencia", "Rondas"]),
    ("de", ["Antworten", "Hinweis"], "Übersicht", ["Workshop-Bericht", "Teilnahme", "Runden"]),
])
def test_reports_are_downloaded_in_the_organizers_language(app, lang, header, sheet, words):
    client = app.test_client()
    code = start(client)
    client.post("/organizer", data={"key": "organizer-key"})
    language = {"Accept-Language": lang}
    download = client.get(f"/reports/{code}.csv", headers=language).data.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(download)))
    assert header in rows  # under the workshop's details, whose labels are translated too
    book = load_workbook(io.BytesIO(client.get(f"/reports/{code}.xlsx", headers=language).data))
    assert book.sheetnames[0] == sheet
    from pypdf import PdfReader

    pdf = PdfReader(io.BytesIO(client.get(f"/reports/{code}.pdf", headers=language).data))
    text = "\n".join(page.extract_text() for page in pdf.pages)
    for word in words:
        assert word in text, (word, text[:300])
    page = client.get(f"/reports/{code}", headers=language).text
    assert f'<html lang="{lang}"' in page and words[1] in page


def test_the_core_says_reports_in_english_by_itself(tmp_path):
    from .test_report import make_report

    report = make_report([])
    download = to_csv(report).decode("utf-8-sig")
    assert download.startswith("Workshop,") and "\r\nResponses,Note\r\n" in download
    assert load_workbook(io.BytesIO(to_xlsx(report))).sheetnames == ["Summary", "Responses"]
    assert zipfile.is_zipfile(io.BytesIO(to_xlsx(report))) and to_pdf(report, fonts=()).startswith(b"%PDF")


# -- agendas in another language -----------------------------------------------------------------------------


def shape(agenda) -> list:
    """Return what a translation must keep: kinds, timings, turns, pairing, prompt counts, questions."""
    steps = []
    for step in agenda.to_dict()["steps"]:
        steps.append((step["kind"], step.get("minutes"), step.get("pairing"), len(step.get("prompts") or []),
                      len(step.get("items") or []),
                      [(t["speaker"], t["minutes"]) for t in step.get("turns") or []],
                      [(q["id"], q["type"], q["required"], len(q.get("options") or []))
                       for q in step.get("questions") or []]))
    return steps


@pytest.mark.parametrize("name", ["heart-to-heart", "quick-connect"])
def test_each_shipped_agenda_has_a_spanish_twin_of_the_same_shape_that_says_its_language(name):
    from workshop.core.agenda import load_agendas

    agendas, errors = load_agendas(ROOT / "agendas")
    assert not errors
    english, spanish = agendas[name], agendas[f"{name}-es"]
    assert english.language is None and spanish.language == "es"
    assert shape(spanish) == shape(english)
    assert (english.minutes, english.odd) == (spanish.minutes, spanish.odd)
    # Its defaults are English, so a Spanish agenda writes its turn titles, cues and labels itself.
    for step in spanish.to_dict()["steps"]:
        for turn in step.get("turns") or []:
            assert "speaks" not in turn["title"] and "Reflect" not in turn["title"], turn
        if step.get("cues"):
            assert "heart" not in step["cues"]["speak"].lower(), step["cues"]
        for question in step.get("questions") or []:
            assert "Not at all" not in (question.get("labels") or []), question


def test_the_home_page_names_each_agendas_language_and_a_spanish_agenda_presets_spanish_phones(app):
    page = app.test_client().get("/", headers={"Accept-Language": "en"}).text
    assert page.count("In Spanish") == 2
    assert '<h3 lang="es">De corazón a corazón</h3>' in page
    form = page.split('value="heart-to-heart-es"', 1)[1].split("</form>", 1)[0]
    assert '<option value="es" lang="es" selected>' in form
    client = app.test_client()
    answer = client.post("/workshops", data={"agenda": "heart-to-heart-es"})
    code = answer.headers["Location"].split("/")[2].split("#")[0]
    assert '<html lang="es"' in client.get(f"/j/{code}", headers={"Accept-Language": "ja"}).text
