"""Reminder rows as the source of truth: plan them from the pure planner (idempotent,
re-plannable), and send what is due as one combined message per contact per day."""

from __future__ import annotations

import logging
import multiprocessing
import os
from collections import defaultdict
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam, func, insert, select, update
from sqlalchemy.orm import Session

from bot import outbox
from bot.areas import AreaTree
from bot.catalog import load_catalog
from bot.clock import to_db
from bot.db import in_memory, make_engine, make_session_factory
from bot.models import Alert, Contact, DoseRecord, Person, Reminder
from flows.booking import anc_in_order
from scheduler.planner import Given, PersonFacts, expand_posyandu, plan, plan_memo
from scheduler.rules import SCREENING_ITEMS
from scheduler.sendtime import deferred, send_at

log = logging.getLogger(__name__)
ACTIVE = ("upcoming", "due", "overdue")
BATCH = 1000  # persons per re-plan transaction


class Zones:
    """Per area: time zone, JE endemic (bot.areas.AreaTree) and posyandu days, inherited from
    the areas above it, for the planner."""

    def __init__(self, session: Session, default_tz: str, places: Iterable[dict] = ()) -> None:
        self.tree = AreaTree(session)
        self.rows = self.tree.rows
        self.by_code = self.tree.by_code
        self.default_tz = default_tz
        self.posyandu = [p for p in places if p.get("kind") == "posyandu"]
        self._days: dict[tuple[int | None, date], tuple[date, ...]] = {}

    def posyandu_days(self, area_id: int | None, around: date) -> tuple[date, ...]:
        """Dates of the posyandu serving this area (or an ancestor), two months either side."""
        key = (area_id, around.replace(day=1))
        if key not in self._days:
            chain = {a.code for a in self.tree.chain(area_id)}
            start, end = around - timedelta(days=62), around + timedelta(days=62)
            days: set[date] = set()
            for place in self.posyandu:
                if chain & set(place.get("areas") or ()):
                    rule = place.get("posyandu_rule") or {"dates": place.get("dates") or []}
                    days |= set(expand_posyandu(rule, start, end))
            self._days[key] = tuple(sorted(days))
        return self._days[key]

    def tz(self, area_id: int | None) -> str:
        return self.tree.tz(area_id, self.default_tz)

    def je(self, area_id: int | None) -> bool:
        return self.tree.je(area_id)


def places(settings: dict[str, Any]) -> tuple[dict, ...]:
    """The service places of district.yml (posyandu days drive the WEIGH reminders)."""
    from bot.config import resolve_path
    from bot.district import load_district

    return load_district(resolve_path(settings["district_file"]), settings["timezone"]).places


BOOK_CHECK_KIND = "kia_check"  # the kader's task: check a child's Buku KIA (registration)
BOOK_CHECK_OPEN = ("open", "accepted", "escalated")


def book_checks(session: Session, person_ids: Iterable[int]) -> dict[int, datetime]:
    """Persons whose Buku KIA a kader is still to check (an active `kia_check` alert), with
    when the check was asked (UTC): their doses due before it wait for the check."""
    ids = list(person_ids)
    if not ids:
        return {}
    rows = session.execute(
        select(Alert.person_id, func.min(Alert.created_at))
        .where(
            Alert.kind == BOOK_CHECK_KIND,
            Alert.status.in_(BOOK_CHECK_OPEN),
            Alert.person_id.in_(ids),
        )
        .group_by(Alert.person_id)
    )
    return {pid: created.replace(tzinfo=ZoneInfo("UTC")) for pid, created in rows}


def book_check_day(asked: datetime, tz: str) -> date:
    """PersonFacts.book_check_from: doses due up to the local day the check was asked wait."""
    return asked.astimezone(ZoneInfo(tz)).date() + timedelta(days=1)


