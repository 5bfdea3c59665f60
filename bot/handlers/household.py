"""Registration and birth reports: apply the household events (consent, contact, persons)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot import alerts, outbox
from bot.catalog import Catalog
from bot.clock import to_db
from bot.deps import HandlerDeps
from bot.models import Alert, Area, Contact, DoseRecord, Person, Reminder
from flows.pregnancy_outcomes import is_very_preterm

UPDATABLE = {"name", "sex", "birth_date", "hpht", "edd", "delivery_date"}
DATE_FIELDS = {"birth_date", "hpht", "edd", "delivery_date"}
REMOVED_REASONS = {"moved", "died", "other"}


def _date(value: Any) -> date | None:
    return date.fromisoformat(value) if value else None


def _area_id(session: Session, code: str | None) -> int | None:
    if not code:
        return None
    return session.execute(select(Area.id).where(Area.code == code)).scalar()


def _person(session: Session, contact: Contact, person_id: Any) -> Person | None:
    """The contact's own person with that id (never someone else's)."""
    person = session.get(Person, person_id) if person_id else None
    return person if person is not None and person.contact_id == contact.id else None


def _by_name(session: Session, contact: Contact, name: str | None) -> Person | None:
    if not name:
        return None
    return session.execute(
        select(Person)
        .where(
            Person.contact_id == contact.id,
            Person.status == "active",
            Person.name == name,
        )
        .order_by(Person.id.desc())
        .limit(1)
    ).scalar_one_or_none()


def _new_person(session: Session, contact: Contact, now: datetime, **fields: Any) -> Person:
    person = Person(
        contact_id=contact.id,
        area_id=contact.area_id,
        status="active",
        created_at=to_db(now),
        updated_at=to_db(now),
        **fields,
    )
    session.add(person)
    session.flush()
    return person


def consent_given(deps: HandlerDeps, contact: Contact, event: dict[str, Any]) -> None:
    """The resident agreed to receive messages: record when."""
    contact.consent_at = to_db(deps.now)


def contact_registered(deps: HandlerDeps, contact: Contact, event: dict[str, Any]) -> None:
    """The contact's name and area (the most precise level they could tell)."""
    session = deps.session
    if event.get("name"):
        contact.name = event["name"][:120]
    area_id = _area_id(session, event.get("area_code"))
    if area_id is not None:
        contact.area_id = area_id
        for person in contact.persons:  # members registered earlier without an area
            if person.area_id is None:
                person.area_id = area_id


def person_added(deps: HandlerDeps, contact: Contact, event: dict[str, Any]) -> None:
    """A new household member (pregnant woman, child, elderly or adult)."""
    session, now = deps.session, deps.now
    mother = _by_name(session, contact, event.get("mother_name"))
    sex = event.get("sex") or ("P" if event.get("role") == "pregnant" else None)
    born = _date(event.get("birth_date"))
    _new_person(
        session,
        contact,
        now,
        name=event["name"][:120],
        sex=sex,
        birth_date=born,
        birth_date_estimated=bool(event.get("birth_date_estimated")),
        hpht=_date(event.get("hpht")),
        edd=_date(event.get("edd")),
        mother_id=mother.id if mother is not None else None,
    )
    if mother is not None and born is not None and event.get("role") == "child":
        _recent_delivery(mother, born, now)


POSTNATAL_DAYS = 42  # the postnatal (nifas) period: KF4 ends on day 42
MOTHER_MAX_YEARS = 50  # an older woman registering a newborn is its grandmother, not its mother


