"""Overview: today's emergencies first, then open reports, today's visits, open complaints;
the counts include every active alert (births, miscarriages... have no report)."""

from __future__ import annotations

from datetime import timedelta

from flask import g, render_template

from bot.clock import to_db
from bot.dashboard import core, export
from bot.dashboard.blueprint import bp
from bot.dashboard.queries.overview import (
    active_alert_counts,
    day_visit_rows,
    emergency_rows,
    failed_message_count,
    open_report_rows,
)

EMERGENCY_COLUMNS = (
    "ref",
    "waktu",
    "warga",
    "telepon",
    "wilayah",
    "ringkasan",
    "status",
    "catatan",
)


@bp.get("/")
def overview():
    s, scope, areas = core.db(), g.scope, g.areas
    start, end = core.day_bounds(core.today())
    urgent = emergency_rows(s, scope, areas, start)
    if export.wants_csv():
        return export.csv_response("darurat", EMERGENCY_COLUMNS, urgent)
    symptom = open_report_rows(s, scope, areas, "symptom")
    complaints = open_report_rows(s, scope, areas, "complaint")
    visits = day_visit_rows(s, scope, areas, start, end)
    failed = failed_message_count(s, scope, to_db(core.now() - timedelta(days=7)))
    active_alerts = active_alert_counts(s, scope)
    counts = {
        "darurat": sum(1 for a in urgent if a["aktif"]),
        "peringatan": sum(active_alerts.values()),  # every kind, with a report or not
        "dialihkan": active_alerts.get("escalated", 0),
        "laporan": len(symptom),
        "kunjungan": len(visits),
        "keluhan": len(complaints),
        "gagal": failed,
    }
    return render_template(
        "dashboard/overview.html",
        counts=counts,
        emergencies=urgent,
        reports=symptom[:10],
        complaints=complaints[:10],
        visits=visits,
        today=core.today(),
    )
