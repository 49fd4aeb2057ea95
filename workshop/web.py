"""HTTP pages and the small JSON API: start a workshop, join one, and the pages that run them."""

from __future__ import annotations

import io
import time
from urllib.parse import quote

import segno
from flask import Blueprint, Response, abort, current_app, jsonify, redirect, render_template, request

from . import payload as p
from .events import join_url, live
from .live import UNAVAILABLE, normal_code
from .room import RoomError

bp = Blueprint("web", __name__)

CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "connect-src 'self'; media-src 'self'; font-src 'self'; object-src 'none'; "
       "base-uri 'none'; form-action 'self'; frame-ancestors 'none'")


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


def api_error(message: str, code: str, status: int):
    """Return a JSON error for a person and a program."""
    return jsonify({"error": message, "code": code}), status


def json_body() -> dict:
    """Return the request's JSON object, refusing anything else."""
    try:
        data = request.get_json(silent=True)
    except RecursionError:
        data = None
    if not isinstance(data, dict):
        raise p.PayloadError("Send a JSON object with Content-Type: application/json.")
    return data


@bp.errorhandler(p.PayloadError)
def bad_payload(error: p.PayloadError):
    return api_error(error.message, "bad_request", 400)


# -- pages ---------------------------------------------------------------------

@bp.get("/")
def home():
    """List the agendas and offer to start a workshop."""
    agendas, errors = live().agendas()
    return render_template("home.html", agendas=list(agendas.values()), errors=errors)


@bp.post("/workshops")
def start_workshop():
    """Start a workshop from the home page's form and open its console."""
    agendas, _ = live().agendas()
    agenda = agendas.get(request.form.get("agenda", ""))
    odd = request.form.get("odd") or None
    if agenda is None or odd not in (None, "triad", "facilitator"):
        return render_template("error.html", title="That agenda is not available",
                               message="Pick one of the agendas on the home page."), 400
    room, key = live().create_room(agenda, odd)
    return redirect(f"/facilitate/{room.code}#key={quote(key)}", code=303)


@bp.get("/facilitate/<code>")
def console(code: str):
    """Serve the facilitator console; its key stays in the URL fragment."""
    room = live().rooms.get(normal_code(code))
    if room is None:
        abort(404)
    return render_template("console.html", code=room.code, title=room.agenda.title,
                           join_url=join_url(room.code))


@bp.get("/join")
def join_page():
    """Ask for a room code; a code given in the query goes straight to its room."""
    code = normal_code(request.args.get("code", ""))[:6]
    if code and live().room(code) is not None:
        return redirect(f"/j/{code}", code=303)
    error = UNAVAILABLE if code else None
    return render_template("join.html", code=code, error=error), 404 if error else 200


@bp.get("/j/<code>")
def attendee_page(code: str):
    """Serve the attendee's page for a room."""
    room = live().room(code)
    if room is None:
        return render_template("join.html", code=normal_code(code)[:6], error=UNAVAILABLE), 404
    return render_template("attendee.html", code=room.code, title=room.agenda.title, locked=room.locked)


@bp.get("/j/<code>/qr.svg")
def qr_code(code: str):
    """Draw the join link as a QR code."""
    room = live().room(code)
    if room is None:
        abort(404)
    out = io.BytesIO()
    segno.make(join_url(room.code), error="m").save(
        out, kind="svg", scale=8, border=2, dark="#1f2a37", light="#ffffff",
        title=f"QR code to join workshop {room.code}")
    return Response(out.getvalue(), mimetype="image/svg+xml")


@bp.get("/healthz")
def health():
    """Tell a load balancer that the server and its database answer."""
    return jsonify({"ok": live().store.ping()})


# -- JSON API ------------------------------------------------------------------

@bp.get("/api/agendas")
def list_agendas():
    """List the agendas the server offers, and the files that failed to load."""
    agendas, errors = live().agendas()
    return jsonify({
        "agendas": [{"name": a.name, "title": a.title, "summary": a.summary, "minutes": a.minutes,
                     "steps": len(a.steps)} for a in agendas.values()],
        "errors": [{"file": e.file, "error": str(e)} for e in errors],
    })


@bp.post("/api/workshops")
def create_workshop():
    """Create a workshop and return its code, its facilitator key and its links."""
    data = json_body()
    name = p.text(data, "agenda", 80)
    odd = p.choice(data, "odd", ("triad", "facilitator"), default="triad") if "odd" in data else None
    agenda = live().agendas()[0].get(name)
    if agenda is None:
        return api_error(f"There is no agenda called '{name}'.", "unknown_agenda", 404)
    room, key = live().create_room(agenda, odd)
    base = (current_app.config.get("PUBLIC_URL") or request.host_url).rstrip("/")
    return jsonify({
        "code": room.code,
        "facilitator_key": key,
        "console_url": f"{base}/facilitate/{room.code}#key={quote(key)}",
        "join_url": join_url(room.code),
    }), 201


@bp.post("/api/join")
def join():
    """Admit an attendee by room code and first name; return their token."""
    data = json_body()
    address = request.remote_addr or "unknown"
    if live().failed_joins.exhausted(address, time.monotonic()):
        return api_error("Too many wrong codes from this network. Please wait a minute and try again.",
                         "rate_limited", 429)
    code = normal_code(p.text(data, "code", 12, what="The room code"))
    name = p.text(data, "name", 40, what="Your name")
    try:
        room, attendee_id, token = live().join(code, name)
    except RoomError as error:
        live().failed_joins.allow(address, time.monotonic())
        status = 409 if error.code == "room_full" else 404
        message = UNAVAILABLE if status == 404 else error.message
        return api_error(message, error.code if status == 409 else "room_unavailable", status)
    return jsonify({"token": token, "attendee_id": attendee_id, "code": room.code, "name": name}), 201


@bp.get("/api/time")
def server_time():
    """Return the server clock in epoch milliseconds."""
    return jsonify({"now": live().clock()})
