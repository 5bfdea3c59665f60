"""Queries of the visits board: visits scheduled in a span of days, the requests not yet
scheduled, and one visit in the staff member's scope."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from bot.dashboard import core
from bot.dashboard.queries.shared import visit_row, visits_query
from bot.models import Visit


def visit_rows_between(
    session: Session, scope: core.Scope, areas: core.AreaTree, start: datetime, end: datetime
) -> list[dict[str, Any]]:
    """Visits scheduled in [start, end) (naive UTC), any status, by time."""
    rows = session.execute(
        visits_query(scope)
        .where(Visit.scheduled_at >= start, Visit.scheduled_at < end)
        .order_by(Visit.scheduled_at)
    ).all()
    return [visit_row(v, c, p, areas) for v, c, p in rows]


def unscheduled_visit_rows(
    session: Session, scope: core.Scope, areas: core.AreaTree
) -> list[dict[str, Any]]:
    """Visit requests without a time yet, oldest first."""
    rows = session.execute(
        visits_query(scope)
        .where(Visit.scheduled_at.is_(None), Visit.status == "requested")
        .order_by(Visit.created_at)
    ).all()
    return [visit_row(v, c, p, areas) for v, c, p in rows]


def scoped_visit(session: Session, scope: core.Scope, visit_id: int) -> Visit | None:
    """The visit, or None when it is not in scope."""
    row = session.execute(visits_query(scope).where(Visit.id == visit_id)).one_or_none()
    return None if row is None else row[0]
