"""A parent's answer about a child's Buku KIA at registration: complete for the age, never
vaccinated, does not know, or the doses as read in the book ("BCG, polio 1, DPT 1",
"hb0 bcg opv1", "polio 1-3", "BCG 12-12-2025"). Pure: the words are data
(flows/content/kia_book.yml, validated once), the schedule is the planner's."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from flows.choices import NUMBER_WORDS
from scheduler.planner import PersonFacts, scheduled_doses
from scheduler.rules import DOSE_ITEMS, default_rules

LEXICON = Path(__file__).resolve().parent / "content" / "kia_book.yml"
_KEYS = ("vaccines", "complete", "never", "unknown", "fillers")
_SINGLE = {"HB0", "BCG", "JE"}  # one dose: no number needed
_RANGE = re.compile(r"\b(\d)\s*(?:-|s/d|sd|sampai|sampe|smp|nepi|tekan)\s*(\d)\b")
_DATE = re.compile(r"\b(\d{1,2})\s*[-/.]\s*(\d{1,2})\s*[-/.]\s*(\d{2,4})\b")
_SEGMENTS = re.compile(r"[,;\n]+|\b(?:tapi|tp|namun|tapi kalau)\b")
_NEGATION = re.compile(r"\b(belum|blm|belom|durung|dereng|acan|tidak|tdk|gak|ga|nggak|teu)\b")
_PLACEHOLDER = "tanggalx"


def plain(text: str) -> str:
    """Lowercase, accents dropped, punctuation (not '-' '/' '.' inside dates) as spaces."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _tokens(text: str) -> list[str]:
    text = re.sub(r"[^\w\s]", " ", text)
    text = re.sub(r"(?<=[a-z])(?=\d)|(?<=\d)(?=[a-z])", " ", text)  # opv1 -> opv 1
    return text.split()


def _phrase(text: str) -> str:
    return " ".join(_tokens(plain(text)))


@lru_cache(maxsize=1)
def lexicon() -> dict[str, Any]:
    """The validated lexicon: aliases as token tuples -> series code, and the phrase lists."""
    data = yaml.safe_load(LEXICON.read_text(encoding="utf-8")) or {}
    unknown = set(data) - set(_KEYS)
    if unknown:
        raise ValueError(f"{LEXICON.name}: unknown keys {sorted(unknown)}")
    vaccines = data.get("vaccines")
    if not isinstance(vaccines, dict) or not vaccines:
        raise ValueError(f"{LEXICON.name}: 'vaccines' must map series codes to names")
    aliases: dict[tuple[str, ...], str] = {}
    for code, names in vaccines.items():
        if code not in DOSE_ITEMS and f"{code}1" not in DOSE_ITEMS:
            raise ValueError(f"{LEXICON.name}: vaccines: unknown dose or series {code!r}")
        if not isinstance(names, list) or not names:
            raise ValueError(f"{LEXICON.name}: vaccines.{code} must be a non-empty list")
        for name in names:
            _check_word(name, f"vaccines.{code}")
            key = tuple(_phrase(name).split())
            if aliases.get(key, code) != code:
                raise ValueError(f"{LEXICON.name}: {name!r} names both {aliases[key]} and {code}")
            aliases[key] = code
    out: dict[str, Any] = {"aliases": aliases}
    for key in _KEYS[1:]:
        items = data.get(key)
        if not isinstance(items, list) or not items:
            raise ValueError(f"{LEXICON.name}: '{key}' must be a non-empty list")
        for item in items:
            _check_word(item, key)
        if len(set(items)) != len(items):
            twice = sorted({w for w in items if items.count(w) > 1})
            raise ValueError(f"{LEXICON.name}: '{key}' lists {twice} twice")
        out[key] = tuple(_phrase(w) for w in items)
    return out


def _check_word(word: Any, where: str) -> None:
    if not isinstance(word, str) or not word.strip() or word != word.strip().lower():
        raise ValueError(f"{LEXICON.name}: {where}: {word!r} is not a lowercase word")


@dataclass(frozen=True)
class Said:
    """One dose as written: its series (or single dose) code, the number (None: not said) and
    the date written with it (None: not said)."""

    code: str
    number: int | None = None
    on: date | None = None


