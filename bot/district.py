"""The deployment's areas, places and workers (district.yml): validate, and sync to the database."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.areas import AreaTree
from bot.clock import to_db
from bot.models import WORKER_ROLES, Area, Worker
from bot.phones import to_e164
from flows.base import AreaInfo

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


@lru_cache(maxsize=4)
def load_district(path: Path, default_tz: str = "Asia/Jakarta") -> District:
    """Read and validate district.yml; errors name the entry."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise DistrictError(f"cannot read {path}: {exc}") from exc
    areas = [dict(a) for a in raw.get("areas") or []]
    codes: set[str] = set()
    for a in areas:
        where = f"{path.name}: area {a.get('code')!r}"
        if not isinstance(a.get("code"), str) or not a["code"].strip():
            raise DistrictError(f"{where}: code is required")
        if a["code"] in codes:
            raise DistrictError(f"{where}: duplicate code")
        if not isinstance(a.get("name"), str) or not a["name"].strip():
            raise DistrictError(f"{where}: name is required")
        if a.get("level") not in LEVELS:
            raise DistrictError(f"{where}: level must be one of {', '.join(LEVELS)}")
        if a.get("parent") is not None and a["parent"] not in codes:
            raise DistrictError(f"{where}: parent {a['parent']!r} must be listed before it")
        if a.get("timezone"):
            try:
                ZoneInfo(a["timezone"])
            except (ZoneInfoNotFoundError, ValueError) as exc:
                raise DistrictError(f"{where}: unknown time zone {a['timezone']!r}") from exc
        codes.add(a["code"])
    default_area = raw.get("default_area")
    if default_area is not None and default_area not in codes:
        raise DistrictError(f"{path.name}: default_area {default_area!r} is not an area")
    places = [dict(p) for p in raw.get("places") or []]
    for p in places:
        where = f"{path.name}: place {p.get('code')!r}"
        if p.get("kind") not in PLACE_KINDS:
            raise DistrictError(f"{where}: kind must be one of {', '.join(PLACE_KINDS)}")
        hours = p.get("hours")
        if not (isinstance(hours, list) and len(hours) == 2 and all(_HHMM.match(h) for h in hours)):
            raise DistrictError(f"{where}: hours must be [HH:MM, HH:MM]")
        if not isinstance(p.get("capacity"), int) or p["capacity"] < 1:
            raise DistrictError(f"{where}: capacity must be a positive whole number")
        if not p.get("days") and not p.get("posyandu_rule") and not p.get("dates"):
            raise DistrictError(f"{where}: needs days, posyandu_rule or dates")
        unknown = [c for c in p.get("areas") or [] if c not in codes]
        if unknown:
            raise DistrictError(f"{where}: unknown areas {unknown}")
    workers = [dict(w) for w in raw.get("workers") or []]
    for w in workers:
        where = f"{path.name}: worker {w.get('name')!r}"
        w["phone"] = to_e164(str(w.get("phone", "")))
        if w["phone"] is None:
            raise DistrictError(f"{where}: invalid phone")
        if w.get("role") not in WORKER_ROLES:
            raise DistrictError(f"{where}: role must be one of {', '.join(WORKER_ROLES)}")
        unknown = [c for c in w.get("areas") or [] if c not in codes]
        if unknown:
            raise DistrictError(f"{where}: unknown areas {unknown}")
    return District(tuple(areas), tuple(places), tuple(workers), default_area)


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
