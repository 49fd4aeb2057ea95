"""HTTP pages and the small JSON API: start a workshop, join one, and the pages that run them."""

from __future__ import annotations

import io
import time
from pathlib import Path
from urllib.parse import quote

import segno
from flask import Blueprint, Response, abort, current_app, g, jsonify, redirect, render_template, request
from flask_babel import gettext as _
from werkzeug.exceptions import HTTPException

from ..core.agenda import Agenda, AgendaError, load_agendas
from ..core.errors import Refusal
from ..core.limits import Crowded, address_key
from . import links
from .api import STATUS, api_error, json_body, refused
from .codes import is_code, normal_code
from .keys import join_key, same
from .language import LANGUAGES, catalog, said, supported
from .live import BUSY, TOO_MANY, busy, check_code, holds_join_key, live, too_many
from .registry import UNAVAILABLE

bp = Blueprint("web", __name__)

CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "connect-src 'self'; media-src 'self'; font-src 'self'; object-src 'none'; "
       "base-uri 'none'; form-action 'self'; frame-ancestors 'none'")


def read_agendas() -> tuple[dict[str, Agenda], list[AgendaError]]:
    """Read the agenda folder afresh, so that edits show without a restart."""
    return load_agendas(Path(current_app.config["AGENDAS"]))


@bp.after_app_request
def secure_headers(response: Response) -> Response:
    """Add the headers that keep pages and secrets where they belong."""
    response.headers.setdefault("Content-Security-Policy", CSP)
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["X-Frame-Options"] = "DENY"
    if request.path.startswith(("/facilitate", "/api/")):
        response.headers["Cache-Control"] = "no-store"
    return response


bp.app_errorhandler(Refusal)(refused)

# The JSON API's answers to what Flask refuses before a handler runs, in the API's own shape.
HTTP_CODES = {404: "not_found", 405: "method_not_allowed", 413: "too_large"}


def is_json_api() -> bool:
    """Tell whether this request went to the JSON API or a catalog (whose every answer is JSON)."""
    return request.path.startswith(("/api/", "/i18n/")) or (request.path.startswith("/reports/")
                                                            and request.path.endswith("/unlock"))


@bp.app_errorhandler(HTTPException)
def http_error(error: HTTPException):
    """Answer the JSON API's unknown paths, wrong methods and oversized bodies as JSON; pages as pages."""
    if not is_json_api() or error.code not in HTTP_CODES:
        return error
    message = {404: _("There is no such endpoint."), 405: _("This endpoint does not take that method."),
               413: _("The request body is larger than 64 KB.")}[error.code]
    response, status = api_error(message, HTTP_CODES[error.code], error.code)
    if error.code == 405 and error.valid_methods:
        response.headers["Allow"] = ", ".join(error.valid_methods)
    return response, status


# -- pages ---------------------------------------------------------------------

def check_creation(key) -> None:
    """Refuse a request that may not start a workshop: the address's limit, or a missing organizer key.

    A signed-in organizer, or a request carrying the organizer key, is not limited. A
    wrong key spends the address's budget like any other try, so the key cannot be guessed
    here faster than workshops can be started.
    """
    from .organizer import is_organizer

    if is_organizer() or (isinstance(key, str) and key and same(key, current_app.config["ORGANIZER_KEY"])):
        return
    address, now = address_key(request.remote_addr), time.monotonic()
    if not live().creations.allow(address, now):
        wait = live().creations.retry_after(address, now)
        raise Refusal("Too many workshops were started from your network. Please try again in {seconds} s.",
                      "rate_limited", retry_after=wait, seconds=wait)
    if current_app.config.get("REQUIRE_ORGANIZER_KEY"):
        raise Refusal("Starting a workshop on this server needs the organizer key.", "organizer_key_required")