def facts(
    person: Person,
    zones: Zones,
    on: date | None = None,
    contact_area_id: int | None = None,
    check_asked: datetime | None = None,
) -> PersonFacts:
    """The planner's facts; `person` may be a Person or a row of the person table (then pass
    the contact's area); `check_asked`: when a kader was asked to check the Buku KIA."""
    area_id = person.area_id or contact_area_id
    if area_id is None and isinstance(person, Person) and person.contact is not None:
        area_id = person.contact.area_id
    check_from = book_check_day(check_asked, zones.tz(area_id)) if check_asked else None
    return PersonFacts(
        book_check_from=check_from,
        posyandu_days=zones.posyandu_days(area_id, on) if on else (),
        birth_date=person.birth_date,
        sex=person.sex,
        hpht=person.hpht,
        edd=person.edd,
        delivery_date=person.delivery_date,
        pregnancy_lost=person.pregnancy_outcome == "loss",
        je_endemic=zones.je(person.area_id),
        registered_on=person.created_at.date() if person.created_at else None,
    )


def plan_person(
    session: Session,
    person: Person,
    contact: Contact,
    given: Iterable[DoseRecord],
    now: datetime,
    settings: dict[str, Any],
    zones: Zones,
    rows: Iterable[Reminder] | None = None,
    new_rows: list[dict[str, Any]] | None = None,
    times: dict[tuple[date, str], datetime] | None = None,
    updates: list[dict[str, Any]] | None = None,
    checks: dict[int, datetime] | None = None,
) -> int:
    """Create or move this person's reminder rows; returns how many rows changed.

    For batches, `rows` are the person's reminder rows already loaded (plain rows when
    `updates` is given), `new_rows` and `updates` collect the rows to insert and the changes to
    make (as dicts, for one executemany each) and `times` caches send times per day."""
    tz = zones.tz(person.area_id or contact.area_id)
    today = now.astimezone(ZoneInfo(tz)).date()
    if rows is None:
        rows = session.execute(select(Reminder).where(Reminder.person_id == person.id)).scalars()
    existing = {(r.item, r.occurrence, r.stage): r for r in rows}
    times = {} if times is None else times
    can_send = (
        person.status == "active" and contact.consent_at is not None and not contact.opted_out
    )
    wanted: dict[tuple[str, str, str], date] = {}
    if can_send:
        records = [Given(d.item, d.given_on, d.source) for d in given]
        horizon = settings["reminders"]["horizon_days"]
        if checks is None:
            checks = book_checks(session, [person.id])
        asked = checks.get(person.id)
        person_facts = facts(person, zones, today, contact.area_id, asked)
        for item in plan_memo(person_facts, records, today, horizon_days=horizon):
            if item.status not in ACTIVE or item.waits_for is not None:
                continue  # a later dose of a series is reminded once the one before is recorded
            if item.awaits_check:
                continue  # past doses wait for the kader's check of the Buku KIA
            if item.item in SCREENING_ITEMS:
                continue  # the T-status check is the bidan's, at the antenatal check reminded
            if item.status == "overdue" and item.overdue_from:
                wanted[(item.item, item.occurrence, "overdue")] = item.overdue_from
            else:
                wanted[(item.item, item.occurrence, "due")] = item.due_from
                if item.overdue_from:
                    wanted[(item.item, item.occurrence, "overdue")] = item.overdue_from
    changed = 0
    hour, quiet = settings["reminders"]["hour"], settings["quiet_hours"]
    stamp = to_db(now)
    for key, due_on in wanted.items():
        row = existing.pop(key, None)
        when = times.get((due_on, tz))
        if when is None:
            when = times[(due_on, tz)] = to_db(send_at(due_on, tz, hour, quiet, now))
        if row is None:
            values = {
                "person_id": person.id,
                "contact_id": contact.id,
                "item": key[0],
                "occurrence": key[1],
                "stage": key[2],
                "due_on": due_on,
                "send_at": when,
                "status": "pending",
                "created_at": stamp,
                "updated_at": stamp,
            }
            if new_rows is None:
                session.add(Reminder(**values))
            else:
                new_rows.append(values)
            changed += 1
        elif row.status == "pending" and (row.due_on != due_on or row.contact_id != contact.id):
            change = {"due_on": due_on, "send_at": when, "contact_id": contact.id}
            _change(row, change, stamp, updates)
            changed += 1
        elif row.status == "cancelled":
            _change(row, {"status": "pending", "due_on": due_on, "send_at": when}, stamp, updates)
            changed += 1
    for row in existing.values():  # done, expired, removed person or no consent any more
        if row.status == "pending":
            done = any(d.item == row.item for d in given)
            _change(row, {"status": "done" if done else "cancelled"}, stamp, updates)
            changed += 1
    return changed


