"""Queries of the audit page (admins only): the audit trail, newest first, by user, action
and resident. Not area-scoped: only admins, who see everything, reach it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.dashboard import core
from bot.models import AuditLog, Person


def audit_rows(
    session: Session,
    *,
    username: str | None,
    action: str | None,
    person_id: int | None,
    limit: int,
    action_names: Mapping[str, str],
) -> list[dict[str, Any]]:
    """Audit rows, newest first, filtered by each of username, action and person id that is
    not None; `action_names` gives an action's words (the code when it has none)."""
    q = select(AuditLog, Person).outerjoin(Person, AuditLog.person_id == Person.id)
    if username is not None:
        q = q.where(AuditLog.username == username)
    if action is not None:
        q = q.where(AuditLog.action == action)
    if person_id is not None:
        q = q.where(AuditLog.person_id == person_id)
    return [
        {
            "waktu": core.local(a.at),
            "pengguna": a.username,
            "aksi": action_names.get(a.action, a.action),
            "aksi_kode": a.action,
            "warga_id": a.person_id,
            "warga": p.name if p else "",
            "sasaran": a.target or "",
            "rincian": ", ".join(f"{k}={v}" for k, v in (a.detail or {}).items() if v != ""),
            "ip": a.ip or "",
        }
        for a, p in session.execute(q.order_by(AuditLog.id.desc()).limit(limit)).all()
    ]
