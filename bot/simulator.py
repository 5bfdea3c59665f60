"""The simulator channel: chat with the bot over JSON or in a browser page, same pipeline.

Closed by default (bot/config.py `simulator_mode`): open to anyone only in development (the log
sender); next to the Twilio sender only when enabled, and then only for logged-in dashboard
staff, with test numbers (not a health worker's or a real contact's), audited, and the history
shows only what the simulator itself received.
"""

from __future__ import annotations

import re
import uuid

from flask import (
    Blueprint,
    abort,
    current_app,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from sqlalchemy import select

from bot.config import simulator_mode
from bot.db import transaction
from bot.models import Contact, OutboundMessage, Worker
from bot.phones import to_e164
from bot.pipeline import InboundCommand, handle_inbound
from bot.sanitize import valid_message_id

bp = Blueprint("simulator", __name__, url_prefix="/simulator")
MAX_TEXT = 10_000
_AFTER = re.compile(r"\d{1,18}", re.ASCII)  # a message id: fits a 64-bit integer


def _rt():
    return current_app.extensions["jemput_bola"]


@bp.before_request
def _gate():
    """404 when the simulator is off; in staff mode a dashboard login is required."""
    rt = _rt()
    g.simulator_mode = mode = simulator_mode(rt.settings)
    if mode == "off":
        abort(404)
    if mode == "staff":
        from bot.dashboard.auth import signed_in_staff

        g.simulator_staff = signed_in_staff()
        if g.simulator_staff is None:
            if request.endpoint == "simulator.page":
                return redirect(url_for("dashboard.login", next="/simulator"))
            return _error("log in to the dashboard first (/dashboard/masuk)", 401)
    return None


def _real_number(phone: str) -> bool:
    """A health worker's number, or a contact who writes on WhatsApp/SMS."""
    with transaction(_rt().session_factory) as s:
        worker = s.execute(select(Worker.id).where(Worker.phone == phone)).first()
        contact = s.execute(
            select(Contact.id).where(Contact.phone == phone, Contact.channel != "simulator")
        ).first()
    return worker is not None or contact is not None


def _audit(phone: str) -> None:
    from bot.dashboard.audit import record

    staff = g.simulator_staff
    with transaction(_rt().session_factory) as s:
        record(s, "simulator", username=staff.username, staff_id=staff.id, target=phone)


def _error(message: str, status: int = 400):
    return jsonify({"error": message}), status


@bp.get("")
def page():
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
    phone = to_e164(sender, rt.settings["default_region"])
    if phone is None:
        return _error(f"'from' is not a valid phone number: {sender[:40]!r}")
    msg_id = data.get("id")
    if msg_id is not None and not valid_message_id(msg_id, 60):
        return _error("'id' must be 1-60 printable ASCII characters without spaces")
    if g.simulator_mode == "staff":
        if _real_number(phone):
            return _error(
                "'from' is a health worker's or a resident's number; use a test number", 403
            )
        _audit(phone)
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
    where = [OutboundMessage.to_phone == phone, OutboundMessage.id > after_id]
    if g.simulator_mode == "staff":  # never what went to a real phone over WhatsApp/SMS
        where.append(OutboundMessage.channel == "simulator")
    with transaction(rt.session_factory) as s:
        rows = s.execute(
            select(OutboundMessage).where(*where).order_by(OutboundMessage.id).limit(200)
        ).scalars()
        out = [{"id": m.id, "kind": m.kind, "body": m.body, "status": m.status} for m in rows]
    return jsonify({"messages": out})