_UPDATED = ("status", "due_on", "send_at", "contact_id")


def _change(
    row: Any, change: dict[str, Any], stamp: datetime, updates: list[dict[str, Any]] | None
) -> None:
    """Change an ORM reminder in place, or queue the change of a plain row for one UPDATE."""
    if updates is None:
        for name, value in change.items():
            setattr(row, name, value)
        row.updated_at = stamp
        return
    values = {f"new_{name}": change.get(name, getattr(row, name)) for name in _UPDATED}
    updates.append({"row_id": row.id, "new_updated_at": stamp, **values})


def _insert_reminders(session: Session, rows: list[dict[str, Any]]) -> None:
    """One executemany. On SQLite the values go to the driver already in SQLAlchemy's storage
    format (dates ISO, datetimes with microseconds): per-row bind processing was most of the
    cost of a first plan of a large district."""
    if session.get_bind().dialect.name != "sqlite":
        session.execute(insert(Reminder), rows)
        return
    names = list(rows[0])
    sql = (
        f"INSERT INTO {Reminder.__tablename__} ({', '.join(names)}) "
        f"VALUES ({', '.join(':' + n for n in names)})"
    )
    text: dict[Any, str] = {}  # the same few days and times recur in every batch

    def stored(value: Any) -> Any:
        if value is None or value.__class__ not in (date, datetime):
            return value
        if value not in text:
            text[value] = (
                value.strftime("%Y-%m-%d %H:%M:%S.%f")
                if isinstance(value, datetime)
                else value.isoformat()
            )
        return text[value]

    session.connection().exec_driver_sql(
        sql, [{name: stored(value) for name, value in r.items()} for r in rows]
    )


def _apply_updates(session: Session, updates: list[dict[str, Any]]) -> None:
    table = Reminder.__table__
    session.execute(
        update(table)
        .where(table.c.id == bindparam("row_id"))
        .values({name: bindparam(f"new_{name}") for name in (*_UPDATED, "updated_at")}),
        updates,
    )


PARALLEL_FROM = 20_000  # persons; below this, starting worker processes costs more than it saves


def plan_everyone(
    session_factory,
    database_url: str,
    now: datetime,
    settings: dict[str, Any],
    parallel_from: int = PARALLEL_FROM,
) -> int:
    """Re-plan the whole district; a large one with `reminders.plan_workers` processes
    (0: one per core), each taking the persons whose id falls in its share. Returns how many
    rows changed."""
    workers = int(settings["reminders"]["plan_workers"]) or os.cpu_count() or 1
    if workers > 1 and not in_memory(database_url):
        with session_factory() as s:
            persons = s.scalar(select(func.count()).select_from(Person)) or 0
        if persons >= parallel_from:
            context = multiprocessing.get_context("spawn")  # nothing inherited from this process
            jobs = [(database_url, now, settings, (index, workers)) for index in range(workers)]
            with context.Pool(workers) as pool:
                return sum(pool.starmap(_plan_share, jobs))
    return plan_all(session_factory, now, settings)


def _plan_share(
    database_url: str, now: datetime, settings: dict[str, Any], share: tuple[int, int]
) -> int:
    engine = make_engine(database_url)
    try:
        return plan_all(make_session_factory(engine), now, settings, share=share)
    finally:
        engine.dispose()


