"""Queries of the overview page (Ringkasan): emergencies, open reports, the day's visits and
the counts of failed messages and active alerts, all within the staff member's scope."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import case, func, or_, select
from sqlalchemy.orm import Session

from bot.dashboard import core
from bot.dashboard.queries.shared import (
    alert_row,
    alerts_query,
    report_row,
    reports_query,
    visit_row,
    visits_query,
)
from bot.models import Alert, Contact, OutboundMessage, Report, Visit

EMERGENCY_LIMIT = 100


def emergency_rows(
    session: Session, scope: core.Scope, areas: core.AreaTree, since: datetime
) -> list[dict[str, Any]]:
    """Emergency alerts still active, or raised since `since` (naive UTC, the start of
    today); active ones first, newest first."""
    active_first = case((Alert.status.in_(core.ACTIVE_ALERT), 0), else_=1)
    rows = session.execute(
        alerts_query(scope)
        .where(
            Alert.urgency == "emergency",
            or_(Alert.status.in_(core.ACTIVE_ALERT), Alert.created_at >= since),
        )
        .order_by(active_first, Alert.created_at.desc())
        .limit(EMERGENCY_LIMIT)
    ).all()
    return [alert_row(session, a, c, p, areas) for a, c, p in rows]


def open_report_rows(
    session: Session, scope: core.Scope, areas: core.AreaTree, kind: str
) -> list[dict[str, Any]]:
    """Open and in-progress reports of one kind ("symptom", "complaint"), newest first."""
    rows = session.execute(
        reports_query(scope)
        .where(Report.kind == kind, Report.status.in_(core.OPEN_REPORT))
        .order_by(Report.created_at.desc())
    ).all()
    return [report_row(r, c, p, areas) for r, c, p in rows]


def day_visit_rows(
    session: Session, scope: core.Scope, areas: core.AreaTree, start: datetime, end: datetime
) -> list[dict[str, Any]]:
    """Visits scheduled in [start, end) (naive UTC), not cancelled, by time."""
    rows = session.execute(
        visits_query(scope)
        .where(Visit.scheduled_at >= start, Visit.scheduled_at < end)
        .where(Visit.status != "cancelled")
        .order_by(Visit.scheduled_at)
    ).all()
    return [visit_row(v, c, p, areas) for v, c, p in rows]


def failed_message_count(session: Session, scope: core.Scope, since: datetime) -> int:
    """Messages failed or undelivered since `since` (naive UTC) to contacts in scope."""
    return session.execute(
        select(func.count(OutboundMessage.id))
        .outerjoin(Contact, OutboundMessage.contact_id == Contact.id)
        .where(OutboundMessage.status.in_(("failed", "undelivered")))
        .where(OutboundMessage.created_at >= since)
        .where(scope.clause(Contact.area_id))
    ).scalar_one()


def active_alert_counts(session: Session, scope: core.Scope) -> dict[str, int]:
    """Active alerts of every kind (with a report or not) in the alert scope, by status."""
    return dict(
        session.execute(
            alerts_query(scope)
            .with_only_columns(Alert.status, func.count(Alert.id))
            .where(Alert.status.in_(core.ACTIVE_ALERT))
            .group_by(Alert.status)
        ).all()
    )