def _recent_delivery(mother: Person, born: date, now: datetime) -> None:
    """A baby of a few weeks registered with its mother: she gave birth that day, so her
    postnatal visits (KF) are planned (a mother registering a 3-week-old had none)."""
    age_days = (now.date() - born).days
    if not 0 <= age_days <= POSTNATAL_DAYS or mother.sex != "P" or mother.status != "active":
        return
    if mother.delivery_date is not None and mother.delivery_date >= born:
        return  # her birth report already said so
    if mother.hpht is not None and (born - mother.hpht).days < 20 * 7:
        return  # pregnant now (her dates say so): not this baby's delivery
    if mother.birth_date and (born - mother.birth_date).days > 365 * MOTHER_MAX_YEARS:
        return
    mother.delivery_date, mother.pregnancy_outcome = born, "birth"  # as a birth report does


def person_updated(deps: HandlerDeps, contact: Contact, event: dict[str, Any]) -> None:
    """A corrected field of a member (a date, usually)."""
    session, now = deps.session, deps.now
    person = _person(session, contact, event.get("person_id"))
    field = event.get("field")
    if person is None or field not in UPDATABLE:
        return
    value = _date(event.get("value")) if field in DATE_FIELDS else event.get("value")
    if field == "name":
        value = str(value or "")[:120]
        if not value:
            return
        if contact.name == person.name:  # the contact renamed herself ("ganti nama saya ...")
            contact.name = value
    setattr(person, field, value)
    if field == "birth_date":
        person.birth_date_estimated = bool(event.get("estimated"))
    person.updated_at = to_db(now)


def person_removed(deps: HandlerDeps, contact: Contact, event: dict[str, Any]) -> None:
    """Moved away or died: the person leaves the household and their reminders stop now."""
    session, now = deps.session, deps.now
    person = _person(session, contact, event.get("person_id"))
    if person is None:
        return
    reason = event.get("reason")
    person.status = "removed"
    person.removed_reason = reason if reason in REMOVED_REASONS else "other"
    person.updated_at = to_db(now)
    for reminder in session.execute(
        select(Reminder).where(Reminder.person_id == person.id, Reminder.status == "pending")
    ).scalars():
        reminder.status, reminder.updated_at = "cancelled", to_db(now)


def _ended_pregnancy(
    session: Session, contact: Contact, event: dict[str, Any], ended: date, now: datetime
) -> Person:
    """The mother whose pregnancy ended (the contact's own person, else by name, else new)."""
    area_id = _area_id(session, event.get("area_code"))
    if area_id is not None and contact.area_id is None:
        contact.area_id = area_id
    mother = _person(session, contact, event.get("mother_person_id"))
    if mother is None:
        mother = _by_name(session, contact, event.get("mother_name"))
    if mother is None:
        mother = _new_person(session, contact, now, name=event["mother_name"][:120], sex="P")
    mother.delivery_date = ended
    weeks = event.get("gestation_weeks")
    mother.delivery_weeks = weeks if isinstance(weeks, int) and 0 <= weeks <= 44 else None
    mother.updated_at = to_db(now)
    return mother


def _weeks_words(cat: Catalog, event: dict[str, Any]) -> str:
    weeks = event.get("gestation_weeks")
    if not isinstance(weeks, int):
        return cat.t("birth.weeks_unknown")
    key = "birth.weeks_estimated" if event.get("weeks_estimated") else "birth.weeks"
    return cat.t(key, n=weeks)


def birth_reported(deps: HandlerDeps, contact: Contact, event: dict[str, Any]) -> list[int]:
    """The pregnancy ends, the newborn joins the household, the area's bidan/kader are told
    (a preterm birth with its gestational age)."""
    session, now = deps.session, deps.now
    born = date.fromisoformat(event["delivery_date"])
    mother = _ended_pregnancy(session, contact, event, born, now)
    mother.pregnancy_outcome = "birth"
    baby = _new_person(
        session,
        contact,
        now,
        name=event["baby_name"][:120],
        sex=event.get("baby_sex"),
        birth_date=born,
        birth_date_estimated=False,
        mother_id=mother.id,
    )
    if mother.area_id is not None:
        baby.area_id = mother.area_id
    cat = deps.catalog
    sex = cat.t(f"birth.sex_{baby.sex}") if baby.sex in ("L", "P") else cat.t("birth.sex_unknown")
    values = {"mother": mother.name, "date": born.strftime("%d-%m-%Y"), "sex": sex}
    urgency = "routine"
    if event.get("preterm"):
        summary = cat.t("birth.summary_preterm", weeks=_weeks_words(cat, event), **values)
        template = "alert.birth_preterm"
        if is_very_preterm(event.get("gestation_weeks")):  # seen at a facility today
            template, urgency = "alert.birth_very_preterm", "emergency"
    else:
        summary, template = cat.t("birth.summary", **values), "alert.birth"
    return notify_workers(
        deps, contact, event, mother, kind="birth", summary=summary,
        template=template, roles=("kader", "bidan"), urgency=urgency,
    )  # fmt: skip