def plan_all(
    session_factory,
    now: datetime,
    settings: dict[str, Any],
    person_ids=None,
    progress=None,
    share: tuple[int, int] | None = None,
) -> int:
    """Re-plan everyone (or some persons, or the share `(index, of)` of persons whose id modulo
    `of` is `index`), in batches so memory stays flat: per batch one query each for persons,
    doses, contacts and reminder rows, one insert for new rows and one update for changes."""
    changed = 0
    last_id = 0
    times: dict[tuple[date, str], datetime] = {}
    district_places = places(settings)
    while True:
        with session_factory() as s:
            zones = Zones(s, settings["timezone"], district_places)
            # plain rows, not ORM objects: a re-plan reads every person and changes none
            person_table, contact_table = Person.__table__, Contact.__table__
            q = (
                select(person_table)
                .where(person_table.c.id > last_id)
                .order_by(person_table.c.id)
                .limit(BATCH)
            )
            if person_ids is not None:
                q = q.where(person_table.c.id.in_(list(person_ids)))
            if share is not None:
                q = q.where(person_table.c.id % share[1] == share[0])
            persons = list(s.execute(q))
            if not persons:
                return changed
            ids = [p.id for p in persons]
            doses: dict[int, list[DoseRecord]] = defaultdict(list)
            for d in s.execute(select(DoseRecord).where(DoseRecord.person_id.in_(ids))).scalars():
                doses[d.person_id].append(d)
            wanted_contacts = {p.contact_id for p in persons}
            contacts = {
                c.id: c
                for c in s.execute(
                    select(contact_table).where(contact_table.c.id.in_(wanted_contacts))
                )
            }
            reminder_table = Reminder.__table__
            reminders: dict[int, list[Any]] = defaultdict(list)
            for r in s.execute(select(reminder_table).where(reminder_table.c.person_id.in_(ids))):
                reminders[r.person_id].append(r)
            new_rows: list[dict[str, Any]] = []
            updates: list[dict[str, Any]] = []
            checks = book_checks(s, ids)
            for p in persons:
                changed += plan_person(
                    s, p, contacts[p.contact_id], doses[p.id], now, settings, zones,
                    rows=reminders[p.id], new_rows=new_rows, times=times, updates=updates,
                    checks=checks,
                )  # fmt: skip
            if updates:
                _apply_updates(s, updates)
            if new_rows:
                _insert_reminders(s, new_rows)
            s.commit()
            last_id = ids[-1]
            if progress is not None:
                progress(len(persons))


STALE_AFTER_DAYS = 2  # a pending reminder this much past its day: the send job re-plans first


def send_due(session: Session, now: datetime, settings: dict[str, Any]) -> list[int]:
    """Queue one combined message per contact for the reminders whose time has come.

    Quiet hours and Friday prayer are checked again here, in the contact's zone at this
    moment: what falls outside them is not sent but deferred to the next allowed time."""
    cat = load_catalog("id")
    due = select(Reminder).where(Reminder.status == "pending", Reminder.send_at <= to_db(now))
    zones = Zones(session, settings["timezone"])
    # After a gap (no nightly plan, a send run on its own) a due and an overdue row of one
    # item, or an item past its age limit (HB0 on day 8), must not go out: who has a row left
    # pending since before yesterday is re-planned first (today's plan cancels those). On a
    # normal day every row goes out the day it comes due and nobody is re-planned here.
    stale = due.where(Reminder.due_on < now.date() - timedelta(days=STALE_AFTER_DAYS))
    for person_id in sorted({r.person_id for r in session.execute(stale).scalars()}):
        person = session.get(Person, person_id)
        if person is not None and person.contact is not None:
            given = session.execute(
                select(DoseRecord).where(DoseRecord.person_id == person_id)
            ).scalars()
            plan_person(session, person, person.contact, list(given), now, settings, zones)
    session.flush()
    rows = list(
        session.execute(due.order_by(Reminder.contact_id, Reminder.due_on, Reminder.id)).scalars()
    )
    by_contact: dict[int, list[Reminder]] = defaultdict(list)
    for r in rows:
        by_contact[r.contact_id].append(r)
    ids: list[int] = []
    for contact_id, reminders in by_contact.items():
        contact = session.get(Contact, contact_id)
        if contact is None or contact.opted_out or contact.consent_at is None:
            for r in reminders:
                r.status, r.updated_at = "cancelled", to_db(now)
            continue
        tz = zones.tz(contact.area_id)
        later = deferred(now, tz, settings["quiet_hours"])
        if later is not None:  # quiet hours or Friday prayer where the contact lives: wait
            for r in reminders:
                r.send_at, r.updated_at = to_db(later), to_db(now)
            continue
        if _failing(session, contact, settings["sending"]["failures_before_pause"]):
            ids += _ask_kader_to_check_number(session, contact, reminders, now, settings)
            continue  # paused: they stay pending until a message gets through again
        local_day = now.astimezone(ZoneInfo(tz)).date()
        key = f"reminder:{contact_id}:{local_day.isoformat()}"
        if session.execute(
            select(outbox.OutboundMessage.id).where(outbox.OutboundMessage.idempotency_key == key)
        ).first():
            continue  # one reminder message per contact per day: the rest waits for tomorrow
        persons = {p.id: p for p in contact.persons}
        anc_done: dict[int, list[str]] = {}
        for pid, item in session.execute(
            select(DoseRecord.person_id, DoseRecord.item).where(
                DoseRecord.person_id.in_(list(persons)), DoseRecord.item.like("ANC%")
            )
        ).all():
            anc_done.setdefault(pid, []).append(item)
        lines, names = [], []
        for r in reminders:
            person = persons.get(r.person_id)
            pname = person.name if person else "-"
            if pname not in names:
                names.append(pname)
            code = anc_in_order(r.item, anc_done.get(r.person_id, []))
            anc_done.setdefault(r.person_id, []).append(r.item)  # the next line's check: +1
            item = cat.t(f"items.{code}") if f"items.{code}" in cat.texts else r.item
            if r.stage == "overdue":
                lines.append(cat.t("reminder.line_overdue", item=item, person=pname))
            else:  # sent when its window opens (or later): "mulai <that day>" read as a mistake
                lines.append(cat.t("reminder.line_due", item=item, person=pname))
        if contact.channel == "sms":
            footer = cat.t("reminder.footer_sms", whatsapp=settings["channels"]["whatsapp_from"])
        else:
            footer = cat.t("reminder.footer_whatsapp")
        body = "\n".join([cat.t("reminder.header", names=", ".join(names)), *lines, footer])
        msg = outbox.queue(
            session,
            key=key,
            to_phone=contact.phone,
            channel=contact.channel,
            body=body,
            now=now,
            kind="reminder",
            contact_id=contact.id,
        )
        for r in reminders:
            r.status, r.outbound_id, r.updated_at = "sent", msg.id, to_db(now)
        ids.append(msg.id)
    return ids


