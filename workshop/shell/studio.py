"""The agenda studio: its pages, and the JSON API that checks, keeps, exports and starts agendas.

Every check goes through `core.agenda.check_agenda`, the loader's own validator, so a
studio agenda and a file agenda can never disagree. A studio agenda is opened by its
edit key (sent as the `X-Agenda-Key` header, kept in the page's URL fragment) or by a
signed-in organizer; shipped files are read-only.
"""

from __future__ import annotations

from urllib.parse import quote

from flask import Blueprint, Response, abort, jsonify, render_template, request
from flask_babel import gettext as _

from ..core.agenda import Agenda, AgendaError, check_agenda, read_yaml
from ..core.errors import Refusal
from ..core.source import file_name, to_source, to_yaml, tweak_refusal
from . import links
from .agendas import Shelf
from .api import json_body
from .keys import digest, same
from .live import live
from .organizer import is_organizer
from .web import check_creation, needs_key, read_agendas

bp = Blueprint("studio", __name__)

HERE = "this agenda"  # the "file" a studio agenda's problems are about


def shelf() -> Shelf:
    return Shelf(live().store)


def problems_of(errors: list[AgendaError]) -> list[dict]:
    """Return the validator's problems as the page marks them: step number, field path, sentence."""
    return [{"step": e.step, "field": e.field, "problem": e.problem, "message": str(e)} for e in errors]


def checked(source, name: str = "studio") -> tuple[Agenda | None, list[AgendaError]]:
    """Check an agenda sent by the studio with the files' own validator."""
    return check_agenda(source, name=name, file=HERE)


def opened(agenda_id: str) -> Shelf:
    """Return the shelf when this request may edit the agenda: its edit key, or an organizer."""
    store = shelf()
    key_hash = store.key_hash(agenda_id)
    if key_hash is None:
        raise Refusal("There is no agenda at that link. It may have been deleted.", "unknown_agenda")
    key = request.headers.get("X-Agenda-Key", "")
    if not is_organizer() and not (key and same(digest(key), key_hash)):
        raise Refusal("That edit link is not valid. Ask whoever wrote the agenda for its link.", "wrong_key")
    return store


def edit_url(agenda_id: str, key: str) -> str:
    return f"{links.base_url()}/studio/{agenda_id}#key={quote(key)}"


def shipped(name: str) -> Agenda:
    agenda = read_agendas()[0].get(name)
    if agenda is None:
        raise Refusal("There is no agenda called '{name}'.", "unknown_agenda", name=name)
    return agenda


# -- pages ---------------------------------------------------------------------

@bp.get("/studio")
def studio_home():
    """Offer to start an agenda: blank, a copy of a shipped one, or an imported file."""
    agendas, errors = read_agendas()
    return render_template("studio_home.html", agendas=list(agendas.values()), errors=errors,
                           need_key=needs_key())


@bp.get("/studio/<agenda_id>")
def studio_page(agenda_id: str):
    """Serve the editor for a studio agenda; its edit key stays in the URL fragment."""
    if shelf().key_hash(agenda_id) is None:
        return render_template("error.html", title=_("There is no agenda at that link"),
                               message=_("It may have been deleted. Start a new one from the studio.")), 404
    return render_template("studio.html", source="studio", agenda_id=agenda_id, need_key=needs_key())


@bp.get("/studio/files/<name>")
def file_page(name: str):
    """Show a shipped agenda read-only, to preview it, export it, copy it or tweak one workshop of it."""
    if name not in read_agendas()[0]:
        abort(404)
    return render_template("studio.html", source="file", agenda_id=name, need_key=needs_key())


# -- JSON API ------------------------------------------------------------------

@bp.post("/api/studio/check")
def check():
    """Check an agenda as the facilitator types; give every problem with its step and field."""
    source = json_body("POST /api/studio/check")["agenda"]
    agenda, errors = checked(source)
    return jsonify({"problems": problems_of(errors), "agenda": agenda.to_dict() if agenda else None})


