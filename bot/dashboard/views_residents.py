"""Residents: search by name or phone, and the profile (household, life stage, doses given
and due from the planner, reports, visits and message history) with dose recording."""

from __future__ import annotations

from flask import abort, flash, g, redirect, render_template, request, url_for

from bot.dashboard import core, export
from bot.dashboard.audit import record
from bot.dashboard.blueprint import bp
from bot.dashboard.queries.residents import (
    dose_records,
    dose_schedule,
    household_rows,
    message_history,
    mother_of,
    person_alert_rows,
    person_report_rows,
    person_visit_rows,
    record_names,
    resident_row,
    resident_search_rows,
    scoped_person,
)
from bot.dashboard.queries.shared import stage_of
from bot.dashboard.services import RECORDABLE, ChangeError, fits_person, record_dose
from bot.doses import je_area
from flows.pregnancy_outcomes import is_preterm
from scheduler.planner import DONE

RESIDENT_COLUMNS = ("id", "nama", "jk", "tgl_lahir", "umur", "tahap", "telepon", "wilayah")
LIMIT = 200


@bp.get("/warga")
def residents():
    """Search residents by name or phone number (within the staff member's areas)."""
    s, scope, areas = core.db(), g.scope, g.areas
    q = " ".join(request.args.get("q", "").split())[:60]
    rows = resident_search_rows(s, scope, areas, q, LIMIT) if q else []
    if export.wants_csv():
        return export.csv_response("warga", RESIDENT_COLUMNS, rows)
    return render_template(
        "dashboard/residents.html", q=q, rows=rows, limit=LIMIT, csv_url=export.csv_url()
    )


def _scoped_person(person_id: int):
    row = scoped_person(core.db(), g.scope, person_id)
    if row is None:
        abort(404)
    return row


@bp.get("/warga/<int:person_id>")
def resident(person_id: int):
    """A resident's profile; every view is audited."""
    s, scope, areas = core.db(), g.scope, g.areas
    person, contact = _scoped_person(person_id)
    items, records = dose_schedule(s, person, contact, core.now(), core.rt().settings)
    household = household_rows(s, scope, areas, person, contact)
    mother = mother_of(s, scope, person)
    reports = person_report_rows(s, scope, areas, person, contact)
    visits = person_visit_rows(s, scope, areas, person, contact)
    alerts = person_alert_rows(s, scope, areas, person, contact)
    messages = message_history(s, contact.id)
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
            s,
            person,
            item,
            given_on,
            g.staff,
            core.today(),
            core.now(),
            core.rt().settings,
            catalog=core.rt().catalog,
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
    label = record_names(dose_records(s, person.id)).get(added.id)
    flash(
        f"Tercatat untuk {person.name}: {label or core.item_label(item)} ({given_on:%d-%m-%Y}).",
        "ok",
    )
    return redirect(url_for("dashboard.resident", person_id=person.id))
