"""Danger-sign text normalisation: a message's spelling variants, its ages and temperatures."""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from flows.triage_rules import DangerRules, load_rules
from nlu.dates import NUMBER_WORDS

_APOSTROPHES = re.compile(r"['\u2018\u2019`\u00b4]")
_DECIMAL = re.compile(r"(\d)[.,](\d)")
_CLAUSE = re.compile(r"[.!?;,:\n\r\u3002\uff0c\u061f\u060c]+")
_NON_WORD = re.compile(r"[^\w#]+")
_STRETCH = re.compile(r"([a-z])\1{2,}")
_DOUBLE = re.compile(r"([a-z])\1+")
_REDUP = re.compile(r"\b([a-z]{2,})2\b")
_DIGIT_ALPHA = re.compile(r"(?<=\d)(?=[a-z])|(?<=[a-z])(?=\d)")
_MULTI_HASH = re.compile(r"#(?:\s+#)+")

# a number right after these is a duration or a count, not a temperature ("panas 3 hari")
_NOT_TEMP = (
    r"(?![.,]?\d)(?!\s*(?:x\b|kali|hari|hr\b|minggu|mgg|mg\b|bulan|bln|tahun|thn|th\b|jam|"
    r"menit|mnt|detik|days?|weeks?|months?|years?|hours?|minutes?|times))"
)
_TEMP_CONTEXT = re.compile(
    r"(?:suhu|demam|panas|temp|temperature|fever|muriang|meriang|anget|hangat|badan\w*)"
    r"\D{0,12}?(?<!\d)(3[3-9]|4[0-3])(?:[.,](\d{1,2}))?" + _NOT_TEMP
)
_TEMP_UNIT = re.compile(
    r"(?<!\d)(3[3-9]|4[0-3])(?:[.,](\d{1,2}))?\s*(?:°|º|derajat|drjt|celsius|celcius|c\b)"
)

_AGE_ANCHOR = (
    r"(?:bayi\w*|baby|babys|orok\w*|anak\w*|balita|batita|dedek\w*|adek\w*|adik\w*|"
    r"dede(?:nya|na|ne)?|(?<!sudah )(?<!masih )ade(?:nya|na|ne)?|"
    r"newborn|infant|son|daughter|kid|child|toddler|bocah\w*|budak|ponakan\w*|"
    r"keponakan\w*|cucu\w*|umur\w*|usia\w*|lahir|lair|aged|age)"
)
_AGE_FILL = (
    r"(?:saya|aku|ku|kami|abdi|kula|my|our|is|was|just|only|baru|lahir|lair|umur\w*|"
    r"usia\w*|nya|yang|si|kecil|sudah|masih|sekitar|around|about|nembe|mentas|anyar|"
    r"lagi|bayi\w*|baby|old|kurang|lebih|dari)"
)
_WORD_NUMBERS = {
    **NUMBER_WORDS,  # nlu.dates: se, satu ... sepuluh
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
}
_AGE_NUM = (
    r"(\d+(?:_\d+)?|satu|dua|tiga|empat|lima|enam|tujuh|delapan|sembilan|sepuluh|"
    r"one|two|three|four|five|six|seven|eight|nine|ten)"
)
_AGE_UNIT = (
    r"(hari|hr|hri|poe|dino|dinten|days?|minggu|mgg|mg|pekan|weeks?|wks?|bulan|bln|sasi|"
    r"wulan|months?|mo|mos|tahun|thn|th|taun|warsa|years?|yrs?|yo|y)"
)
# "hamil umur 7 bulan" is the pregnancy's age, not the person's
_NOT_PREGNANCY = r"(?<!hamil )(?<!kandungan )(?<!kehamilan )(?<!meteng )(?<!pregnant )"
_AGE_RE = re.compile(
    rf"\b{_NOT_PREGNANCY}{_AGE_ANCHOR}(?:\s+{_AGE_FILL}){{0,3}}\s+"
    rf"(?:{_AGE_NUM}\s+{_AGE_UNIT}|s[ea](hari|minggu|bulan|tahun|poe|taun|sasi))\b"
    rf"|\b{_AGE_NUM}\s+{_AGE_UNIT}\s+old\b"
)
_UNIT_DAYS = {
    "hari": 1,
    "hr": 1,
    "hri": 1,
    "poe": 1,
    "dino": 1,
    "dinten": 1,
    "day": 1,
    "days": 1,
    "minggu": 7,
    "mgg": 7,
    "mg": 7,
    "pekan": 7,
    "week": 7,
    "weeks": 7,
    "wk": 7,
    "wks": 7,
    "bulan": 30.44,
    "bln": 30.44,
    "sasi": 30.44,
    "wulan": 30.44,
    "month": 30.44,
    "months": 30.44,
    "mo": 30.44,
    "mos": 30.44,
    "tahun": 365.25,
    "thn": 365.25,
    "th": 365.25,
    "taun": 365.25,
    "warsa": 365.25,
    "year": 365.25,
    "years": 365.25,
    "yr": 365.25,
    "yrs": 365.25,
    "yo": 365.25,
    "y": 365.25,
}


