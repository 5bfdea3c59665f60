"""Builders shared by the tests: a flow step's Context for a resident on a fixed clock."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from bot.catalog import load_catalog
from flows.base import ContactInfo, Context

NOW = datetime(2026, 11, 22, tzinfo=timezone.utc)
PHONE = "+6281234567890"


def resident_context(
    now: datetime = NOW,
    *,
    name: str | None = None,
    area_code: str | None = None,
    opted_out: bool = False,
    ref: str = "100001",
    **fields: Any,
) -> Context:
    """A WhatsApp resident (contact id 1) with the Indonesian catalog; `fields` go to Context."""
    contact = ContactInfo(1, PHONE, "whatsapp", name=name, area_code=area_code, opted_out=opted_out)
    return Context(now=now, contact=contact, t=load_catalog("id").t, ref=ref, **fields)
