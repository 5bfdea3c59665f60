"""Audit trail: who viewed or changed which resident's data, when; login attempts too."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from flask import g, has_request_context, request
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.clock import to_db
from bot.dashboard import core
from bot.models import AuditLog


def record(
    session: Session,
    action: str,
    *,
    person_id: int | None = None,
    target: str | None = None,
    username: str | None = None,
    staff_id: int | None = None,
    **detail: Any,
) -> AuditLog:
    """Add an audit row for the logged-in staff member (or the given username) now."""
    staff = g.get("staff") if has_request_context() else None
    ip = (request.remote_addr or "")[:45] or None if has_request_context() else None
    row = AuditLog(
        at=to_db(core.now()),
        staff_id=staff_id if staff_id is not None else (staff.id if staff else None),
        username=(username if username is not None else (staff.username if staff else "-"))[:40],
        action=action,
        person_id=person_id,
        target=(target or "")[:60] or None,
        detail=detail,
        ip=ip,
    )
    session.add(row)
    return row


def _failures(session: Session, username: str, ip: str | None, now: datetime) -> list[datetime]:
    """Times of failed logins for username + IP inside the window and after the last
    successful login, newest first."""
    conf = core.settings()
    since = to_db(now - timedelta(minutes=int(conf["login_window_minutes"])))
    same = (AuditLog.username == username, AuditLog.ip == ip)
    last_ok = session.execute(
        select(func.max(AuditLog.id)).where(AuditLog.action == "login", *same)
    ).scalar()
    return list(
        session.execute(
            select(AuditLog.at)
            .where(
                AuditLog.action == "login_failed",
                AuditLog.at >= since,
                AuditLog.id > (last_ok or 0),
                *same,
            )
            .order_by(AuditLog.id.desc())
            .limit(int(conf["login_max_failures"]))
        ).scalars()
    )


def _ip_failures(session: Session, ip: str, now: datetime) -> list[datetime]:
    """Times of failed logins from this IP address for any username inside the window,
    newest first (a successful login does not reset them: one good account must not let
    a password be sprayed over the others)."""
    conf = core.settings()
    since = to_db(now - timedelta(minutes=int(conf["login_window_minutes"])))
    return list(
        session.execute(
            select(AuditLog.at)
            .where(AuditLog.action == "login_failed", AuditLog.ip == ip, AuditLog.at >= since)
            .order_by(AuditLog.id.desc())
            .limit(int(conf["login_max_failures_per_ip"]))
        ).scalars()
    )


def _wait(failures: list[datetime], limit: int, now: datetime) -> int:
    """Minutes until the oldest of `limit` failures leaves the window; 0 below the limit."""
    if len(failures) < limit:
        return 0
    free_at = failures[-1] + timedelta(minutes=int(core.settings()["login_window_minutes"]))
    seconds = (free_at - to_db(now)).total_seconds()
    return max(1, int(seconds // 60) + (1 if seconds % 60 else 0))


def blocked_minutes(session: Session, username: str, ip: str | None, now: datetime) -> int:
    """Minutes until this username + IP may try again; 0 when not blocked. Both the failures
    for this username from this address and all failures from this address count."""
    conf = core.settings()
    wait = _wait(_failures(session, username, ip, now), int(conf["login_max_failures"]), now)
    if ip:
        per_ip = int(conf["login_max_failures_per_ip"])
        wait = max(wait, _wait(_ip_failures(session, ip, now), per_ip, now))
    return wait