def normalise_text(text: str, rules: DangerRules | None = None) -> tuple[str, ...]:
    """Return the normalised spellings of ``text`` that patterns are matched against.

    Lowercase, punctuation removed (clause breaks kept as ``#``), reduplication ("kejang2")
    expanded, digits split from letters ("8bln"), abbreviations expanded, and letters
    stretched 3+ times squeezed to two and to one ("kejaaang" -> "kejaang", "kejang").
    """
    rules = rules or load_rules()
    return normalise(text, rules)[0]


_CONTROL_CHARS = re.compile(
    r"[\x00-\x1f\x7f-\x9f\u00ad\u061c\u180e\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff]"
)


def _control_replacement(match: re.Match[str]) -> str:
    ch = match.group()
    if ch in "\n\r\u2028\u2029":
        return "\n"
    return "" if unicodedata.category(ch) == "Cf" else " "


def _clean(text: Any) -> str:
    if not isinstance(text, str):
        text = "" if text is None else str(text)
    text = unicodedata.normalize("NFKC", text).casefold()
    # line breaks stay clause breaks; format characters (zero-width joiners, RTL marks, soft
    # hyphens) vanish so "kej\u200bang" is still one word; other control characters are spaces
    return _CONTROL_CHARS.sub(_control_replacement, text)


def normalise(text: Any, rules: DangerRules) -> tuple[tuple[str, ...], str]:
    """The normalised spellings of ``text`` (see ``normalise_text``) and its cleaned raw form
    (casefolded, control characters removed: for temperatures and question marks)."""
    raw = _clean(text)
    s = _APOSTROPHES.sub("", raw)
    s = _DECIMAL.sub(r"\1_\2", s)
    s = _CLAUSE.sub(" # ", s)
    s = _NON_WORD.sub(" ", s)
    bases = [s]
    if _STRETCH.search(s):
        bases = [_STRETCH.sub(r"\1\1", s), _STRETCH.sub(r"\1", s)]
        bases.append(_DOUBLE.sub(r"\1", bases[1]))
    variants: list[str] = []
    for base in bases:
        base = _REDUP.sub(r"\1 \1", base)
        base = _DIGIT_ALPHA.sub(" ", base)
        words = [rules.abbreviations.get(w, w) for w in base.split()]
        joined = _MULTI_HASH.sub("#", " ".join(words)).strip(" #")
        if joined not in variants:
            variants.append(joined)
    return tuple(variants), raw


def text_temperatures(raw: str) -> list[float]:
    """The body temperatures the cleaned raw text states ("demam 39,5", "38 derajat")."""
    temps = []
    for rx in (_TEMP_CONTEXT, _TEMP_UNIT):
        for m in rx.finditer(raw):
            value = float(m.group(1) + ("." + m.group(2) if m.group(2) else ""))
            temps.append(value)
    return temps


def text_age_days(variant: str) -> int | None:
    """The person's age in days a normalised variant states ("bayi umur 5 hari"), if any."""
    m = _AGE_RE.search(variant)
    if not m:
        return None
    num, unit, se_unit, num2, unit2 = m.groups()
    if se_unit:
        num, unit = (
            "1",
            {
                "hari": "hari",
                "poe": "hari",
                "minggu": "minggu",
                "bulan": "bulan",
                "sasi": "bulan",
            }.get(se_unit, "tahun"),
        )
    elif num2:
        num, unit = num2, unit2
    if num is None or unit is None:
        return None
    value = _WORD_NUMBERS.get(num)
    if value is None:
        value = float(num.replace("_", "."))
    return int(round(float(value) * _UNIT_DAYS[unit]))


def read_age_days(text: str, rules: DangerRules | None = None) -> int | None:
    """The age a short answer gives ("3 minggu", "umur 2 bulan", "5 hari"), in days."""
    rules = rules or load_rules()
    variants, _ = normalise(text, rules)
    for variant in variants:
        for candidate in (variant, "umur " + variant):
            days = text_age_days(candidate)
            if days is not None:
                return days
    return None
