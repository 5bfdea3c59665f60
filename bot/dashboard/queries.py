"""Scoped queries and row builders shared by the dashboard views."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from bot import labels
from bot.catalog import load_catalog
from bot.dashboard import core
from bot.models import Alert, Contact, Person, Report, Visit, Worker
from flows.base import PersonInfo
from flows.booking import purpose_name
from flows.lifestage import life_stage


def person_info(p: Person) -> PersonInfo:
    return PersonInfo(p.id, p.name, p.sex, p.birth_date, p.hpht, p.edd, p.delivery_date)


def stage_of(p: Person) -> str | None:
    return life_stage(person_info(p), core.today())


def age_text(p: Person) -> str:
    """'3 bln', '2 th', '12 hr' (today, local)."""
    if p.birth_date is None:
        return "-"
    days = (core.today() - p.birth_date).days
    if days < 0:
        return "-"
    if days < 60:
        return f"{days} hr"
    if days < 365 * 2:
        return f"{days // 30} bln"
    return f"{days // 365} th"


def area_expr():
    """The area a person's data belongs to: the person's own, else the contact's."""
    return func.coalesce(Person.area_id, Contact.area_id)


def reports_query(scope: core.Scope):
    return (
        select(Report, Contact, Person)
        .join(Contact, Report.contact_id == Contact.id)
        .outerjoin(Person, Report.person_id == Person.id)
        .where(scope.clause(area_expr()))
    )


def visits_query(scope: core.Scope):
    return (
        select(Visit, Contact, Person)
        .join(Contact, Visit.contact_id == Contact.id)
        .outerjoin(Person, Visit.person_id == Person.id)
        .where(scope.clause(area_expr()))
    )


def alerts_query(scope: core.Scope):
    return (
        select(Alert, Contact, Person)
        .join(Contact, Alert.contact_id == Contact.id)
        .outerjoin(Person, Alert.person_id == Person.id)
        .where(scope.clause(Alert.area_id))
    )


def persons_query(scope: core.Scope):
    return (
        select(Person, Contact)
        .join(Contact, Person.contact_id == Contact.id)
        .where(scope.clause(area_expr()))
    )


def report_text(r: Report) -> str:
    words = labels.symptoms(load_catalog("id"), r.symptoms or [])
    parts = [", ".join(words)] if words else []
    if r.text:
        parts.append(r.text)
    return " - ".join(parts)[:300] or "-"


def report_row(r: Report, c: Contact, p: Person | None, areas: core.AreaIndex) -> dict[str, Any]:
    return {
        "id": r.id,
        "ref": r.ref,
        "waktu": core.local(r.created_at),
        "jenis": core.label("kind", r.kind),
        "urgensi": core.label("urgency", r.urgency),
        "darurat": r.urgency == "emergency",
        "kategori": core.label("complaint_category", r.category) if r.category else "",
        "isi": report_text(r),
        "status": core.label("report_status", r.status),
        "status_kode": r.status,
        "warga": p.name if p else (c.name or "-"),
        "warga_id": p.id if p else None,
        "telepon": c.phone,
        "wilayah": areas.name(p.area_id if p and p.area_id else c.area_id),
    }


def visit_row(v: Visit, c: Contact, p: Person | None, areas: core.AreaIndex) -> dict[str, Any]:
    when = core.local(v.scheduled_at)
    return {
        "id": v.id,
        "ref": v.ref,
        "tanggal": when.date().isoformat() if when else "",
        "jam": when.strftime("%H:%M") if when else "",
        "tujuan": purpose_name(v.purpose, load_catalog("id").t),
        "tempat": core.place_name(v.place),
        "status": core.label("visit_status", v.status),
        "status_kode": v.status,
        "warga": p.name if p else (c.name or "-"),
        "warga_id": p.id if p else None,
        "telepon": c.phone,
        "wilayah": areas.name(p.area_id if p and p.area_id else c.area_id),
    }


def alert_row(a: Alert, c: Contact, p: Person | None, areas: core.AreaIndex) -> dict[str, Any]:
    return {
        "id": a.id,
        "ref": a.ref,
        "waktu": core.local(a.created_at),
        "jenis": core.label("kind", a.kind),
        "urgensi": core.label("urgency", a.urgency),
        "darurat": a.urgency == "emergency",
        "ringkasan": a.summary or "-",
        "status": core.label("alert_status", a.status),
        "status_kode": a.status,
        "aktif": a.status in core.ACTIVE_ALERT,
        "level": a.level,
        "warga": p.name if p else (c.name or "-"),
        "warga_id": p.id if p else None,
        "telepon": c.phone,
        "wilayah": areas.name(a.area_id),
        "laporan_id": a.report_id,
        "catatan": a.note or "",
        "ditangani": _handled(a.accepted_by, a.accepted_at),
        "ditutup": _handled(a.closed_by, a.closed_at) if a.status in core.CLOSED_ALERT else "",
        "hasil": core.label("outcome", a.outcome) if a.outcome else "",
    }


def _handled(worker_id: int | None, at) -> str:
    """'Kader Ani, 22-11-2026 10:05': who took or closed an alert and when ('' when nobody);
    a puskesmas login without a worker shows as the puskesmas."""
    if worker_id is None and at is None:
        return ""
    if worker_id is None:
        name = load_catalog("id").t("alert.staff_name")
    else:
        worker = core.db().get(Worker, worker_id)
        name = worker.name if worker is not None else "-"
    when = core.local(at)
    return f"{name}, {when:%d-%m-%Y %H:%M}" if when else name
