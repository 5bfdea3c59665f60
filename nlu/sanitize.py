"""Make user text safe for the NLU: no control characters, no leading '/', bounded length."""

from __future__ import annotations

import re
import unicodedata

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\ufeff]")
_SPACES = re.compile(r"\s+")
_LEADING_SLASHES = re.compile(r"^[\s/]+")


def prepare(text: str | None, max_chars: int) -> tuple[str, bool]:
    """Return (clean text, truncated?). A leading '/' would let the user pick Rasa's intent."""
    clean = unicodedata.normalize("NFKC", text or "")
    clean = _CONTROL.sub(" ", clean)
    clean = _SPACES.sub(" ", clean).strip()
    truncated = len(clean) > max_chars
    if truncated:
        head = clean[:max_chars]
        clean = head.rsplit(" ", 1)[0] if " " in head else head
    clean = _LEADING_SLASHES.sub("", clean)
    return clean, truncated