@dataclass(frozen=True)
class Answer:
    """kind: complete | never | unknown | list | unclear; `problem` is a catalog key suffix
    (under registration.kia_) and its values when the answer cannot be used as it is."""

    kind: str
    said: tuple[Said, ...] = ()
    problem: str | None = None
    values: dict[str, str] = field(default_factory=dict)


def _has(phrases: tuple[str, ...], text: str) -> bool:
    padded = f" {text} "
    return any(f" {p} " in padded for p in phrases)


def _number(token: str) -> int | None:
    if token.isdigit():
        return int(token)
    n = NUMBER_WORDS.get(token)
    return n if n is not None and n <= 4 else None


def _read_date(match: re.Match[str]) -> date | None:
    day, month, year = (int(g) for g in match.groups())
    if year < 100:
        year += 2000
    try:
        return date(year, month, day)
    except ValueError:
        return None


def parse(text: str, extra_fillers: tuple[str, ...] = ()) -> Answer:
    """Read the answer; `extra_fillers` are words to ignore too (the child's name)."""
    lex = lexicon()
    lowered = plain(text)
    whole = _phrase(lowered)
    if not whole:
        return Answer("unclear", problem="unclear")
    if _has(lex["unknown"], whole):
        return Answer("unknown")
    said: list[Said] = []
    fillers = set(lex["fillers"]) | {w for f in extra_fillers for w in _phrase(f).split()}
    complete_words = {w for p in lex["complete"] for w in p.split()}
    for segment in _SEGMENTS.split(_RANGE.sub(_expand, lowered)):
        if not segment or not segment.strip():
            continue
        dates = list(_DATE.finditer(segment))
        on = None
        if dates:
            on = _read_date(dates[0])
            if on is None or len(dates) > 1:
                return Answer("list", problem="bad_date", values={"date": dates[0].group(0)})
            segment = _DATE.sub(f" {_PLACEHOLDER} ", segment)
        tokens = _tokens(segment)
        negated = bool(_NEGATION.search(" ".join(tokens)))
        found, stray = _doses(tokens, lex["aliases"], fillers | complete_words, on)
        if negated:
            continue  # "belum polio": what is not given yet is not recorded
        if found and stray:
            return Answer("list", problem="unknown_word", values={"word": stray})
        said += found
    if said:
        return Answer("list", tuple(said))
    if _has(lex["complete"], whole):
        if _NEGATION.search(whole):  # "belum lengkap": which ones, then?
            return Answer("unclear", problem="partial")
        return Answer("complete")
    if _has(lex["never"], whole):
        return Answer("never")
    return Answer("unclear", problem="unclear")


def numbers_for(text: str, code: str) -> tuple[Said, ...]:
    """The answer to "{vaccine} yang ke berapa?": bare numbers ("1", "1 2", "1-3", "ke 2")
    for the series `code`; () when the answer is not just numbers."""
    lowered = _RANGE.sub(_expand, plain(text))
    tokens = [t for t in _tokens(lowered) if t not in ("ke", "yang", "yg", "nu", "sing", "dan")]
    numbers = [_number(t) for t in tokens]
    if not tokens or any(n is None or n < 1 for n in numbers):
        return ()
    return tuple(Said(code, n) for n in numbers)


def merge(kept: tuple[Said, ...], answer: tuple[Said, ...], code: str) -> tuple[Said, ...]:
    """The doses said before a "which dose?" question, with the numbered answer in place of
    the series `code` said without a number."""
    return tuple(s for s in kept if not (s.code == code and s.number is None)) + answer


def to_slots(said: tuple[Said, ...]) -> list[list[Any]]:
    return [[s.code, s.number, s.on.isoformat() if s.on else None] for s in said]


def from_slots(rows: list[list[Any]]) -> tuple[Said, ...]:
    return tuple(Said(c, n, date.fromisoformat(on) if on else None) for c, n, on in rows)


# "3 kali", "2x", "dua kali": that many doses of the series, from the first
_TIMES = frozenset({"kali", "x", "kl", "dosis", "dos", "kalian", "kaping", "rambay"})
_ONCE = frozenset({"sekali", "sakali", "sepisan", "sepindah", "sakali wae"})


def _expand(match: re.Match[str]) -> str:
    low, high = int(match.group(1)), int(match.group(2))
    return " ".join(str(n) for n in range(low, high + 1)) if low < high <= 4 else match.group(0)


