"""The JSON API's edges: read a body against its declaration, and turn a Refusal into an HTTP answer."""

from __future__ import annotations

from flask import jsonify, request

from ..core.errors import Refusal
from .language import said
from .payload import BODIES

# The HTTP status of each refusal the JSON API gives (docs/protocol.md).
STATUS = {"bad_request": 400, "wrong_key": 403, "organizer_key_required": 403, "unknown_agenda": 404,
          "room_unavailable": 404, "room_full": 409, "bad_agenda": 422, "not_a_tweak": 422,
          "rate_limited": 429, "server_full": 503}


def api_error(message: str, code: str, status: int, retry_after=None):
    """Return a JSON error for a person and a program; a limit also says when to try again."""
    if retry_after is None:
        return jsonify({"error": message, "code": code}), status
    return (jsonify({"error": message, "code": code, "retry_after": int(retry_after)}), status,
            {"Retry-After": str(retry_after)})


def refused(error: Refusal):
    """Answer a refused JSON request: the one place a Refusal becomes an HTTP answer."""
    return api_error(said(error), error.code, STATUS.get(error.code, 400), error.retry_after)


def json_body(endpoint: str) -> dict:
    """Return the request's JSON body read against its declaration in payload.BODIES."""
    try:
        data = request.get_json(silent=True)
    except RecursionError:
        data = None
    return BODIES[endpoint].read(data)
