"""The base queries every page area builds on (each limited to a staff member's Scope) and
the row builders that turn their results into the dicts the templates and CSV exports read.

No flask request or `g` here: the views read the request and pass the session, the scope
(`g.scope`), the area tree (`g.areas`) and the filters."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot import labels
from bot.dashboard import core
from bot.models import Alert, Contact, Person, Report, Visit, Worker
from flows.booking import purpose_name
from flows.lifestage import life_stage


def stage_of(p: Person) -> str | None:
    """The life stage today; the weeks that `life_stage` calls postpartum after a miscarriage
    are "pregnancy_loss" (Pasca keguguran): no baby, no KF visits, a post-miscarriage visit."""
    stage = life_stage(core.person_info(p), core.today())
    if stage == "postpartum" and p.pregnancy_outcome == "loss":
        return "pregnancy_loss"
    return stage


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
    """Alerts by their own area, in the alert scope: a kader's include those placed only at
    her desa, which were sent to her (bot.areas.alert_scope)."""
    return (
        select(Alert, Contact, Person)
        .join(Contact, Alert.contact_id == Contact.id)
        .outerjoin(Person, Alert.person_id == Person.id)
        .where(scope.alert_clause(Alert.area_id))
    )


def persons_query(scope: core.Scope):
    return (
        select(Person, Contact)
        .join(Contact, Person.contact_id == Contact.id)
        .where(scope.clause(area_expr()))
    )


def report_text(r: Report) -> str:
    words = labels.symptoms(core.catalog(), r.symptoms or [])
    parts = [", ".join(words)] if words else []
    if r.text:
        parts.append(r.text)
    return " - ".join(parts)[:300] or "-"


def report_row(r: Report, c: Contact, p: Person | None, areas: core.AreaTree) -> dict[str, Any]:
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


def visit_row(v: Visit, c: Contact, p: Person | None, areas: core.AreaTree) -> dict[str, Any]:
    when = core.local(v.scheduled_at)
    return {
        "id": v.id,
        "ref": v.ref,
        "tanggal": when.date().isoformat() if when else "",
        "jam": when.strftime("%H:%M") if when else "",
        "tujuan": purpose_name(v.purpose, core.catalog().t),
        "tempat": core.place_name(v.place),
        "status": core.label("visit_status", v.status),
        "status_kode": v.status,
        "warga": p.name if p else (c.name or "-"),
        "warga_id": p.id if p else None,
        "telepon": c.phone,
        "wilayah": areas.name(p.area_id if p and p.area_id else c.area_id),
    }


def alert_kind(kind: str) -> str:
    """'miscarriage' -> 'Keguguran': the kader's word for the kind (labels.yml), capitalised."""
    word = labels.word(core.catalog(), "alert_kind", kind)
    return word[:1].upper() + word[1:]


def alert_row(
    session: Session, a: Alert, c: Contact, p: Person | None, areas: core.AreaTree
) -> dict[str, Any]:
    active = a.status in core.ACTIVE_ALERT
    return {
        "id": a.id,
        "ref": a.ref,
        "waktu": core.local(a.created_at),
        "lama": labels.elapsed(core.catalog(), core.now() - core.local(a.created_at))
        if active
        else "",
        "jenis": alert_kind(a.kind),
        "jenis_kode": a.kind,
        "urgensi": core.label("urgency", a.urgency),
        "darurat": a.urgency == "emergency",
        "ringkasan": a.summary or "-",
        "status": core.label("alert_status", a.status),
        "status_kode": a.status,
        "aktif": active,
        "level": a.level,
        "warga": p.name if p else (c.name or "-"),
        "warga_id": p.id if p else None,
        "telepon": c.phone,
        "wilayah": areas.name(a.area_id),
        "laporan_id": a.report_id,
        "catatan": a.note or "",
        "ditangani": _handled(session, a.accepted_by, a.accepted_at),
        "ditutup": _handled(session, a.closed_by, a.closed_at)
        if a.status in core.CLOSED_ALERT
        else "",
        "hasil": core.label("outcome", a.outcome) if a.outcome else "",
    }


def _handled(session: Session, worker_id: int | None, at) -> str:
    """'Kader Ani, 22-11-2026 10:05': who took or closed an alert and when ('' when nobody);
    a puskesmas login without a worker shows as the puskesmas."""
    if worker_id is None and at is None:
        return ""
    if worker_id is None:
        name = core.catalog().t("alert.staff_name")
    else:
        worker = session.get(Worker, worker_id)
        name = worker.name if worker is not None else "-"
    when = core.local(at)
    return f"{name}, {when:%d-%m-%Y %H:%M}" if when else name
