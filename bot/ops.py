"""Operations endpoints: /healthz (the process is alive), /readyz (database and NLU ready, for a
load balancer) and /metrics (Prometheus; a bearer token, or the same machine only)."""

from __future__ import annotations

import hmac
import json
import logging
import threading
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

from flask import Blueprint, Response, current_app, jsonify, request
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from bot import metrics

log = logging.getLogger(__name__)
bp = Blueprint("ops", __name__)
_LOOPBACK = {"127.0.0.1", "::1"}
_head_lock = threading.Lock()
_HEADS: tuple[str, ...] | None = None


def _rt():
    return current_app.extensions["jemput_bola"]


@bp.get("/healthz")
def healthz():
    """Alive: answers as long as the process serves requests (no database, no NLU)."""
    rt = _rt()
    nlu = rt._nlu
    return jsonify({"ok": True, "nlu_loaded": bool(nlu and nlu.backend.loaded)})


@bp.get("/readyz")
def readyz():
    """Ready for traffic: the database answers at the schema this code needs, and the NLU has
    its model (loaded in this process, or the Rasa server reports one). 503 with the reason."""
    rt = _rt()
    checks = {"database": database_status(rt), "nlu": nlu_status(rt)}
    ready = all(v == "ok" for v in checks.values())
    resp = jsonify({"ready": ready, **checks})
    if not ready:
        resp.status_code = 503
        resp.headers["Retry-After"] = "5"
    return resp


def schema_heads() -> tuple[str, ...]:
    global _HEADS
    with _head_lock:
        if _HEADS is None:
            from alembic.script import ScriptDirectory

            from bot.migrate import alembic_config

            script = ScriptDirectory.from_config(alembic_config("sqlite://"))
            _HEADS = tuple(sorted(script.get_heads()))
        return _HEADS


def database_status(rt) -> str:
    try:
        with rt.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
            try:
                rows = conn.execute(text("SELECT version_num FROM alembic_version")).scalars()
                current = tuple(sorted(rows))
            except DBAPIError:
                return "no schema: run `flask --app app db upgrade`"
    except DBAPIError as exc:
        log.warning("readyz: database unavailable (%s)", type(exc.orig).__name__)
        return "unavailable"
    if current != schema_heads():
        return "schema out of date: run `flask --app app db upgrade`"
    return "ok"


def nlu_status(rt) -> str:
    settings = rt.settings["nlu"]
    if settings["backend"] == "http":
        return _rasa_server_status(settings, rt.settings.get("nlu", {}).get("server_token"))
    nlu = rt._nlu
    if nlu is not None and nlu.backend.loaded:
        return "ok"
    rt.preload_nlu()  # start loading (once) so that a later probe sees it ready
    return "loading"


def _rasa_server_status(settings: dict[str, Any], token: str | None) -> str:
    """GET /status of `rasa run --enable-api`: ready once it reports a model file."""
    url = settings["server_url"].rstrip("/") + "/status"
    if token:
        url += "?" + urllib.parse.urlencode({"token": token})
    try:
        with urllib.request.urlopen(url, timeout=2) as resp:  # noqa: S310 (configured URL)
            body = json.loads(resp.read().decode() or "{}")
    except urllib.error.HTTPError as exc:
        return f"nlu server answered {exc.code}"
    except (OSError, ValueError):
        return "nlu server unreachable"
    return "ok" if body.get("model_file") else "nlu server has no model yet"


@bp.get("/metrics")
def metrics_endpoint():
    """Prometheus text format. With METRICS_TOKEN set: `Authorization: Bearer <token>` from
    anywhere; without it, only direct (not proxied) requests from this machine."""
    token = _rt().settings.get("web", {}).get("metrics_token")
    if token:
        given = request.headers.get("Authorization", "")
        if not hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
            resp = jsonify({"error": "metrics need Authorization: Bearer <METRICS_TOKEN>"})
            resp.headers["WWW-Authenticate"] = 'Bearer realm="metrics"'
            return resp, 401
    elif request.remote_addr not in _LOOPBACK or request.headers.get("X-Forwarded-For"):
        return jsonify({"error": "metrics are served to this machine only: set METRICS_TOKEN"}), 403
    return Response(metrics.render(_rt()), mimetype=None, content_type=metrics.CONTENT_TYPE)
