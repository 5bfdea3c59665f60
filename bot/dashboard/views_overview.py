"""Overview: today's emergencies first, then open reports, today's visits, open complaints;
the counts include every active alert (births, miscarriages... have no report)."""

from __future__ import annotations

from datetime import timedelta

from flask import g, render_template
from sqlalchemy import case, func, or_, select

from bot.clock import to_db
from bot.dashboard import core, export
from bot.dashboard.blueprint import bp
from bot.dashboard.queries import (
    alert_row,
    alerts_query,
    report_row,
    reports_query,
    visit_row,
    visits_query,
)
from bot.models import Alert, Contact, OutboundMessage, Report, Visit

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


def emergencies(session, scope, areas) -> list[dict]:
    """Emergency alerts still active, or raised today; active ones first, newest first."""
    start, _end = core.day_bounds(core.today())
    active_first = case((Alert.status.in_(core.ACTIVE_ALERT), 0), else_=1)
    rows = session.execute(
        alerts_query(scope)
        .where(
            Alert.urgency == "emergency",
            or_(Alert.status.in_(core.ACTIVE_ALERT), Alert.created_at >= start),
        )
        .order_by(active_first, Alert.created_at.desc())
        .limit(100)
    ).all()
    return [alert_row(a, c, p, areas) for a, c, p in rows]


@bp.get("/")
def overview():
    s, scope, areas = core.db(), g.scope, g.areas
    urgent = emergencies(s, scope, areas)
    if export.wants_csv():
        return export.csv_response("darurat", EMERGENCY_COLUMNS, urgent)
    start, end = core.day_bounds(core.today())

    def reports(kind: str):
        return s.execute(
            reports_query(scope)
            .where(Report.kind == kind, Report.status.in_(core.OPEN_REPORT))
            .order_by(Report.created_at.desc())
        ).all()

    symptom = [report_row(r, c, p, areas) for r, c, p in reports("symptom")]
    complaints = [report_row(r, c, p, areas) for r, c, p in reports("complaint")]
    visits = [
        visit_row(v, c, p, areas)
        for v, c, p in s.execute(
            visits_query(scope)
            .where(Visit.scheduled_at >= start, Visit.scheduled_at < end)
            .where(Visit.status != "cancelled")
            .order_by(Visit.scheduled_at)
        ).all()
    ]
    week_ago = to_db(core.now() - timedelta(days=7))
    failed = s.execute(
        select(func.count(OutboundMessage.id))
        .outerjoin(Contact, OutboundMessage.contact_id == Contact.id)
        .where(OutboundMessage.status.in_(("failed", "undelivered")))
        .where(OutboundMessage.created_at >= week_ago)
        .where(scope.clause(Contact.area_id))
    ).scalar_one()
    active_alerts = dict(
        s.execute(
            alerts_query(scope)
            .with_only_columns(Alert.status, func.count(Alert.id))
            .where(Alert.status.in_(core.ACTIVE_ALERT))
            .group_by(Alert.status)
        ).all()
    )
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