def needs_key() -> bool:
    """Tell whether the home page must ask for the organizer key to start a workshop."""
    from .organizer import is_organizer

    return bool(current_app.config.get("REQUIRE_ORGANIZER_KEY")) and not is_organizer()


@bp.get("/")
def home():
    """List the agendas and offer to start a workshop."""
    agendas, errors = read_agendas()
    return render_template("home.html", agendas=list(agendas.values()), errors=errors, need_key=needs_key())


@bp.post("/workshops")
def start_workshop():
    """Start a workshop from the home page's form and open its console."""
    try:
        check_creation(request.form.get("organizer_key", "").strip())
    except Refusal as error:
        return not_started(error)
    agendas = read_agendas()[0]
    agenda = agendas.get(request.form.get("agenda", ""))
    odd = request.form.get("odd") or None
    language = request.form.get("language") or None
    if agenda is None or odd not in (None, "triad", "facilitator") or language not in (None, *LANGUAGES):
        return render_template("error.html", title=_("That agenda is not available"),
                               message=_("Pick one of the agendas on the home page.")), 400
    try:
        room, key = live().rooms.create_room(agenda, odd, language)
    except Refusal as error:
        return not_started(error)
    return redirect(f"/facilitate/{room.code}#key={quote(key)}", code=303)


def not_started(error: Refusal):
    """Answer the home page's form with why no workshop was started, at the JSON API's status."""
    headers = {} if error.retry_after is None else {"Retry-After": str(error.retry_after)}
    return render_template("error.html", title=_("The workshop was not started"), message=said(error)), \
        STATUS.get(error.code, 400), headers


def guarded_page(attempt, code: str, secret: bool = False):
    """Answer a page that tells a real code from a wrong one, in turn unless it holds the key."""
    try:
        return check_code(attempt, secret)
    except Crowded as crowded:
        return render_template("join.html", code=code, error=too_many(crowded.retry_after)), 429, \
            {"Retry-After": str(crowded.retry_after)}


@bp.get("/facilitate/<code>")
def console(code: str):
    """Serve the facilitator console for any well-formed code, alike: its socket checks the key.

    The page looks nothing up, so it tells a real code from a wrong one no more than the
    socket does (`wrong_key` for both), and needs no place in the code guard.
    """
    code = normal_code(code)
    if not is_code(code):
        abort(404)
    return render_template("console.html", code=code, join_url=links.typed_join_url(code),
                           base_url=links.base_url(), reach_warning=links.reach_warning())


@bp.get("/p/<code>")
def projector(code: str):
    """Serve the projector's page for any well-formed code, alike: its socket checks the display key."""
    code = normal_code(code)
    if not is_code(code):
        abort(404)
    # The projector speaks the room's language: its page (which looks nothing up) follows `?lang=`,
    # and projector.js reloads itself with the room's language once its key has opened the room.
    return render_template("projector.html", code=code, join_url=links.typed_join_url(code))


@bp.get("/join")
def join_page():
    """Ask for a room code; a well-formed code in the query goes to its page, which checks it."""
    code = normal_code(request.args.get("code", ""))[:12]
    if is_code(code):
        return redirect(f"/j/{code}", code=303)
    error = _(UNAVAILABLE) if code else None
    return render_template("join.html", code=code[:6], error=error), 404 if error else 200


@bp.get("/j/<code>")
def attendee_page(code: str):
    """Serve the attendee's page for an open room, or say plainly that there is none."""
    code = normal_code(code)
    if not is_code(code):
        return render_template("join.html", code=code[:6], error=_(UNAVAILABLE)), 404

    keyed = holds_join_key(code, request.args.get("k"))
    hint = _(BUSY) if not keyed and busy() else None  # decided before the code is looked at: tells nothing

    def attempt():
        room = live().rooms.room(code)
        if room is None:
            answer = render_template("join.html", code=code, error=_(UNAVAILABLE), busy=hint), 404
            return answer, live().rooms.exists(code)
        g.room_language = room.settings.language  # for phones whose browser speaks none of ours
        # The page of an open room may carry its join key: whoever sees it knows the code already.
        key = join_key(current_app.config["SECRET_KEY"], room.code)
        return render_template("attendee.html", code=room.code, title=room.agenda.title,
                               locked=room.locked, join_key=key), True

    return guarded_page(attempt, code, secret=keyed)


