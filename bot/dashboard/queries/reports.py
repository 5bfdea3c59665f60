"""Queries of the reports inbox and the alert pages: lists by kind and status, one report or
alert in scope, a report's status history and linked alerts, the messages the workers were
sent about an alert. Reports keep the staff member's Scope; alerts its alert scope."""

from __future__ import annotations

import re
from collections.abc import Collection
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from bot.dashboard import core
from bot.dashboard.queries.shared import alert_row, alerts_query, report_row, reports_query
from bot.models import Alert, AuditLog, Contact, OutboundMessage, Person, Report, Worker
from bot.phones import mask


def report_rows(
    session: Session,
    scope: core.Scope,
    areas: core.AreaTree,
    *,
    kind: str | None,
    statuses: Collection[str] | None,
    limit: int,
) -> list[dict[str, Any]]:
    """Reports in scope, newest first: of one kind (None = both) and among `statuses`
    (None = any)."""
    q = reports_query(scope)
    if kind is not None:
        q = q.where(Report.kind == kind)
    if statuses is not None:
        q = q.where(Report.status.in_(statuses))
    rows = session.execute(q.order_by(Report.created_at.desc()).limit(limit)).all()
    return [report_row(r, c, p, areas) for r, c, p in rows]


def scoped_report(
    session: Session, scope: core.Scope, report_id: int
) -> tuple[Report, Contact, Person | None] | None:
    """The report with its contact and person, or None when it is not in scope."""
    return session.execute(reports_query(scope).where(Report.id == report_id)).one_or_none()


def report_history(session: Session, report: Report) -> list[dict[str, Any]]:
    """The audited status changes of a report, newest first."""
    rows = session.execute(
        select(AuditLog)
        .where(AuditLog.target == f"report:{report.ref}")
        .order_by(AuditLog.at.desc())
    ).scalars()
    return [{"waktu": core.local(h.at), "oleh": h.username, **h.detail} for h in rows]


def report_alert_rows(
    session: Session, scope: core.Scope, areas: core.AreaTree, report: Report
) -> list[dict[str, Any]]:
    """The alerts raised for a report, in the alert scope."""
    rows = session.execute(alerts_query(scope).where(Alert.report_id == report.id)).all()
    return [alert_row(session, a, c, p, areas) for a, c, p in rows]


def alert_rows(
    session: Session,
    scope: core.Scope,
    areas: core.AreaTree,
    *,
    kind: str | None,
    statuses: Collection[str] | None,
    limit: int,
) -> list[dict[str, Any]]:
    """Alerts in the alert scope, newest first: of one kind (None = every kind) and among
    `statuses` (None = any)."""
    q = alerts_query(scope)
    if kind is not None:
        q = q.where(Alert.kind == kind)
    if statuses is not None:
        q = q.where(Alert.status.in_(statuses))
    rows = session.execute(q.order_by(Alert.created_at.desc()).limit(limit)).all()
    return [alert_row(session, a, c, p, areas) for a, c, p in rows]


def scoped_alert(
    session: Session, scope: core.Scope, alert_id: int
) -> tuple[Alert, Contact, Person | None] | None:
    """The alert with its contact and person, or None when it is not in the alert scope."""
    return session.execute(alerts_query(scope).where(Alert.id == alert_id)).one_or_none()


def worker_messages(session: Session, a: Alert) -> list[dict[str, Any]]:
    """What the workers were actually sent about an alert, oldest first: the outbox rows of
    kind "alert" to a worker (no resident contact) whose key carries the ref (`alert:<ref>:...`
    from bot/alerts.notify, `<kind>:<ref>:<worker>` from notify_workers, `visit:<ref>:...`) or
    whose text names it. One entry per distinct text, with its recipients (worker name, masked
    phone, channel, delivery status)."""
    prefixes = tuple(f"{prefix}:{a.ref}:" for prefix in dict.fromkeys(("alert", a.kind)))
    named = re.compile(rf"\bref {re.escape(a.ref)}\b", re.IGNORECASE)
    msgs = [
        m
        for m in session.execute(
            select(OutboundMessage)
            .where(
                OutboundMessage.kind == "alert",
                OutboundMessage.contact_id.is_(None),
                or_(
                    *(
                        OutboundMessage.idempotency_key.startswith(p, autoescape=True)
                        for p in prefixes
                    ),
                    OutboundMessage.body.ilike(f"%ref {a.ref}%"),
                ),
            )
            .order_by(OutboundMessage.created_at, OutboundMessage.id)
        ).scalars()
        if m.idempotency_key.startswith(prefixes) or named.search(m.body)
    ]
    phones = {m.to_phone for m in msgs}
    workers = (
        {
            w.phone: w
            for w in session.execute(select(Worker).where(Worker.phone.in_(phones))).scalars()
        }
        if phones
        else {}
    )
    out: dict[str, dict[str, Any]] = {}
    for m in msgs:
        entry = out.setdefault(m.body, {"isi": m.body, "waktu": core.local(m.created_at), "ke": []})
        w = workers.get(m.to_phone)
        entry["ke"].append(
            {
                "nama": w.name if w else "",
                "telepon": mask(m.to_phone),
                "saluran": core.label("channel", m.channel),
                "status": core.label("outbound_status", m.status),
                "status_kode": m.status,
                "waktu": core.local(m.created_at),
            }
        )
    return list(out.values())
