"""Residents: search by name or phone, and the profile (household, life stage, doses given
and due from the planner, reports, visits and message history) with dose recording."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from flask import abort, flash, g, redirect, render_template, request, url_for
from sqlalchemy import or_, select

from bot.dashboard import core, export
from bot.dashboard.audit import record
from bot.dashboard.blueprint import bp
from bot.dashboard.queries import (
    age_text,
    alert_row,
    alerts_query,
    persons_query,
    report_row,
    reports_query,
    stage_of,
    visit_row,
    visits_query,
)
from bot.dashboard.services import RECORDABLE, ChangeError, fits_person, record_dose
from bot.doses import je_area
from bot.models import (
    Alert,
    Contact,
    DoseRecord,
    InboundMessage,
    OutboundMessage,
    Person,
    Report,
    Visit,
)
from flows.booking import anc_in_order
from flows.pregnancy_outcomes import is_preterm
from scheduler.planner import DONE, DUE, OVERDUE, UPCOMING, Given, plan
from scheduler.reminders import Zones, book_checks, facts

RESIDENT_COLUMNS = ("id", "nama", "jk", "tgl_lahir", "umur", "tahap", "telepon", "wilayah")
LIMIT = 200


def _like(text: str) -> str:
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def resident_row(p: Person, c, areas: core.AreaTree) -> dict:
    stage = stage_of(p)
    return {
        "id": p.id,
        "nama": p.name,
        "jk": p.sex or "",
        "tgl_lahir": p.birth_date.isoformat() if p.birth_date else "",
        "umur": age_text(p),
        "tahap": core.label("stage", stage) if stage else "-",
        "telepon": c.phone,
        "wilayah": areas.name(p.area_id or c.area_id),
        "status": p.status,
    }


@bp.get("/warga")
def residents():
    """Search residents by name or phone number (within the staff member's areas)."""
    s, scope, areas = core.db(), g.scope, g.areas
    q = " ".join(request.args.get("q", "").split())[:60]
    rows: list[dict] = []
    if q:
        digits = "".join(ch for ch in q if ch.isdigit())
        cond = Person.name.ilike(_like(q), escape="\\")
        if len(digits) >= 4:
            if digits.startswith("0"):
                digits = "62" + digits[1:]
            cond = or_(cond, Contact.phone.like(_like(digits), escape="\\"))
        rows = [
            resident_row(p, c, areas)
            for p, c in s.execute(
                persons_query(scope)
                .where(cond, Person.status == "active")
                .order_by(Person.name)
                .limit(LIMIT)
            ).all()
        ]
    if export.wants_csv():
        return export.csv_response("warga", RESIDENT_COLUMNS, rows)
    return render_template(
        "dashboard/residents.html", q=q, rows=rows, limit=LIMIT, csv_url=export.csv_url()
    )


def _scoped_person(person_id: int):
    row = core.db().execute(persons_query(g.scope).where(Person.id == person_id)).one_or_none()
    if row is None:
        abort(404)
    return row


def schedule(s, person: Person, contact) -> tuple[list[dict], list[DoseRecord]]:
    """The planner's items for the person today (local to their area) and their records."""
    settings = core.rt().settings
    zones = Zones(s, settings["timezone"])
    day = core.now().astimezone(ZoneInfo(zones.tz(person.area_id or contact.area_id))).date()
    records = list(
        s.execute(
            select(DoseRecord)
            .where(DoseRecord.person_id == person.id)
            .order_by(DoseRecord.given_on)
        ).scalars()
    )
    given = [Given(d.item, d.given_on, d.source) for d in records]
    by_item = {(d.item, d.occurrence): d for d in records}
    horizon = settings["reminders"]["horizon_days"]
    items = []
    asked = book_checks(s, [person.id]).get(person.id)
    person_facts = facts(person, zones, check_asked=asked)
    names = record_names(records)
    listed = [d.item for d in records]  # and the planned items listed so far (ANC ke-n)
    for it in plan(person_facts, given, day, horizon_days=horizon):
        status = "awaits_check" if it.awaits_check else it.status
        rec = by_item.get((it.item, it.occurrence)) or (
            by_item.get((it.item, "1")) if it.status == DONE else None
        )
        name = names.get(rec.id) if rec is not None else None
        items.append(
            {
                "item": it.item,
                "nama": name or core.item_label(anc_in_order(it.item, listed)),
                "kesempatan": it.occurrence,
                "status": core.label("plan_status", status),
                "status_kode": status,
                "mulai": it.due_from,
                "terlambat_sejak": it.overdue_from,
                "batas": it.expires_on,
                "diberi": rec.given_on if rec else None,
                "sumber": core.label("source", rec.source) if rec else "",
            }
        )
        if rec is None and it.status in (UPCOMING, DUE, OVERDUE):
            listed.append(it.item)
    return items, records


def record_names(records: list[DoseRecord]) -> dict[int, str]:
    """Record id -> its name; antenatal checks by their place among hers in date order
    ("Periksa hamil ke-3" for her third check, whatever window it was recorded in)."""
    names, anc = {}, 0
    for d in sorted(records, key=lambda d: (d.given_on, d.id)):
        if d.item.startswith("ANC") and d.item[3:].isdigit():
            anc += 1
            names[d.id] = core.item_label(f"ANC{min(anc, 6)}")
        else:
            names[d.id] = core.item_label(d.item)
    return names


@bp.get("/warga/<int:person_id>")
def resident(person_id: int):
    """A resident's profile; every view is audited."""
    s, areas = core.db(), g.areas
    person, contact = _scoped_person(person_id)
    items, records = schedule(s, person, contact)
    household = [
        resident_row(p, contact, areas)
        for p in s.execute(
            select(Person)
            .where(
                or_(Person.contact_id == contact.id, Person.mother_id == person.id),
                Person.id != person.id,
                Person.status == "active",
            )
            .order_by(Person.birth_date)
        ).scalars()
    ]
    mother = s.get(Person, person.mother_id) if person.mother_id else None
    scope = g.scope
    reports = [
        report_row(r, c, p, areas)
        for r, c, p in s.execute(
            reports_query(scope)
            .where(or_(Report.person_id == person.id, Report.contact_id == contact.id))
            .order_by(Report.created_at.desc())
            .limit(50)
        ).all()
    ]
    visits = [
        visit_row(v, c, p, areas)
        for v, c, p in s.execute(
            visits_query(scope)
            .where(or_(Visit.person_id == person.id, Visit.contact_id == contact.id))
            .order_by(Visit.created_at.desc())
            .limit(50)
        ).all()
    ]
    alerts = [
        alert_row(s, a, c, p, areas)
        for a, c, p in s.execute(
            alerts_query(scope)
            .where(or_(Alert.person_id == person.id, Alert.contact_id == contact.id))
            .order_by(Alert.created_at.desc())
            .limit(50)
        ).all()
    ]
    messages = _messages(s, contact.id)
    recorded = {d.item for d in records}
    open_items = [i["item"] for i in items if i["item"] in RECORDABLE and i["status_kode"] != DONE]
    je = je_area(s, person)
    other_items = [
        c
        for c in RECORDABLE
        if c not in recorded and c not in open_items and fits_person(person, c, core.today(), je)
    ]  # only what can apply to this person (sex, age, life stage, a JE area)
    record(s, "view_person", person_id=person.id, target=f"person:{person.id}")
    s.commit()
    stage = stage_of(person)
    return render_template(
        "dashboard/resident.html",
        person=person,
        contact=contact,
        row=resident_row(person, contact, areas),
        stage=stage,
        mother=mother,
        household=household,
        items=items,
        records=records,
        record_names=record_names(records),
        reports=reports,
        visits=visits,
        alerts=alerts,
        messages=messages,
        open_items=list(dict.fromkeys(open_items)),
        other_items=other_items,
        preterm=person.pregnancy_outcome == "birth" and is_preterm(person.delivery_weeks),
        today=core.today(),
    )


def _messages(s, contact_id: int, limit: int = 40) -> list[dict]:
    inbound = s.execute(
        select(InboundMessage)
        .where(InboundMessage.contact_id == contact_id)
        .order_by(InboundMessage.received_at.desc())
        .limit(limit)
    ).scalars()
    outbound = s.execute(
        select(OutboundMessage)
        .where(OutboundMessage.contact_id == contact_id)
        .order_by(OutboundMessage.created_at.desc())
        .limit(limit)
    ).scalars()
    rows = [
        {"waktu": core.local(m.received_at), "arah": "masuk", "isi": m.body, "status": ""}
        for m in inbound
    ] + [
        {
            "waktu": core.local(m.created_at),
            "arah": "keluar",
            "isi": m.body,
            "status": core.label("outbound_status", m.status),
            "kode": m.error_code,
            "penjelasan": core.twilio_error(m.error_code)
            if m.status in ("failed", "undelivered")
            else "",
        }
        for m in outbound
    ]
    rows.sort(key=lambda r: r["waktu"], reverse=True)
    return rows[:limit]


@bp.post("/warga/<int:person_id>/dosis")
def resident_dose(person_id: int):
    """Record a dose or visit given today or on a past date (like the kader's IMUN)."""
    s = core.db()
    person, _contact = _scoped_person(person_id)
    item = request.form.get("item", "").strip().upper()[:10]
    given_on = core.parse_date(request.form.get("tanggal")) or None
    if given_on is None:
        flash("Tanggal tidak valid.", "error")
        return redirect(url_for("dashboard.resident", person_id=person.id))
    try:
        added = record_dose(
            s, person, item, given_on, g.staff, core.today(), core.now(), core.rt().settings
        )
    except ChangeError as exc:
        s.rollback()
        flash(str(exc), "error")
        return redirect(url_for("dashboard.resident", person_id=person.id))
    record(
        s,
        "record_dose",
        person_id=person.id,
        target=f"person:{person.id}",
        item=item,
        tanggal=given_on.isoformat(),
    )
    s.commit()
    mine = s.execute(select(DoseRecord).where(DoseRecord.person_id == person.id)).scalars()
    label = record_names(list(mine)).get(added.id)
    flash(
        f"Tercatat untuk {person.name}: {label or core.item_label(item)} ({given_on:%d-%m-%Y}).",
        "ok",
    )
    return redirect(url_for("dashboard.resident", person_id=person.id))
