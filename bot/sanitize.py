"""Untrusted input at the edge: message text made storable, provider ids and codes checked.

`clean_text` is the one pass every inbound text goes through (bot/pipeline.py `_storable`)
before it reaches the NLU or the database, whatever the channel. It only removes what can break
storage or hide in a stored message; the NLU's own shaping (NFKC, spaces, length cap, leading
'/') stays in nlu/sanitize.py `prepare`.
"""

from __future__ import annotations

import re

MAX_BODY = 20_000  # stored as received up to this size
_SURROGATES = re.compile(r"[\ud800-\udfff]")  # lone halves: UTF-8 cannot encode them
# C0 and C1 control characters except tab and newline (NUL: PostgreSQL refuses it in text)
_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
# Bidi embeddings/overrides/isolates (U+202E shows the rest of a forwarded message reversed on
# a worker's phone) and invisible word breakers (U+200B, U+2060, BOM) that can hide a word
# such as "kej\u200bang" from the danger signs. Joiners (U+200C/D) stay: emoji need them.
_INVISIBLE = re.compile("[\u202a-\u202e\u2066-\u2069\u200b\u2060\ufeff]")
_MESSAGE_ID = re.compile(r"[!-~]{1,64}")  # printable ASCII, no spaces (Twilio: SM + 32 hex)
_ERROR_CODE = re.compile(r"\d{1,10}")


def clean_text(text: str | None, max_chars: int = MAX_BODY) -> str:
    """Text as we store it and hand it to the NLU: a lone surrogate becomes U+FFFD, line ends
    become '\\n', other control characters (NUL, ESC, BEL, C1...), bidi overrides and
    invisible word breakers are dropped; bounded size."""
    if not text:
        return ""
    clean = _SURROGATES.sub("\ufffd", text)
    clean = clean.replace("\r\n", "\n").replace("\r", "\n")
    return _INVISIBLE.sub("", _CONTROLS.sub("", clean))[:max_chars]


def valid_message_id(value: object, max_chars: int = 64) -> bool:
    """A provider message id we can store and look up: 1-`max_chars` printable ASCII
    characters without spaces (no NUL, no surrogates, never truncated into another id)."""
    return (
        isinstance(value, str)
        and len(value) <= max_chars
        and _MESSAGE_ID.fullmatch(value) is not None
    )


def error_code(value: str | None) -> str | None:
    """A Twilio error code (digits) or None for anything else."""
    if value and _ERROR_CODE.fullmatch(value):
        return value
    return None
