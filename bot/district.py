"""The deployment's areas, places and workers (district.yml): validate, and sync to the database."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import StrictBool, StrictStr, conint, root_validator, validator
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.areas import AreaTree
from bot.clock import to_db
from bot.models import WORKER_ROLES, Area, Worker
from bot.phones import to_e164
from flows.base import AreaInfo
from flows.schema import At, Schema, Text, ValidationError, describe
from scheduler.planner import expand_posyandu

LEVELS = ("desa", "dusun", "rw", "rt")
PLACE_KINDS = ("pustu", "posyandu", "puskesmas", "home")
_HHMM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")


class DistrictError(ValueError):
    pass


@dataclass(frozen=True)
class District:
    areas: tuple[dict[str, Any], ...]
    places: tuple[dict[str, Any], ...]
    workers: tuple[dict[str, Any], ...]
    default_area: str | None


class _Area(Schema):
    code: Text
    name: Text
    level: Literal[LEVELS]  # type: ignore[valid-type]
    parent: StrictStr | None = None
    timezone: StrictStr | None = None  # empty: the config's time zone
    je_endemic: StrictBool = False

    @validator("timezone")
    def _known_zone(cls, tz: str | None) -> str | None:
        if tz:
            try:
                ZoneInfo(tz)
            except (ZoneInfoNotFoundError, ValueError):
                raise ValueError(f"unknown time zone {tz!r}") from None
        return tz


class _Place(Schema):
    code: Text
    name: Text
    kind: Literal[PLACE_KINDS]  # type: ignore[valid-type]
    days: list[conint(strict=True, ge=1, le=7)] | None = None  # type: ignore[valid-type]
    posyandu_rule: Any = None
    dates: list[date] | None = None
    hours: list[StrictStr]
    capacity: conint(strict=True, ge=1)  # type: ignore[valid-type]
    areas: list[StrictStr] = []

    @validator("posyandu_rule")
    def _rule(cls, rule: Any) -> Any:
        if rule:
            try:
                expand_posyandu(rule, date(2000, 1, 1), date(2000, 1, 1))
            except (TypeError, ValueError, AttributeError) as exc:
                raise ValueError(str(exc)) from None
        return rule

    @validator("hours", pre=True)
    def _hours(cls, hours: Any) -> Any:
        if not (
            isinstance(hours, list)
            and len(hours) == 2
            and all(isinstance(h, str) and _HHMM.match(h) for h in hours)
        ):
            raise ValueError("must be [HH:MM, HH:MM]")
        return hours

    @root_validator(skip_on_failure=True)
    def _opening(cls, values: dict[str, Any]) -> dict[str, Any]:
        if not values.get("days") and not values.get("posyandu_rule") and not values.get("dates"):
            raise ValueError("needs days, posyandu_rule or dates")
        return values


class _Worker(Schema):
    phone: str
    name: Text
    role: Literal[WORKER_ROLES]  # type: ignore[valid-type]
    areas: list[StrictStr] = []
    active: StrictBool = True

    @validator("phone", pre=True)
    def _phone(cls, raw: Any) -> str:
        phone = to_e164(str(raw)) if isinstance(raw, str | int) else None
        if phone is None:
            raise ValueError(f"invalid phone {raw!r}")
        return phone


class _District(Schema):
    areas: list[_Area] = []
    default_area: StrictStr | None = None  # area for residents imported without one
    places: list[_Place] = []
    workers: list[_Worker] = []

    @validator("areas", "places", "workers", pre=True)
    def _empty(cls, items: Any) -> Any:
        return [] if items is None else items

    @validator("areas")
    def _tree(cls, areas: list[_Area]) -> list[_Area]:
        codes: set[str] = set()
        for i, a in enumerate(areas):
            if a.code in codes:
                raise At((i, "code"), f"duplicate code {a.code!r}")
            if a.parent is not None and a.parent not in codes:
                raise At((i, "parent"), f"{a.parent!r} must be an area listed before it")
            codes.add(a.code)
        return areas

    @validator("default_area")
    def _default_known(cls, code: str | None, values: dict[str, Any]) -> str | None:
        if code is not None and "areas" in values and code not in _codes(values):
            raise ValueError(f"{code!r} is not an area")
        return code

    @validator("places", "workers")
    def _areas_known(cls, items: list[Any], values: dict[str, Any]) -> list[Any]:
        if "areas" in values:
            codes = _codes(values)
            for i, item in enumerate(items):
                unknown = [c for c in item.areas if c not in codes]
                if unknown:
                    raise At((i, "areas"), f"unknown areas {unknown}")
        return items


def _codes(values: dict[str, Any]) -> set[str]:
    return {a.code for a in values["areas"]}


@lru_cache(maxsize=4)
def load_district(path: Path, default_tz: str = "Asia/Jakarta") -> District:
    """Read and validate district.yml; errors name the file, the key and the problem."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise DistrictError(f"cannot read {path}: {exc}") from exc
    try:
        model = _District.parse_obj(raw)
    except ValidationError as exc:
        raise DistrictError(describe(path.name, exc, raw)) from None
    return District(
        tuple(a.dict(exclude_unset=True) for a in model.areas),
        tuple(p.dict(exclude_unset=True) for p in model.places),
        tuple(w.dict(exclude_unset=True) for w in model.workers),
        model.default_area,
    )


def sync(session: Session, district: District, now: datetime) -> dict[str, int]:
    """Insert or update areas (by code) and workers (by phone); returns counts."""
    by_code = {a.code: a for a in session.execute(select(Area)).scalars()}
    for a in district.areas:
        area = by_code.get(a["code"])
        if area is None:
            area = Area(code=a["code"])
            session.add(area)
            by_code[a["code"]] = area
        area.name = a["name"]
        area.level = a["level"]
        area.timezone = a.get("timezone")
        area.je_endemic = bool(a.get("je_endemic", False))
        area.parent = by_code.get(a.get("parent")) if a.get("parent") else None
    session.flush()
    by_phone = {w.phone: w for w in session.execute(select(Worker)).scalars()}
    for w in district.workers:
        worker = by_phone.get(w["phone"])
        if worker is None:
            worker = Worker(phone=w["phone"], created_at=to_db(now))
            session.add(worker)
        worker.name = w["name"]
        worker.role = w["role"]
        worker.active = bool(w.get("active", True))
        worker.areas = [by_code[c] for c in w.get("areas") or []]
    session.flush()
    return {"areas": len(district.areas), "workers": len(district.workers)}


def area_infos(
    session: Session, default_tz: str, areas: list[Area] | None = None
) -> tuple[AreaInfo, ...]:
    """Every area with its effective time zone (own, else inherited, else the default);
    `areas`: the area rows when the caller has already loaded them."""
    return AreaTree(session, areas).infos(default_tz)
