"""Phone numbers: E.164 normalisation (phonenumbers) and masking for logs."""

from __future__ import annotations

import phonenumbers


def to_e164(raw: str | None, region: str = "ID") -> str | None:
    """'whatsapp:+62 812-3456-7890', '081234567890', '6281234567890' -> '+6281234567890'."""
    if not raw:
        return None
    text = raw.strip()
    for prefix in ("whatsapp:", "sms:", "tel:"):
        if text.lower().startswith(prefix):
            text = text[len(prefix) :].strip()
    if len(text) > 32:
        return None
    digits = "".join(ch for ch in text if ch.isdigit())
    if not text.startswith("+") and region == "ID" and digits.startswith("62") and len(digits) > 10:
        text = "+" + digits
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def mask(phone: str | None) -> str:
    """Keep the country code and the last 3 digits: '+6281234567890' -> '+62*******890'."""
    if not phone:
        return "-"
    if len(phone) <= 6:
        return "*" * len(phone)
    return phone[:3] + "*" * (len(phone) - 6) + phone[-3:]
