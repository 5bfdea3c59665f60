"""Life stage of a person on a date (ILP organises care by it)."""

from __future__ import annotations

from datetime import date

from flows.base import PersonInfo

STAGES = (
    "pregnant",
    "postpartum",
    "newborn",
    "infant",
    "child",
    "school_age",
    "adult",
    "elderly",
)
PREGNANCY_DAYS = 280
POSTPARTUM_DAYS = 42


def age_days(person: PersonInfo, on: date) -> int | None:
    return (on - person.birth_date).days if person.birth_date else None


def weeks_pregnant(person: PersonInfo, on: date) -> int | None:
    """Completed weeks since HPHT (or EDD - 280 days), while the pregnancy is ongoing."""
    start = person.hpht
    if start is None and person.edd is not None:
        start = date.fromordinal(person.edd.toordinal() - PREGNANCY_DAYS)
    if start is None or (person.delivery_date and person.delivery_date >= start):
        return None
    weeks = (on - start).days // 7
    return weeks if 0 <= weeks <= 44 else None


def life_stage(person: PersonInfo, on: date) -> str | None:
    """pregnant, postpartum (42 days), newborn (0-28 days), infant (<1 y), child (1-5 y),
    school_age (6-17 y), adult (18-59 y), elderly (60+); None when nothing is known."""
    if weeks_pregnant(person, on) is not None:
        return "pregnant"
    if person.delivery_date and 0 <= (on - person.delivery_date).days <= POSTPARTUM_DAYS:
        return "postpartum"
    days = age_days(person, on)
    if days is None or days < 0:
        return None
    if days <= 28:
        return "newborn"
    years = _years(person.birth_date, on)
    if years < 1:
        return "infant"
    if years < 6:
        return "child"
    if years < 18:
        return "school_age"
    if years < 60:
        return "adult"
    return "elderly"


def _years(born: date, on: date) -> int:
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))