@bp.post("/api/studio/agendas")
def create():
    """Keep a new studio agenda (problems and all) and give its private edit link."""
    data = json_body("POST /api/studio/agendas")
    check_creation(data["organizer_key"])
    agenda_id, key = shelf().create(data["agenda"], live().clock())
    _, errors = checked(data["agenda"])
    return jsonify({"id": agenda_id, "key": key, "version": 1, "edit_url": edit_url(agenda_id, key),
                    "problems": problems_of(errors)}), 201


@bp.get("/api/studio/agendas/<agenda_id>")
def read(agenda_id: str):
    """Return a studio agenda's newest version (or `?version=n`), with its problems and versions."""
    version = request.args.get("version", type=int)
    found = opened(agenda_id).version(agenda_id, version)
    if found is None:
        raise Refusal("That version of the agenda does not exist.", "unknown_agenda")
    agenda, errors = checked(found["source"])
    return jsonify({**found, "problems": problems_of(errors), "agenda": agenda.to_dict() if agenda else None})


@bp.put("/api/studio/agendas/<agenda_id>")
def save(agenda_id: str):
    """Keep a new version of a studio agenda; the earlier ones stay as they were."""
    store = opened(agenda_id)
    source = json_body("PUT /api/studio/agendas/<ID>")["agenda"]
    version = store.save(agenda_id, source, live().clock())
    if version is None:
        raise Refusal("There is no agenda at that link. It may have been deleted.", "unknown_agenda")
    _, errors = checked(source)
    return jsonify({"version": version, "problems": problems_of(errors)})


@bp.delete("/api/studio/agendas/<agenda_id>")
def delete(agenda_id: str):
    """Delete a studio agenda; the workshops run from it keep the copy they ran."""
    opened(agenda_id).delete(agenda_id)
    return jsonify({"ok": True})


@bp.get("/api/studio/files/<name>")
def read_file(name: str):
    """Return a shipped agenda in the studio's form, read-only."""
    agenda = shipped(name)
    return jsonify({"id": name, "source": to_source(agenda), "agenda": agenda.to_dict(), "problems": []})


@bp.get("/agendas/<name>.yaml")
def export_file(name: str):
    """Download a shipped agenda as the loader's YAML."""
    return yaml_answer(shipped(name))


@bp.post("/api/studio/export")
def export():
    """Turn an agenda without problems into a YAML file that the loader reads back as the same agenda."""
    source = json_body("POST /api/studio/export")["agenda"]
    agenda, errors = checked(source)
    if errors:
        raise errors[0]
    return yaml_answer(agenda)


def yaml_answer(agenda: Agenda) -> Response:
    return Response(to_yaml(agenda), mimetype="application/yaml", headers={
        "Content-Disposition": f'attachment; filename="{file_name(agenda.title)}"'})


@bp.post("/api/studio/import")
def import_file():
    """Read a YAML file with the loader; give it back in the studio's form, or the loader's problem."""
    text = json_body("POST /api/studio/import")["yaml"]
    data = read_yaml(text, "the file")
    agenda, errors = check_agenda(data, name="imported", file="the file")
    if errors:
        raise errors[0]
    return jsonify({"source": to_source(agenda)})


@bp.post("/api/studio/workshops")
def start():
    """Start a workshop from a file or a studio agenda, with its own tweaks and phones' language if any."""
    data = json_body("POST /api/studio/workshops")
    check_creation(data["organizer_key"])
    if data["from"] == "file":
        agenda = shipped(data["agenda"])
    else:
        agenda_id = data["agenda"]
        found = opened(agenda_id).version(agenda_id, data["version"])
        if found is None:
            raise Refusal("That version of the agenda does not exist.", "unknown_agenda")
        agenda, errors = checked(found["source"], f"studio-{agenda_id}")
        if errors:
            raise Refusal("This agenda still has problems: fix the marked fields, save, then start.",
                          "bad_agenda")
    if data["tweaked"] is not None:
        tweaked, errors = checked(data["tweaked"], agenda.name)
        if errors:
            raise errors[0]
        why = tweak_refusal(agenda, tweaked)
        if why:
            raise why
        agenda = tweaked
    room, key = live().rooms.create_room(agenda, data["odd"], data["language"])
    return jsonify({"code": room.code, "facilitator_key": key,
                    "console_url": links.console_url(room.code, key),
                    "join_url": links.join_url(room.code)}), 201
