"""How a pregnancy ended: the gestational-age lines (preterm, very preterm, loss) and the words
for a loss and for the gestational age, from flows/rules/pregnancy_outcomes.yml (validated when
loaded). Pure: no I/O after the first load, no clock."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from flows.answers import parse_age

RULES_PATH = Path(__file__).resolve().parent / "rules" / "pregnancy_outcomes.yml"
_KEYS = {
    "schema",
    "preterm_before_weeks",
    "preterm_source",
    "very_preterm_before_weeks",
    "very_preterm_source",
    "loss_before_weeks",
    "loss_source",
    "loss_words",
    "ended_words",
    "term_words",
    "preterm_words",
}
DAYS_PER_MONTH = 30.4


@dataclass(frozen=True)
class OutcomeRules:
    preterm_before: int
    very_preterm_before: int
    loss_before: int
    loss_words: tuple[str, ...]
    ended_words: tuple[str, ...]
    term_words: tuple[str, ...]
    preterm_words: tuple[str, ...]


@dataclass(frozen=True)
class Gestation:
    """A resident's answer about the gestational age at birth."""

    weeks: int | None  # completed weeks, None when only "prematur"/"cukup bulan" was said
    preterm: bool | None  # None: not known
    estimated: bool = False  # from months, not weeks


def _words(data: dict[str, Any], key: str, errors: list[str]) -> tuple[str, ...]:
    value = data.get(key)
    if not isinstance(value, list) or not value or not all(isinstance(w, str) for w in value):
        errors.append(f"{key}: a non-empty list of words")
        return ()
    words = tuple(w.strip() for w in value)
    if any(w != w.lower() or not w for w in words):
        errors.append(f"{key}: words must be lowercase and not empty")
    dupes = sorted({w for w in words if words.count(w) > 1})
    if dupes:
        errors.append(f"{key}: duplicates {dupes}")
    return words


def compile_rules(data: Any, where: str = "<memory>") -> OutcomeRules:
    """The validated rules; a ValueError lists every problem."""
    if not isinstance(data, dict):
        raise ValueError(f"{where}: a mapping is expected")
    errors = [f"unknown key {k!r}" for k in sorted(set(data) - _KEYS)]
    if data.get("schema") != 1:
        errors.append("schema: must be 1")
    weeks = {}
    for key in ("preterm_before_weeks", "very_preterm_before_weeks", "loss_before_weeks"):
        value = data.get(key)
        if not isinstance(value, int) or isinstance(value, bool) or not 10 <= value <= 42:
            errors.append(f"{key}: a whole number of weeks between 10 and 42")
            value = 0
        weeks[key] = value
        source = data.get(key.replace("_before_weeks", "_source"))
        if not (isinstance(source, dict) and source.get("who") and source.get("urls")):
            errors.append(f"{key}: needs a source with 'who' and 'urls'")
    if not weeks["loss_before_weeks"] < weeks["very_preterm_before_weeks"]:
        errors.append("loss_before_weeks must be below very_preterm_before_weeks")
    if not weeks["very_preterm_before_weeks"] < weeks["preterm_before_weeks"]:
        errors.append("very_preterm_before_weeks must be below preterm_before_weeks")
    rules = OutcomeRules(
        weeks["preterm_before_weeks"],
        weeks["very_preterm_before_weeks"],
        weeks["loss_before_weeks"],
        _words(data, "loss_words", errors),
        _words(data, "ended_words", errors),
        _words(data, "term_words", errors),
        _words(data, "preterm_words", errors),
    )
    if errors:
        raise ValueError(f"{where}: " + "; ".join(errors))
    return rules


@lru_cache(maxsize=1)
def load_rules() -> OutcomeRules:
    data = yaml.safe_load(RULES_PATH.read_text(encoding="utf-8"))
    return compile_rules(data, RULES_PATH.name)


def gestation_weeks(start: date | None, ended: date) -> int | None:
    """Completed weeks from HPHT to the day the pregnancy ended; None if unknown or implausible."""
    if start is None:
        return None
    weeks = (ended - start).days // 7
    return weeks if 0 <= weeks <= 44 else None


def says_loss(text: str) -> bool:
    """The message says a pregnancy was lost, now (not "tahun lalu sy keguguran", not a
    question about miscarriage in general, not "tidak keguguran")."""
    from flows.triage import happening

    return happening(text, load_rules().loss_words)


def says_ended(text: str) -> bool:
    """The message says a pregnancy has ended without saying how ("sudah tidak hamil")."""
    from flows.triage import happening

    return happening(text, load_rules().ended_words)


def _has(text: str, words: tuple[str, ...]) -> bool:
    return any(re.search(rf"\b{re.escape(w)}\b", text) for w in words)


def parse_gestation(text: str) -> Gestation | None:
    """'36 minggu', '8 bulan', 'prematur 7 bulan', 'cukup bulan' -> Gestation; None if unread."""
    rules = load_rules()
    lowered = " ".join(re.sub(r"[^\w\s]", " ", text.lower()).split())
    preterm_said = _has(lowered, rules.preterm_words)
    age = parse_age(lowered)
    if age is not None and not age.years and not age.days:
        if age.weeks and not age.months:
            weeks, estimated = age.weeks, False
        elif age.months and not age.weeks:
            weeks, estimated = int(age.months * DAYS_PER_MONTH // 7), True
        else:
            weeks, estimated = None, False
        if weeks is not None and 10 <= weeks <= 44:
            return Gestation(weeks, weeks < rules.preterm_before or preterm_said, estimated)
    if preterm_said:
        return Gestation(None, True)
    if _has(lowered, rules.term_words):
        return Gestation(None, False)
    return None


def is_preterm(weeks: int | None) -> bool:
    return weeks is not None and weeks < load_rules().preterm_before


def is_very_preterm(weeks: int | None) -> bool:
    return weeks is not None and weeks < load_rules().very_preterm_before


def is_loss_age(weeks: int | None) -> bool:
    return weeks is not None and weeks < load_rules().loss_before
