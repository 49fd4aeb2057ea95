"""Organizer pages: every workshop on the server, and each workshop's report and downloads."""

from __future__ import annotations

import math
import random
import time

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _

from ..core import report
from ..core.agenda import Agenda
from ..core.errors import Refusal
from ..core.feedback import summarize
from ..core.limits import RateLimit
from ..core.report import chart
from . import links
from .agendas import Shelf
from .api import json_body
from .codes import normal_code
from .keys import digest, key_fingerprint, new_secret, report_key, same
from .language import report_words
from .live import live

bp = Blueprint("organizer", __name__)

# Wrong organizer keys, per address: 5 at once, then one a minute. Organizers are few and
# their key is 192 random bits unless set by hand; a venue sharing the address waits a minute.
WRONG_KEYS_PER_SECOND = 1 / 60
WRONG_KEYS_BURST = 5
SESSION_LIFE_MS = 7 * 24 * 3600 * 1000  # a sign-in ends after a week however busy it is

DOWNLOADS = {
    "csv": ("text/csv", report.to_csv),  # Flask adds "; charset=utf-8" to every text/* type
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", report.to_xlsx),
    "pdf": ("application/pdf", report.to_pdf),
}


@bp.record_once
def keep_sign_in_limit(state) -> None:
    """Give each app its own count of wrong organizer keys."""
    state.app.extensions["organizer_sign_ins"] = RateLimit(WRONG_KEYS_PER_SECOND, WRONG_KEYS_BURST)


def key_print() -> str:
    """Return the fingerprint of the organizer key this server runs with."""
    return key_fingerprint(current_app.config["SECRET_KEY"], current_app.config["ORGANIZER_KEY"])


def idle_ms() -> int:
    """Return how long an organizer sign-in lasts without use."""
    return int(current_app.config["ORGANIZER_IDLE_HOURS"] * 3600 * 1000)


def is_organizer() -> bool:
    """Tell whether this browser holds a live sign-in, issued under the current organizer key."""
    if "organizer" not in g:
        sid = session.get("organizer")
        g.organizer = isinstance(sid, str) and (sign_in_alive(digest(sid))
                                                or signed_in_on_a_peer(digest(sid)))
    return g.organizer


def sign_in_alive(id_hash: str) -> bool:
    """Tell whether this worker holds a live sign-in with this id's digest (and note its use)."""
    return live().store.organizer_session_alive(id_hash, key_print(), live().clock(), idle_ms(),
                                                SESSION_LIFE_MS)


def peers() -> list[str]:
    """Return the other workers' base URLs in a cluster (none for a single server)."""
    return [url for url in (current_app.config.get("PEERS") or "").split(",") if url]


def signed_in_on_a_peer(id_hash: str) -> bool:
    """In a cluster, a sign-in lives in the database of the worker that served the organizer page:
    the others ask it, so a signed-in organizer opens any workshop's report on its own worker."""
    if not peers():
        return False
    from .cluster import peer_holds_sign_in
    return peer_holds_sign_in(peers(), current_app.config["SECRET_KEY"], id_hash)


def sign_in() -> None:
    """Start a new server-side sign-in and give this browser only its random id."""
    sid = new_secret()
    live().store.open_organizer_session(digest(sid), key_print(), live().clock(), idle_ms())
    session.clear()
    session["organizer"] = sid
    session.permanent = True
    g.organizer = True


def may_read(code: str) -> bool:
    """Tell whether this browser may read a workshop's report."""
    return is_organizer() or code in session.get("reports", [])


def build_report(code: str, rng: random.Random | None = None) -> dict | None:
    """Gather what a report shows, from the database, for an open or an ended workshop.

    Only published answers are shown; a closed form publishes the waiting ones in steps
    of at least k (see feedback.publish), so two reports never differ by one person.
    """
    store = live().store
    record = store.room_record(code)
    if record is None:
        return None
    agenda, state = Agenda.from_dict(record["agenda"]), record["state"]
    questions = [q.to_dict() for q in agenda.feedback.questions] if agenda.feedback else []
    threshold = state["settings"]["feedback_threshold"]
    closed = state["feedback_closed"] or state["status"] == "ended"
    published, pending = store.results(code, threshold, closed)
    summary = summarize(questions, published, threshold=threshold, pending=pending)
    timeline = store.attendance(code)
    return {
        "workshop": {"code": code, "title": agenda.title, "agenda": agenda.name,
                     "started_at": record["created_at"], "ended_at": state["ended_at"],
                     "status": state["status"]},
        "attendance": {"joined": record["joined"], "peak": max((n for _, n in timeline), default=0),
                       "timeline": timeline},
        "rounds": {"held": len(state["rounds_held"]), "groups": [r["groups"] for r in state["rounds_held"]]},
        "feedback": summary,
        "responses": list(published) if summary["visible"] else [],
        "questions": questions,
    }


