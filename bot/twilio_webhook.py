"""Twilio webhooks: inbound messages (SMS and WhatsApp) and delivery status callbacks."""

from __future__ import annotations

import logging

from flask import Blueprint, Response, current_app, request
from twilio.request_validator import RequestValidator
from twilio.twiml.messaging_response import MessagingResponse

from bot.db import retry_transient, transaction
from bot.outbox import record_status
from bot.pipeline import InboundCommand, handle_inbound
from bot.sanitize import error_code, valid_message_id

bp = Blueprint("twilio", __name__, url_prefix="/twilio")
log = logging.getLogger(__name__)
EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'


def _rt():
    return current_app.extensions["jemput_bola"]


def _signature_ok() -> bool:
    """Check X-Twilio-Signature against the URL Twilio called (public base URL + path)."""
    settings = _rt().settings
    if not settings["channels"]["validate_signature"]:
        return True
    token = settings.get("twilio", {}).get("auth_token")
    signature = request.headers.get("X-Twilio-Signature", "")
    if not token or not signature:
        return False
    url = settings["channels"]["public_base_url"].rstrip("/") + request.full_path.rstrip("?")
    return RequestValidator(token).validate(url, request.form, signature)


def _twiml(status: int = 200) -> Response:
    return Response(EMPTY_TWIML, status=status, mimetype="text/xml")


@bp.post("/inbound")
def inbound() -> Response:
    if not _signature_ok():
        log.warning("twilio inbound with a bad or missing signature rejected")
        return Response("invalid signature", status=403, mimetype="text/plain")
    sid = request.form.get("MessageSid") or request.form.get("SmsMessageSid")
    sender = request.form.get("From", "")
    if not sid or not sender:
        return Response("MessageSid and From are required", status=400, mimetype="text/plain")
    if not valid_message_id(sid):
        return Response("MessageSid is malformed", status=400, mimetype="text/plain")
    channel = "whatsapp" if sender.lower().startswith("whatsapp:") else "sms"
    body = request.form.get("Body")
    if body is None and request.form.get("ButtonPayload"):
        body = request.form["ButtonPayload"]
    cmd = InboundCommand(channel, sender, body or "", sid)
    rt = _rt()
    result = handle_inbound(cmd, rt, twiml=rt.settings["sending"]["replies_in_twiml"])
    return _reply_twiml(result.twiml, rt.settings)


def _reply_twiml(replies: list[tuple[int, str]], settings: dict) -> Response:
    """The answers in the response itself: Twilio sends them without an API call from us.
    Each carries a status callback naming its outbox row, which gets the SID from it."""
    if not replies:
        return _twiml()
    response = MessagingResponse()
    base = settings["channels"]["public_base_url"].rstrip("/")
    for message_id, body in replies:
        if settings["sending"]["status_callback"]:
            response.message(body, action=f"{base}/twilio/status?ob={message_id}")
        else:
            response.message(body)
    return Response(str(response), status=200, mimetype="text/xml")


@bp.post("/status")
def status() -> Response:
    if not _signature_ok():
        return Response("invalid signature", status=403, mimetype="text/plain")
    sid = request.form.get("MessageSid") or request.form.get("SmsSid")
    new_status = (request.form.get("MessageStatus") or request.form.get("SmsStatus") or "").lower()
    if not sid or not new_status:
        return Response("MessageSid and MessageStatus are required", status=400)
    if not valid_message_id(sid):
        return Response("MessageSid is malformed", status=400, mimetype="text/plain")
    rt = _rt()
    code = error_code(request.form.get("ErrorCode"))
    outbound_id = request.args.get("ob", "")
    ok = outbound_id.isascii() and outbound_id.isdigit() and len(outbound_id) < 19
    outbound_id = int(outbound_id) if ok else None

    def apply() -> None:
        with transaction(rt.session_factory) as s:
            record_status(s, sid, new_status, code, rt.clock.now(), outbound_id)

    retry_transient(apply)  # idempotent: a status only moves forward
    return Response("", status=204)
