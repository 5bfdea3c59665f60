"""Safety nets on the intent, from two small lexicons in flows/content/.

- A message with a body part or symptom word is never dropped as out_of_scope / nlu_fallback:
  it starts a symptom report, or, when it is a question, goes to the health information answers
  (health_words.yml).
- A thanks or an acknowledgement ("makasih bu", "hatur nuhun", "ok sip", "👍") outside a question
  gets a friendly reply instead of "belum mengerti" (thanks.yml).

Both lexicons are loaded and validated once; a bad file stops start-up with its name.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

CONTENT = Path(__file__).resolve().parent / "content"
HEALTH_WORDS = CONTENT / "health_words.yml"
THANKS = CONTENT / "thanks.yml"
DROPPED = {None, "out_of_scope", "nlu_fallback"}  # intents the health-word guard may replace
_SUFFIXES = ("", "nya", "ku", "mu", "e", "ne", "na", "2")
_TOKEN = re.compile(r"[^\W_]+(?:-[^\W_]+)*", re.UNICODE)


def _is_modifier(ch: str) -> bool:
    """Zero-width joiner, variation selector or skin tone: part of an emoji, not one itself."""
    return ch in "\u200d\ufe0e\ufe0f" or 0x1F3FB <= ord(ch) <= 0x1F3FF


def _is_emoji(ch: str) -> bool:
    return unicodedata.category(ch) == "So" or _is_modifier(ch)


def _load(path: Path, keys: tuple[str, ...]) -> dict[str, tuple[str, ...]]:
    """The lists under `keys`, each non-empty, lowercase, without duplicates."""
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    out: dict[str, tuple[str, ...]] = {}
    for key in keys:
        items = data.get(key)
        if not isinstance(items, list) or not items:
            raise ValueError(f"{path.name}: '{key}' must be a non-empty list")
        words = []
        for item in items:
            if not isinstance(item, str) or not item.strip() or item != item.strip().lower():
                raise ValueError(f"{path.name}: '{key}' entry {item!r} is not a lowercase word")
            words.append(" ".join(item.split()))
        duplicates = sorted({w for w in words if words.count(w) > 1})
        if duplicates:
            raise ValueError(f"{path.name}: '{key}' lists {duplicates} twice")
        out[key] = tuple(words)
    unknown = set(data) - set(keys)
    if unknown:
        raise ValueError(f"{path.name}: unknown keys {sorted(unknown)}")
    return out


@lru_cache(maxsize=1)
def health_words() -> dict[str, tuple[str, ...]]:
    return _load(HEALTH_WORDS, ("body_parts", "symptoms", "not_health", "question_words"))


@lru_cache(maxsize=1)
def thanks_words() -> dict[str, tuple[str, ...]]:
    return _load(THANKS, ("thanks", "acks", "fillers", "farewells"))


def _words(text: str) -> list[str]:
    """Lowercase words; hyphenated doubles ("gatal-gatal") stay one word."""
    return _TOKEN.findall(text.lower())


def _plain(text: str) -> str:
    return " " + " ".join(_words(text)) + " "


def _has(plain: str, words: list[str], entry: str, suffixes: tuple[str, ...] = ("",)) -> bool:
    """Whether `entry` (a word or a phrase) occurs in the message."""
    if any(_is_emoji(c) for c in entry):
        return False
    if " " in entry:
        return f" {entry} " in plain
    for w in words:
        base = w.split("-")[0] if "-" in w else w  # gatal-gatal -> gatal
        for suffix in suffixes:
            if base == entry + suffix or w == entry + suffix:
                return True
    return False


def mentions_health(text: str) -> bool:
    """A body part or symptom word (or a sick emoji) outside the not-health phrases."""
    lex = health_words()
    plain = _plain(text)
    for phrase in lex["not_health"]:
        plain = plain.replace(f" {phrase} ", " ")
    words = plain.split()
    entries = (*lex["body_parts"], *lex["symptoms"])
    if any(_has(plain, words, e, _SUFFIXES) for e in entries):
        return True
    return any(e in text for e in lex["symptoms"] if any(_is_emoji(c) for c in e))


def is_question(text: str) -> bool:
    """A '?' or a question word ("apa", "gimana", "boleh", "kumaha", "piye", ...)."""
    if "?" in text:
        return True
    plain = _plain(text)
    words = plain.split()
    return any(_has(plain, words, q, ("", "kah", "nya")) for q in health_words()["question_words"])


def health_intent(intent: str | None, text: str) -> str | None:
    """report_symptom or ask_info for a dropped message that mentions the body or a symptom;
    None when the intent stands."""
    if intent not in DROPPED or not mentions_health(text):
        return None
    return "ask_info" if is_question(text) else "report_symptom"


# "punten, bade daptar", "aku arep daftar": the wish to register said with a greeting or in a
# regional register the model reads as a greeting (field trial, 2026-12)
_REGISTER = re.compile(
    r"\b(daftar|daptar|dftr|mendaftar|ndaftar|ndaptar|didaftar\w*|daftarin|daptarkeun|"
    r"registrasi|regis)\b"
)
_REGISTER_NOT = re.compile(r"\b(jadwal|imunisasi|vaksin|antrian|antre|bpjs)\b")


def register_intent(intent: str | None, text: str) -> str | None:
    """register for a greeting or a dropped message that asks to register; None otherwise."""
    lowered = text.lower()
    if intent not in DROPPED | {"greet", "goodbye", "affirm"} or not _REGISTER.search(lowered):
        return None
    return None if _REGISTER_NOT.search(lowered) else "register"


def acknowledgement(text: str) -> str | None:
    """'thanks' or 'ack' for a message that only thanks or acknowledges (emoji included), else
    None. An emoji-only message is an 'ack' ('thanks' with 🙏); a farewell keeps it a goodbye."""
    lex = thanks_words()
    stripped = "".join(c for c in text if not c.isspace())
    if not stripped:
        return None
    emoji = [c for c in stripped if _is_emoji(c)]
    rest = "".join(" " if _is_emoji(c) else c for c in text)
    plain = _plain(rest)
    if any(f" {f} " in plain for f in lex["farewells"]):
        return None
    for phrase in sorted((p for p in lex["thanks"] if " " in p), key=len, reverse=True):
        plain = plain.replace(f" {phrase} ", " _thanks_ ")
    words = [_stretch(w) for w in plain.split()]
    if not words and not emoji:
        return None  # punctuation only
    known = {*lex["thanks"], *lex["acks"], *lex["fillers"], "_thanks_"}
    if any(w not in known for w in words):
        return None
    if any(w in lex["thanks"] or w == "_thanks_" for w in words) or "\U0001f64f" in emoji:
        return "thanks"
    if any(w in lex["acks"] for w in words) or emoji:
        return "ack"
    return None


def _stretch(word: str) -> str:
    """'makasiii' -> 'makasii', 'okeee' -> 'okee': stretched letters cut to two."""
    return re.sub(r"(\w)\1{2,}", r"\1\1", word)


EMOJI_YES = frozenset("\U0001f44d\U0001f44c\u2705\U0001f646\U0001f197\u2714")  # 👍 👌 ✅ 🙆 🆗 ✔
EMOJI_NO = frozenset("\U0001f44e\u274c\U0001f645\u2716\u274e")  # 👎 ❌ 🙅 ✖ ❎


def emoji_yes_no(text: str) -> bool | None:
    """True for a message of yes emoji only ("👍", "👍🏻👍"), False for no emoji only ("👎"),
    None otherwise (skin tones and variation selectors ignored)."""
    marks = {c for c in text if not c.isspace() and not _is_modifier(c)}
    if marks and marks <= EMOJI_YES:
        return True
    if marks and marks <= EMOJI_NO:
        return False
    return None


def check() -> dict[str, Any]:
    """Load and validate both lexicons (for start-up and tests)."""
    return {"health_words": health_words(), "thanks": thanks_words()}