def pregnancy_lost(deps: HandlerDeps, contact: Contact, event: dict[str, Any]) -> list[int]:
    """A miscarriage: the pregnancy ends (its reminders stop when the household is re-planned,
    no nifas visits are reminded) and the area's bidan is asked for a visit."""
    session, now = deps.session, deps.now
    ended = date.fromisoformat(event["loss_date"])
    mother = _ended_pregnancy(session, contact, event, ended, now)
    mother.pregnancy_outcome = "loss"
    cat = deps.catalog
    summary = cat.t(
        "birth.loss.summary",
        mother=mother.name,
        date=ended.strftime("%d-%m-%Y"),
        weeks=_weeks_words(cat, event),
    )
    return notify_workers(
        deps, contact, event, mother,
        kind="miscarriage", summary=summary, template="alert.miscarriage", roles=("bidan",),
    )  # fmt: skip


def notify_workers(
    deps: HandlerDeps,
    contact: Contact,
    event: dict[str, Any],
    mother: Person,
    *,
    kind: str,
    summary: str,
    template: str,
    roles: tuple[str, ...],
    urgency: str = "routine",
) -> list[int]:
    """An open alert (a worker can TERIMA it; escalated by its urgency) sent to the area's
    first line in `roles` (bot.alerts.first_line), else to the puskesmas on duty, at
    `deps.now`."""
    session, now, cat = deps.session, deps.now, deps.catalog
    alert = Alert(
        ref=event["ref"],
        kind=kind,
        urgency=urgency,
        contact_id=contact.id,
        person_id=mother.id,
        area_id=mother.area_id or contact.area_id,
        status="open",
        level=1,
        summary=summary[:200],
        declined_by=[],
        escalate_at=to_db(now + alerts.escalation_delay(deps.settings, urgency)),
        created_at=to_db(now),
        updated_at=to_db(now),
    )
    session.add(alert)
    session.flush()
    # its first line in `roles` (a birth placed only at the desa: every dusun kader of it too;
    # a miscarriage, roles bidan: the bidan only)
    workers = alerts.first_line(session, alert.area_id, roles=roles)
    if not workers:  # no area known (or nobody covers it): the puskesmas on duty
        workers = alerts.responsible(session, alert.area_id, ("admin",))
    text = cat.t(template, **alerts.describe(session, alert, now, cat))
    return outbox.to_workers(session, workers, text, now, f"{kind}:{alert.ref}:{{worker}}")


