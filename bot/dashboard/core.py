"""Shared plumbing of the dashboard: runtime, clock, settings, the request's DB session,
area scope of the logged-in staff member, labels and CSV export."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app, g
from sqlalchemy import false, true
from sqlalchemy.orm import Session

from bot.areas import AreaTree, alert_scope, in_scope, worker_scope
from bot.catalog import Catalog, load_catalog
from bot.clock import from_db, to_db
from bot.models import Area, Person, StaffUser
from flows.base import PersonInfo

DEFAULTS = {
    "session_idle_minutes": 30,  # log out after this long without a request
    "login_max_failures": 5,  # failed logins per username + IP address ...
    "login_window_minutes": 15,  # ... within this window block further attempts
    "login_max_failures_per_ip": 20,  # failed logins from one IP address, any usernames
    "coverage_target_percent": 95,  # PWS target line for immunization and ANC coverage
}
ROLES = ("admin", "bidan", "kader")
ACTIVE_ALERT = ("open", "accepted", "escalated")
CLOSED_ALERT = ("done", "referred", "closed")
OPEN_REPORT = ("open", "in_progress")


def rt():
    """The Jemput Bola runtime of the current app."""
    return current_app.extensions["jemput_bola"]


def now() -> datetime:
    """The app clock (aware UTC); tests freeze it."""
    return rt().clock.now()


def settings() -> dict[str, Any]:
    """The dashboard settings (config `dashboard:` section) over the defaults."""
    return {**DEFAULTS, **(rt().settings.get("dashboard") or {})}


def tz() -> ZoneInfo:
    return ZoneInfo(rt().settings["timezone"])


def today() -> date:
    """Today in the deployment's default time zone."""
    return now().astimezone(tz()).date()


def day_bounds(day: date) -> tuple[datetime, datetime]:
    """The local day as naive UTC [start, end) for queries."""
    start = datetime.combine(day, time(), tz())
    return to_db(start), to_db(start + timedelta(days=1))


def local(dt: datetime | None) -> datetime | None:
    """A stored naive UTC time in the local zone."""
    return None if dt is None else from_db(dt).astimezone(tz())


def db() -> Session:
    """This request's session (closed at the end of the request)."""
    if "dash_db" not in g:
        g.dash_db = rt().session_factory()
    return g.dash_db


def close_db(_exc: BaseException | None = None) -> None:
    session = g.pop("dash_db", None)
    if session is not None:
        session.close()


def person_info(p: Person) -> PersonInfo:
    """A resident as the flows and the planner see them (life stage, weeks pregnant)."""
    return PersonInfo(p.id, p.name, p.sex, p.birth_date, p.hpht, p.edd, p.delivery_date)


def catalog() -> Catalog:
    """The catalog of the dashboard's own words (labels, item names, Twilio errors, the row
    builders' texts): Indonesian, the dashboard's language. Used where no runtime is to hand
    (template globals, an app context without Jemput Bola); a view that changes something
    passes the runtime's catalog (core.rt().catalog) to the services instead."""
    return load_catalog("id")


def label(group: str, value: object) -> str:
    """The Indonesian label of a status, role, kind...; the raw value when there is none."""
    if value is None or value == "":
        return "-"
    texts = catalog().texts
    return texts.get(f"dashboard.{group}.{value}", str(value)).strip()


def item_label(code: str) -> str:
    """'DPT1' -> 'DPT-HB-Hib 1' (the reminder catalog's item names)."""
    return catalog().texts.get(f"items.{code}", code).strip()


def place_name(code: str | None) -> str:
    """'posyandu-melati' -> 'Posyandu Melati (Kaler)' from district.yml; the code otherwise."""
    if not code:
        return "-"
    for place in rt().district.places:
        if place.get("code") == code:
            return str(place.get("name") or code)
    return code


def twilio_error(code: str | None) -> str:
    """The Twilio error code explained for puskesmas staff."""
    cat = catalog()
    if not code:
        return cat.t("dashboard.twilio_error.none")
    key = f"dashboard.twilio_error.{code}"
    return cat.t(key) if key in cat.texts else cat.t("dashboard.twilio_error.unknown", code=code)


# --------------------------------------------------------------------------- areas and scope


@dataclass(frozen=True)
class Scope:
    """Which areas a staff member sees: None = everything (admin). `alert_ids`: areas whose
    alerts she also sees and acts on, added to `area_ids` (a kader: those above hers up to
    her desa, bot.areas.alert_scope, since an alert placed only at her desa was sent to her
    too). Alert lists and pages use `alert_clause`/`allows_alert`; residents, reports and
    visits keep `clause`/`allows`."""

    area_ids: frozenset[int] | None
    alert_ids: frozenset[int] | None = frozenset()

    @classmethod
    def for_staff(cls, session: Session, staff: StaffUser, areas: AreaTree) -> Scope:
        """The same rule as the kader commands (bot.areas.worker_scope, alert_scope), with
        the role the lifecycle acts as (bot.alert_lifecycle.staff_actor: the linked
        worker's)."""
        scope = worker_scope(areas, staff.worker, staff.role)
        role = staff.worker.role if staff.worker is not None else staff.role
        return cls(scope, alert_scope(areas, scope, role))

    @property
    def everything(self) -> bool:
        return self.area_ids is None

    @property
    def _alerts(self) -> frozenset[int] | None:
        if self.area_ids is None or self.alert_ids is None:
            return self.area_ids
        return self.area_ids | self.alert_ids

    def allows(self, area_id: int | None) -> bool:
        return in_scope(self.area_ids, area_id)

    def allows_alert(self, area_id: int | None) -> bool:
        return in_scope(self._alerts, area_id)

    def clause(self, column) -> Any:
        """A WHERE clause limiting `column` (an area id) to the scope."""
        return _clause(self.area_ids, column)

    def alert_clause(self, column) -> Any:
        """A WHERE clause limiting `column` (an alert's area id) to the alert scope."""
        return _clause(self._alerts, column)

    def visible_areas(self, areas: AreaTree) -> list[Area]:
        return [a for a in areas.rows.values() if self.allows(a.id)]


def _clause(ids: frozenset[int] | None, column) -> Any:
    if ids is None:
        return true()
    if not ids:
        return false()
    return column.in_(sorted(ids))


# --------------------------------------------------------------------------- lists and CSV


def parse_date(text: str | None) -> date | None:
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        return None