def _failing(session: Session, contact: Contact, limit: int) -> bool:
    """The last `limit` messages to this contact all failed (a wrong or dead number?)."""
    statuses = list(
        session.execute(
            select(outbox.OutboundMessage.status)
            .where(outbox.OutboundMessage.contact_id == contact.id)
            .order_by(outbox.OutboundMessage.id.desc())
            .limit(limit)
        ).scalars()
    )
    return len(statuses) == limit and all(s in ("failed", "undelivered") for s in statuses)


def _ask_kader_to_check_number(session, contact, reminders, now, settings) -> list[int]:
    """Once a month per contact: ask the area's kader to check the number."""
    from bot.alerts import responsible

    cat = load_catalog("id")
    names = ", ".join(sorted({p.name for p in contact.persons})) or "-"
    body = cat.t("reminder.check_number", phone=contact.phone, names=names)
    ids = []
    for w in responsible(session, contact.area_id, ("kader",)):
        msg = outbox.queue(
            session,
            key=f"numbercheck:{contact.id}:{now:%Y-%m}:{w.id}",
            to_phone=w.phone,
            channel="whatsapp",
            body=body,
            now=now,
            kind="alert",
        )
        if msg.status == "queued" and msg.attempts == 0:
            ids.append(msg.id)
    return ids


def due_report(session: Session, on: date, settings: dict[str, Any]) -> list[dict[str, Any]]:
    """What is due or overdue on a day for each person (no sending), for `reminders due`;
    doses waiting for a kader's check of the Buku KIA have the status `awaits_check`."""
    zones = Zones(session, settings["timezone"], places(settings))
    out = []
    persons = list(
        session.execute(
            select(Person).where(Person.status == "active").order_by(Person.id)
        ).scalars()
    )
    checks = book_checks(session, [p.id for p in persons])
    for person in persons:
        given = [
            Given(d.item, d.given_on, d.source)
            for d in session.execute(
                select(DoseRecord).where(DoseRecord.person_id == person.id)
            ).scalars()
        ]
        person_facts = facts(person, zones, on, check_asked=checks.get(person.id))
        for item in plan(person_facts, given, on):
            if item.status in ("due", "overdue"):
                out.append(
                    {
                        "phone": person.contact.phone,
                        "person": person.name,
                        "person_id": person.id,
                        "item": item.item,
                        "occurrence": item.occurrence,
                        "status": "awaits_check" if item.awaits_check else item.status,
                        "due_from": item.due_from.isoformat(),
                        "reason": item.reason,
                    }
                )
    return out
