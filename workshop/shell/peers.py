"""The organizer's view across a cluster: each worker tells its peers about its own workshops."""

from __future__ import annotations

import random

from flask import Blueprint, abort, current_app, jsonify, request

from .cluster import PEER_HEADER, SIGN_IN_HEADER, peer_signature
from .keys import report_key, same
from .live import live
from .organizer import build_report, sign_in_alive

bp = Blueprint("peers", __name__)


def from_a_peer() -> None:
    """Refuse (403) a request that does not carry the cluster's peer signature."""
    if not same(request.headers.get(PEER_HEADER, ""), peer_signature(current_app.config["SECRET_KEY"])):
        abort(403)


@bp.get("/organizer/peer/sign-in")
def holds_sign_in():
    """Tell a peer whether the organizer sign-in whose id has this digest is alive here."""
    return jsonify({"alive": sign_in_alive(asked_sign_in())})


@bp.delete("/organizer/peer/sign-in")
def forget_sign_in():
    """Forget an organizer sign-in here: the organizer signed out on another worker."""
    live().store.close_organizer_session(asked_sign_in())
    return jsonify({"alive": False})


def asked_sign_in() -> str:
    """The sign-in digest a peer asks about (403 for anyone but a peer, 400 for a missing one)."""
    from_a_peer()
    id_hash = request.headers.get(SIGN_IN_HEADER, "")
    if not 0 < len(id_hash) <= 128:
        abort(400)
    return id_hash


@bp.get("/organizer/peer.json")
def own_workshops():
    """List this worker's workshops for the organizer page of another worker, with their report links."""
    from_a_peer()
    secret = current_app.config["SECRET_KEY"]
    rng, workshops = random.Random(), []
    for code in live().store.rooms():
        data = build_report(code, rng)
        if data is None:
            continue
        workshops.append({
            "workshop": data["workshop"],
            "attendance": {"joined": data["attendance"]["joined"], "peak": data["attendance"]["peak"]},
            "rounds": {"held": data["rounds"]["held"]},
            "feedback": {"count": data["feedback"]["count"]},
            # The owner has no record of this organizer's sign-in: the share key opens the report.
            "report_href": f"/reports/{code}#key={report_key(secret, code)}",
        })
    return jsonify({"workshops": workshops})
