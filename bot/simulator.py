"""The simulator channel: chat with the bot over JSON or in a browser page, same pipeline."""

from __future__ import annotations

import re
import uuid

from flask import Blueprint, abort, current_app, jsonify, render_template, request
from sqlalchemy import select

from bot.db import transaction
from bot.models import OutboundMessage
from bot.phones import to_e164
from bot.pipeline import InboundCommand, handle_inbound
from bot.sanitize import valid_message_id

bp = Blueprint("simulator", __name__, url_prefix="/simulator")
MAX_TEXT = 10_000
_AFTER = re.compile(r"\d{1,18}", re.ASCII)  # a message id: fits a 64-bit integer


def _rt():
    rt = current_app.extensions["jemput_bola"]
    if not rt.settings["channels"]["simulator"]:
        abort(404)
    return rt


def _error(message: str, status: int = 400):
    return jsonify({"error": message}), status


@bp.get("")
def page():
    _rt()
    return render_template("simulator.html")


@bp.post("/send")
def send():
    rt = _rt()
    try:
        data = request.get_json(silent=True)
    except RecursionError:  # nested thousands of levels deep
        data = None
    if not isinstance(data, dict):
        return _error('send JSON like {"from": "+6281234567890", "text": "halo"}')
    sender, text = data.get("from"), data.get("text")
    if not isinstance(sender, str) or not sender.strip():
        return _error("'from' must be a phone number")
    if text is not None and not isinstance(text, str):
        return _error("'text' must be a string")
    if text is not None and len(text) > MAX_TEXT:
        return _error(f"'text' is longer than {MAX_TEXT} characters")
    if to_e164(sender, rt.settings["default_region"]) is None:
        return _error(f"'from' is not a valid phone number: {sender[:40]!r}")
    msg_id = data.get("id")
    if msg_id is not None and not valid_message_id(msg_id, 60):
        return _error("'id' must be 1-60 printable ASCII characters without spaces")
    cmd = InboundCommand("simulator", sender, text or "", msg_id or f"SIM{uuid.uuid4().hex}")
    result = handle_inbound(cmd, rt)
    return jsonify({"replies": result.replies, "events": result.events, "status": result.status})


@bp.get("/messages")
def messages():
    """Everything sent to a number (replies, reminders, alerts), newest last."""
    rt = _rt()
    phone = to_e164(request.args.get("phone", ""), rt.settings["default_region"])
    if phone is None:
        return _error("'phone' must be a valid phone number")
    after = request.args.get("after") or "0"
    if not _AFTER.fullmatch(after):
        return _error("'after' must be a message id (a whole number)")
    after_id = int(after)
    with transaction(rt.session_factory) as s:
        rows = s.execute(
            select(OutboundMessage)
            .where(OutboundMessage.to_phone == phone, OutboundMessage.id > after_id)
            .order_by(OutboundMessage.id)
            .limit(200)
        ).scalars()
        out = [{"id": m.id, "kind": m.kind, "body": m.body, "status": m.status} for m in rows]
    return jsonify({"messages": out})