def _doses(
    tokens: list[str],
    aliases: dict[tuple[str, ...], str],
    fillers: set[str],
    on: date | None,
) -> tuple[list[Said], str | None]:
    """The doses in one segment's tokens and the first word that is neither a dose nor a
    filler (None when all were understood)."""
    found: list[Said] = []
    stray: str | None = None
    i = 0
    while i < len(tokens):
        code = None
        for size in (3, 2, 1):
            key = tuple(tokens[i : i + size])
            if len(key) == size and key in aliases:
                code, i = aliases[key], i + size
                break
        if code is None:
            token = tokens[i]
            if token not in fillers and token != _PLACEHOLDER and stray is None:
                stray = token
            i += 1
            continue
        numbers = []
        ahead = i
        while ahead < len(tokens) and tokens[ahead] in fillers and tokens[ahead] != _PLACEHOLDER:
            ahead += 1  # "dpt udah 2", "polio baru 1"
        counted = ahead > i and ahead < len(tokens) and _number(tokens[ahead]) is not None
        if counted:
            i = ahead
        while i < len(tokens) and _number(tokens[i]) is not None:
            numbers.append(_number(tokens[i]))
            i += 1
        if counted and len(numbers) == 1:
            numbers = list(range(1, numbers[0] + 1))  # "dpt udah 2": two doses so far
        if len(numbers) == 1 and i < len(tokens) and tokens[i] in _TIMES:
            numbers, i = list(range(1, numbers[0] + 1)), i + 1  # "polio 3 kali": doses 1-3
        elif not numbers and i < len(tokens) and tokens[i] in _ONCE:
            numbers, i = [1], i + 1  # "campak sakali": the first dose
        if code in _SINGLE:
            found.append(Said(code, None, on))
            if any(n not in (0, 1) for n in numbers):
                stray = stray or str(numbers[0])
        elif numbers:
            found += [Said(code, n, on) for n in numbers]
        else:
            found.append(Said(code, None, on))
    return found, stray


def due_by_age(facts: PersonFacts, today: date, listed: bool = False) -> dict[str, date]:
    """Item -> its scheduled date, for the doses the child's age has reached; a listed JE dose
    counts too (the bot does not know whether the area is JE-endemic)."""
    if listed:
        facts = PersonFacts(birth_date=facts.birth_date, sex=facts.sex, je_endemic=True)
    return dict(scheduled_doses(facts, today))


def resolve(
    said: tuple[Said, ...], facts: PersonFacts, today: date
) -> tuple[list[tuple[str, date, bool]], str | None, dict[str, str]]:
    """(item, date, estimated) for each dose said, or a problem key and its values: a dose the
    child is too young for, one not in the programme for this child, a number that does not
    exist, a series said without a number when several doses are possible, a bad date."""
    born = facts.birth_date
    assert born is not None
    due = due_by_age(facts, today, listed=True)
    rules = default_rules()
    out: dict[str, tuple[str, date, bool]] = {}
    for s in said:
        if s.code in _SINGLE:
            item = s.code
        elif s.number is not None:
            item = f"{s.code}{s.number}"
        else:
            reached = [i for i in due if i.startswith(s.code) and i[len(s.code) :].isdigit()]
            if len(reached) > 1:
                return [], "which_dose", {"vaccine": s.code}
            item = reached[0] if reached else f"{s.code}1"  # none reached: too young below
        rule = rules.get(item)
        if rule is None or item not in DOSE_ITEMS:
            return [], "no_such_dose", {"vaccine": f"{s.code} {s.number}"}
        if item not in due:
            if rule.at.apply(born) > today:
                return [], "too_young", {"item": item, "age": _age_words(rule.at)}
            return [], "not_for_child", {"item": item}
        if s.on is not None and (s.on > today or s.on < born):
            return [], "bad_date", {"date": s.on.strftime("%d-%m-%Y")}
        out[item] = (item, s.on or due[item], s.on is None)
    return sorted(out.values(), key=lambda x: (x[1], x[0])), None, {}


def _age_words(at: Any) -> str:
    if at.months:
        return f"{at.months} bulan"
    return "saat lahir" if not at.days else f"{at.days} hari"
