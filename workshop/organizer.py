"""Organizer pages: every workshop on the server, and each workshop's report and downloads."""

from __future__ import annotations

import random
from urllib.parse import quote

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)

from . import chart, report
from .agenda import Agenda
from .events import live
from .feedback import summarize
from .keys import report_key, same
from .live import normal_code

bp = Blueprint("organizer", __name__)

DOWNLOADS = {
    "csv": ("text/csv; charset=utf-8", report.to_csv),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", report.to_xlsx),
    "pdf": ("application/pdf", report.to_pdf),
}


def is_organizer() -> bool:
    """Tell whether this browser has signed in with the organizer key."""
    return session.get("organizer") is True


def may_read(code: str) -> bool:
    """Tell whether this browser may read a workshop's report."""
    return is_organizer() or code in session.get("reports", [])


def share_link(code: str) -> str:
    """Return the shareable link to a workshop's report; the key rides in the fragment."""
    base = (current_app.config.get("PUBLIC_URL") or request.host_url).rstrip("/")
    return f"{base}/reports/{code}#key={quote(report_key(current_app.config['SECRET_KEY'], code))}"


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
    questions = next((s["questions"] for s in agenda.steps if s["kind"] == "feedback"), [])
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
        if same(request.form.get("key", "").strip(), current_app.config["ORGANIZER_KEY"]):
            session.clear()
            session["organizer"] = True
            session.permanent = True
            return redirect(url_for("organizer.overview"), code=303)
        error = "That organizer key is not right."
    if not is_organizer():
        return render_template("organizer_login.html", error=error), 403 if error else 200
    rng = random.Random()
    workshops = [build_report(code, rng) for code in live().store.rooms()]
    return render_template("organizer.html", workshops=workshops)


@bp.post("/organizer/logout")
def logout():
    """Forget this browser's organizer sign-in."""
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
    charts = {
        "attendance": chart.attendance_svg(data),
        "rounds": chart.rounds_svg(data),
        "questions": [chart.distribution_svg(s, q) for s, q in
                      zip(data["feedback"]["questions"], data["questions"], strict=True)],
    }
    return render_template("report.html", report=data, charts=charts,
                           share_link=share_link(code) if is_organizer() else None)


@bp.post("/reports/<code>/unlock")
def unlock(code: str):
    """Let a shared report link's key open that one report in this browser."""
    code = normal_code(code)
    try:
        data = request.get_json(silent=True)
    except RecursionError:
        data = None
    key = data.get("key") if isinstance(data, dict) else None
    if not isinstance(key, str) or not same(key, report_key(current_app.config["SECRET_KEY"], code)):
        return jsonify({"error": "That report link is not valid.", "code": "wrong_key"}), 403
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
    return Response(render(data), mimetype=mimetype, headers={
        "Content-Disposition": f'attachment; filename="{report.report_filename(data, ext)}"',
        "Cache-Control": "no-store",
    })