@bp.route("/organizer", methods=["GET", "POST"])
def overview():
    """Sign in with the organizer key, then list every workshop, newest first."""
    error = None
    if request.method == "POST":
        limit, address = current_app.extensions["organizer_sign_ins"], request.remote_addr or "unknown"
        if limit.exhausted(address, time.monotonic()):
            wait = math.ceil(1 / WRONG_KEYS_PER_SECOND)
            page = render_template("organizer_login.html",
                                   error=_("Too many wrong keys from this network. Please wait a minute."))
            return page, 429, {"Retry-After": str(wait)}
        if same(request.form.get("key", "").strip(), current_app.config["ORGANIZER_KEY"]):
            sign_in()
            return redirect(url_for("organizer.overview"), code=303)
        limit.allow(address, time.monotonic())
        error = _("That organizer key is not right.")
    if not is_organizer():
        return render_template("organizer_login.html", error=error), 403 if error else 200
    rng = random.Random()
    workshops = [build_report(code, rng) for code in live().store.rooms()]
    silent = []
    if peers():  # a cluster: the other workers answer for their own rooms
        from .cluster import peer_workshops
        more, silent = peer_workshops(peers(), current_app.config["SECRET_KEY"])
        workshops = sorted([*workshops, *more], key=lambda w: w["workshop"]["started_at"], reverse=True)
    return render_template("organizer.html", workshops=workshops, silent=silent,
                           agendas=Shelf(live().store).all())


@bp.post("/organizer/agendas/<agenda_id>/delete")
def delete_agenda(agenda_id: str):
    """Delete a studio agenda from the organizer page; workshops run from it keep their copy."""
    if not is_organizer():
        abort(403)
    Shelf(live().store).delete(agenda_id)
    return redirect(url_for("organizer.overview"), code=303)


@bp.post("/organizer/logout")
def logout():
    """End this browser's organizer sign-in on the server, so that no copy of its cookie works."""
    sid = session.get("organizer")
    if isinstance(sid, str):
        live().store.close_organizer_session(digest(sid))
        if peers():  # a cluster: the sign-in may have been made on a peer
            from .cluster import peers_forget_sign_in
            peers_forget_sign_in(peers(), current_app.config["SECRET_KEY"], digest(sid))
    session.clear()
    return redirect(url_for("organizer.overview"), code=303)


@bp.get("/reports/<code>")
def report_page(code: str):
    """Show a workshop's report, or the page that unlocks it with a shared link's key."""
    code = normal_code(code)
    if not may_read(code):
        return render_template("report_locked.html", code=code), 403
    data = build_report(code, random.Random())
    if data is None:
        abort(404)
    say = report_words()
    charts = {
        "attendance": chart.attendance_svg(data, say),
        "rounds": chart.rounds_svg(data, say),
        "questions": [chart.distribution_svg(s, q, say) for s, q in
                      zip(data["feedback"]["questions"], data["questions"], strict=True)],
    }
    return render_template("report.html", report=data, charts=charts,
                           share_link=links.report_url(code) if is_organizer() else None)


@bp.post("/reports/<code>/unlock")
def unlock(code: str):
    """Let a shared report link's key open that one report in this browser."""
    code = normal_code(code)
    key = json_body("POST /reports/<CODE>/unlock")["key"]
    if not same(key, report_key(current_app.config["SECRET_KEY"], code)):
        raise Refusal("That report link is not valid.", "wrong_key")
    session["reports"] = [*session.get("reports", [])[-49:], code]
    return jsonify({"ok": True})


@bp.get("/reports/<code>.<ext>")
def download(code: str, ext: str):
    """Download a workshop's report as CSV, XLSX or PDF."""
    code = normal_code(code)
    if ext not in DOWNLOADS:
        abort(404)
    if not may_read(code):
        abort(403)
    data = build_report(code, random.Random())
    if data is None:
        abort(404)
    mimetype, render = DOWNLOADS[ext]
    return Response(render(data, say=report_words()), mimetype=mimetype, headers={
        "Content-Disposition": f'attachment; filename="{report.report_filename(data, ext)}"',
        "Cache-Control": "no-store",
    })
