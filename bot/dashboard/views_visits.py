"""Visits board: a week of visits by day (and the requests not yet scheduled), with outcomes."""

from __future__ import annotations

from datetime import timedelta

from flask import abort, flash, g, redirect, render_template, request, url_for

from bot.dashboard import core, export
from bot.dashboard.audit import record
from bot.dashboard.blueprint import bp
from bot.dashboard.queries.visits import (
    scoped_visit,
    unscheduled_visit_rows,
    visit_rows_between,
)
from bot.dashboard.services import VISIT_OUTCOMES, ChangeError, visit_outcome

DAYS = 7
VISIT_COLUMNS = (
    "ref",
    "tanggal",
    "jam",
    "warga",
    "telepon",
    "wilayah",
    "tujuan",
    "tempat",
    "status",
)
HARI = ("Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu")


@bp.get("/kunjungan")
def visits():
    """Visits from the chosen day (default today) for a week, grouped by local day."""
    s, scope, areas = core.db(), g.scope, g.areas
    first = core.parse_date(request.args.get("tanggal")) or core.today()
    start, _ = core.day_bounds(first)
    _, end = core.day_bounds(first + timedelta(days=DAYS - 1))
    rows = visit_rows_between(s, scope, areas, start, end)
    unscheduled = unscheduled_visit_rows(s, scope, areas)
    if export.wants_csv():
        return export.csv_response("kunjungan", VISIT_COLUMNS, unscheduled + rows)
    days = []
    for i in range(DAYS):
        day = first + timedelta(days=i)
        items = [r for r in rows if r["tanggal"] == day.isoformat()]
        days.append({"tanggal": day, "hari": HARI[day.weekday()], "rows": items})
    return render_template(
        "dashboard/visits.html",
        days=days,
        unscheduled=unscheduled,
        first=first,
        prev=first - timedelta(days=DAYS),
        next=first + timedelta(days=DAYS),
        outcomes=VISIT_OUTCOMES,
        csv_url=export.csv_url(),
    )


@bp.post("/kunjungan/<int:visit_id>/hasil")
def visit_result(visit_id: int):
    s = core.db()
    visit = scoped_visit(s, g.scope, visit_id)
    if visit is None:
        abort(404)
    outcome = request.form.get("hasil", "")
    note = " ".join(request.form.get("catatan", "").split())[:500]
    try:
        previous = visit_outcome(
            s,
            visit,
            outcome,
            note,
            g.staff,
            core.now(),
            core.rt().settings,
            catalog=core.rt().catalog,
        )
    except ChangeError as exc:
        flash(str(exc), "error")
    else:
        record(
            s,
            "visit_outcome",
            person_id=visit.person_id,
            target=f"visit:{visit.ref}",
            dari=previous,
            hasil=outcome,
            catatan=note,
        )
        s.commit()
        flash(f"Kunjungan {visit.ref}: {core.label('outcome', outcome)}.", "ok")
    back = request.form.get("tanggal", "")
    return redirect(
        url_for("dashboard.visits", tanggal=back) if back else url_for("dashboard.visits")
    )
