"""The dashboard's read side: one module per page area (overview, reports, residents,
coverage, messages, visits, audit) over the scoped base queries and row builders in
`shared`. Every function takes the session and the staff member's Scope (and the filters)
as parameters; the views read the request and render.

The shared names are re-exported here for `from bot.dashboard.queries import ...`."""

from __future__ import annotations

from bot.dashboard.core import person_info
from bot.dashboard.queries.reports import worker_messages
from bot.dashboard.queries.shared import (
    age_text,
    alert_kind,
    alert_row,
    alerts_query,
    area_expr,
    persons_query,
    report_row,
    report_text,
    reports_query,
    stage_of,
    visit_row,
    visits_query,
)

__all__ = [
    "age_text",
    "alert_kind",
    "alert_row",
    "alerts_query",
    "area_expr",
    "person_info",
    "persons_query",
    "report_row",
    "report_text",
    "reports_query",
    "stage_of",
    "visit_row",
    "visits_query",
    "worker_messages",
]