@bp.get("/j/<code>/qr.svg")
def qr_code(code: str):
    """Draw the join link as a QR code, for any well-formed code: it is only the link, and tells nothing.

    Its join key goes into the drawing only when the request carries it (`?k=`): the QR code
    never hands out a key that its asker did not already hold.
    """
    code = normal_code(code)
    if not is_code(code):
        abort(404)
    out = io.BytesIO()
    keyed = holds_join_key(code, request.args.get("k"))
    target = links.join_url(code) if keyed else links.typed_join_url(code)
    segno.make(target, error="m").save(
        out, kind="svg", scale=8, border=2, dark="#1f2a37", light="#ffffff",
        title=_("QR code to join workshop {code}").format(code=code))
    return Response(out.getvalue(), mimetype="image/svg+xml")


@bp.get("/healthz")
def health():
    """Tell a load balancer that the server and its database answer."""
    return jsonify({"ok": live().store.ping()})


# -- JSON API ------------------------------------------------------------------

@bp.get("/api/agendas")
def list_agendas():
    """List the agendas the server offers, and the files that failed to load."""
    agendas, errors = read_agendas()
    return jsonify({
        "agendas": [{"name": a.name, "title": a.title, "summary": a.summary, "minutes": a.minutes,
                     "steps": len(a.steps)} for a in agendas.values()],
        "errors": [{"file": e.file, "error": str(e)} for e in errors],
    })


@bp.post("/api/workshops")
def create_workshop():
    """Create a workshop and return its code, its facilitator key and its links."""
    data = json_body("POST /api/workshops")
    check_creation(data["organizer_key"])
    agenda = read_agendas()[0].get(data["agenda"])
    if agenda is None:
        raise Refusal("There is no agenda called '{name}'.", "unknown_agenda", name=data["agenda"])
    room, key = live().rooms.create_room(agenda, data["odd"], data["language"])
    return jsonify({
        "code": room.code,
        "facilitator_key": key,
        "console_url": links.console_url(room.code, key),
        "join_url": links.join_url(room.code),
    }), 201


@bp.post("/api/join")
def join():
    """Admit an attendee by room code and first name; return their token."""
    data = json_body("POST /api/join")
    code, name = normal_code(data["code"]), data["name"]
    unavailable = Refusal(UNAVAILABLE, "room_unavailable")
    if not is_code(code):  # its shape is no secret: no need to spend the budget on it
        raise unavailable

    keyed = holds_join_key(code, data["join_key"])  # a wrong key is no key: the slow path, never a hint

    def attempt():
        try:
            room, attendee_id, token = live().rooms.join(code, name)
        except Refusal as error:
            if error.code == "room_full":
                return refused(error), True
            return refused(unavailable), live().rooms.exists(code)
        return (jsonify({"token": token, "attendee_id": attendee_id, "code": room.code, "name": name}),
                201), True

    try:
        return check_code(attempt, secret=keyed)
    except Crowded as crowded:
        return refused(Refusal(TOO_MANY, "rate_limited", crowded.retry_after, seconds=crowded.retry_after))


@bp.get("/i18n/<lang>.json")
def language_catalog(lang: str):
    """Serve one language's catalog for the JavaScript: the same gettext messages the pages use."""
    if supported(lang) != lang:
        abort(404)
    response = jsonify(catalog(lang))
    response.cache_control.public = True
    response.cache_control.max_age = 3600
    return response


@bp.get("/api/time")
def server_time():
    """Return the server clock in epoch milliseconds."""
    return jsonify({"now": live().clock()})