def kia_history_reported(
    deps: HandlerDeps, contact: Contact, event: dict[str, Any]
) -> list[int] | None:
    """What the child's Buku KIA shows, as the parent told it at registration: the doses go
    through the one dose service (source kia_book, or kia_estimate for a scheduled date), and
    'tidak tahu' gives the area's kader a check-the-book task (a routine `kia_check` alert);
    while it is open the child's past doses are not reminded (scheduler/reminders.book_checks)."""
    from bot import doses
    from scheduler.reminders import BOOK_CHECK_KIND, Zones

    session, now = deps.session, deps.now
    person = _by_name(session, contact, event.get("name"))
    if person is None:
        return None
    answer = event.get("answer")
    if answer in ("complete", "list"):
        recorded = set(
            session.execute(select(DoseRecord.item).where(DoseRecord.person_id == person.id))
            .scalars()
            .all()
        )
        items = [
            doses.Given(
                d["item"],
                date.fromisoformat(d["given_on"]),
                "kia_estimate" if d.get("estimated") else "kia_book",
            )
            for d in event.get("doses") or []
            if d.get("item") not in recorded
        ]
        if items:
            tz = Zones(session, deps.default_tz).tz(person.area_id or contact.area_id)
            today = now.astimezone(ZoneInfo(tz)).date()
            doses.record(session, person, items, today, now, deps.settings)
        return None
    if answer != "unknown":
        return None
    return _person_task(deps, contact, person, BOOK_CHECK_KIND, "registration.kia_check_summary")


def anc_history_reported(
    deps: HandlerDeps, contact: Contact, event: dict[str, Any]
) -> list[int] | None:
    """How many antenatal checks a woman registered after the first visit's window had: that
    many visits, of those whose window has begun, are recorded (source kia_estimate, dated the
    end of each window or today), so the next reminder is the visit she is really due. None
    yet: her kader and bidan get a routine `no_anc` alert (a first check is overdue)."""
    from bot import doses
    from scheduler.reminders import Zones
    from scheduler.rules import VisitRule, default_rules

    session, now = deps.session, deps.now
    person = _by_name(session, contact, event.get("name"))
    count = event.get("count")
    if person is None or not isinstance(count, int) or person.hpht is None:
        return None
    tz = Zones(session, deps.default_tz).tz(person.area_id or contact.area_id)
    today = now.astimezone(ZoneInfo(tz)).date()
    if count > 0:
        rules = default_rules()
        begun = []
        for item in (f"ANC{n}" for n in range(1, 7)):
            rule = rules.get(item)
            if isinstance(rule, VisitRule) and rule.window[0].apply(person.hpht) <= today:
                begun.append((item, min(rule.window[1].last_day(person.hpht), today)))
        recorded = set(
            session.execute(select(DoseRecord.item).where(DoseRecord.person_id == person.id))
            .scalars()
            .all()
        )
        items = [
            doses.Given(item, on, "kia_estimate")
            for item, on in begun[:count]
            if item not in recorded
        ]
        if items:
            doses.record(session, person, items, today, now, deps.settings)
        return None
    weeks = event.get("weeks") or "?"
    return _person_task(deps, contact, person, "no_anc", "registration.no_anc_summary", weeks=weeks)


def _person_task(
    deps: HandlerDeps,
    contact: Contact,
    person: Person,
    kind: str,
    summary_key: str,
    **values: object,
) -> list[int]:
    """A routine alert about one member for the kader and bidan of her area (check the Buku
    KIA, a first antenatal check): its summary is `summary_key` with name, id, ref, `values`."""
    from bot.handlers.reports import new_ref

    session, now = deps.session, deps.now
    ref = new_ref(deps)
    summary = deps.catalog.t(summary_key, name=person.name, id=person.id, ref=ref, **values)
    alert = Alert(
        ref=ref,
        kind=kind,
        urgency="routine",
        contact_id=contact.id,
        person_id=person.id,
        area_id=person.area_id or contact.area_id,
        status="open",
        level=1,
        summary=summary,
        declined_by=[],
        created_at=to_db(now),
        updated_at=to_db(now),
    )
    session.add(alert)
    session.flush()
    return alerts.raise_alert(session, alert, now, deps.settings, deps.catalog)


HANDLERS = {
    "consent_given": consent_given,
    "contact_registered": contact_registered,
    "person_added": person_added,
    "person_updated": person_updated,
    "person_removed": person_removed,
    "birth_reported": birth_reported,
    "pregnancy_lost": pregnancy_lost,
    "kia_history_reported": kia_history_reported,
    "anc_history_reported": anc_history_reported,
}
