"""Sending one message: a Twilio implementation (the real twilio client) and local ones."""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from typing import Protocol

from bot.phones import mask

log = logging.getLogger(__name__)

# Twilio error codes (hints, see shared/reference/twilio-and-rasa.md).
OPTED_OUT_CODES = {"21610"}
RETRYABLE_CODES = {"63018", "30003", "30008", "20429"}
# WhatsApp failures after which the same message goes once by SMS: not a WhatsApp number,
# or outside the 24-hour window without an approved template.
SMS_FALLBACK_CODES = {"63003", "63024", "63016"}


@dataclass(frozen=True)
class Outgoing:
    to_phone: str
    channel: str  # whatsapp | sms | simulator
    body: str
    key: str
    content_sid: str | None = None  # approved WhatsApp template (business-initiated messages)
    content_variables: str | None = None  # its variables as JSON


@dataclass(frozen=True)
class Sent:
    provider_id: str
    status: str


class SendError(Exception):
    def __init__(self, message: str, code: str | None = None, retryable: bool = False) -> None:
        super().__init__(message)
        self.code = code
        self.retryable = retryable


class Sender(Protocol):
    def send(self, msg: Outgoing) -> Sent: ...


class LogSender:
    """Development: writes the message to the log instead of sending it."""

    def send(self, msg: Outgoing) -> Sent:
        log.info("send %s to %s: %d chars", msg.channel, mask(msg.to_phone), len(msg.body))
        log.debug("body: %s", msg.body)
        return Sent(f"LOG{uuid.uuid4().hex}", "sent")


class SimulatorSender:
    """The browser simulator reads replies from the outbox; delivery is immediate."""

    def send(self, msg: Outgoing) -> Sent:
        return Sent(f"SIM{uuid.uuid4().hex}", "delivered")


class TwilioSender:
    """WhatsApp and SMS through the real twilio client (its host can point at a local fake)."""

    def __init__(
        self,
        account_sid: str,
        auth_token: str,
        whatsapp_from: str,
        sms_from: str,
        api_base_url: str | None = None,
        status_callback: str | None = None,
        timeout: float = 15,
    ) -> None:
        from twilio.http.http_client import TwilioHttpClient
        from twilio.rest import Client

        self.client = Client(account_sid, auth_token, http_client=TwilioHttpClient(timeout=timeout))
        if api_base_url:
            self.client.api.base_url = api_base_url.rstrip("/")
        self.whatsapp_from = whatsapp_from
        self.sms_from = sms_from
        self.status_callback = status_callback

    def send(self, msg: Outgoing) -> Sent:
        from requests.exceptions import RequestException
        from twilio.base.exceptions import TwilioException, TwilioRestException

        if msg.channel == "whatsapp":
            to, from_ = f"whatsapp:{msg.to_phone}", self.whatsapp_from
        else:
            to, from_ = msg.to_phone, self.sms_from
        params = {"to": to, "from_": from_, "body": msg.body}
        if msg.content_sid:
            params = {
                "to": to,
                "from_": from_,
                "content_sid": msg.content_sid,
                "content_variables": msg.content_variables or "{}",
            }
        if self.status_callback:
            params["status_callback"] = self.status_callback
        try:
            created = self.client.messages.create(**params)
        except TwilioRestException as exc:
            code = str(exc.code) if exc.code is not None else None
            retryable = (exc.status or 0) >= 500 or exc.status == 429 or code in RETRYABLE_CODES
            raise SendError(f"twilio {exc.status}: {exc.msg}", code, retryable) from exc
        except (RequestException, TwilioException, OSError) as exc:
            raise SendError(f"twilio unreachable: {type(exc).__name__}", None, True) from exc
        return Sent(created.sid, created.status or "queued")
