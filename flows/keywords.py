"""Exact keywords that act without NLU (opt-out must never rest on a guess)."""

from __future__ import annotations

import re

OPT_OUT = {"STOP", "BERHENTI", "UNREG", "STOP ALL", "STOPALL", "UNSUBSCRIBE"}
OPT_IN = {"MULAI", "START"}
MENU = {"MENU", "BANTUAN", "HELP"}
CANCEL = {"BATAL", "CANCEL"}

_KEYWORDS = (
    [(k, "opt_out") for k in OPT_OUT]
    + [(k, "opt_in") for k in OPT_IN]
    + [(k, "menu") for k in MENU]
    + [(k, "cancel") for k in CANCEL]
)
KEYWORDS = dict(_KEYWORDS)
_SPACES = re.compile(r"\s+")


def normalise(text: str) -> str:
    return _SPACES.sub(" ", text).strip().upper()


def match(text: str | None) -> str | None:
    """'  stop ' -> 'opt_out'; a keyword inside a sentence is not a keyword."""
    if not text:
        return None
    return KEYWORDS.get(normalise(text))
