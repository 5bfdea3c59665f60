"""Outbox and delivery status, with Twilio error codes explained in Indonesian."""

from __future__ import annotations

from flask import g, render_template, request
from sqlalchemy import func, select

from bot.dashboard import core, export
from bot.dashboard.blueprint import bp
from bot.models import Contact, OutboundMessage, Person
from bot.outbox import RANK

MESSAGE_COLUMNS = (
    "id", "waktu", "ke", "saluran", "jenis", "status", "percobaan", "kode_error", "penjelasan",
    "isi",
)  # fmt: skip
FILTERS = {
    "gagal": ("failed", "undelivered"),
    "antre": ("queued", "retry", "sending"),
    "terkirim": ("accepted", "scheduled", "sent", "delivered", "read"),
}
LIMIT = 300
CSV_LIMIT = 50_000


def _query(scope: core.Scope):
    """Messages to residents in scope; messages to workers (no contact) only for admins."""
    q = select(OutboundMessage, Contact).outerjoin(
        Contact, OutboundMessage.contact_id == Contact.id
    )
    if scope.everything:
        return q
    return q.where(scope.clause(Contact.area_id))


@bp.get("/pesan")
def messages():
    s, scope = core.db(), g.scope
    status = request.args.get("status", "")
    q = _query(scope)
    if status in FILTERS:
        q = q.where(OutboundMessage.status.in_(FILTERS[status]))
    rows = []
    for m, c in s.execute(
        q.order_by(OutboundMessage.id.desc()).limit(CSV_LIMIT if export.wants_csv() else LIMIT)
    ).all():
        failed = m.status in ("failed", "undelivered")
        rows.append(
            {
                "id": m.id,
                "waktu": core.local(m.created_at),
                "ke": m.to_phone,
                "nama": c.name if c is not None and c.name else "",
                "kontak_id": m.contact_id,
                "saluran": core.label("channel", m.channel),
                "jenis": core.label("message_kind", m.kind),
                "status": core.label("outbound_status", m.status),
                "status_kode": m.status,
                "gagal": failed,
                "percobaan": m.attempts,
                "kode_error": m.error_code or "",
                "penjelasan": core.twilio_error(m.error_code) if failed else "",
                "isi": m.body[:300],
            }
        )
    if export.wants_csv():
        return export.csv_response("pesan", MESSAGE_COLUMNS, rows)
    sub = _query(scope).subquery()
    counts = dict(s.execute(select(sub.c.status, func.count()).group_by(sub.c.status)).all())
    ordered = sorted(counts.items(), key=lambda kv: (RANK.get(kv[0], 9), kv[0]))
    person_of = {}
    contact_ids = {r["kontak_id"] for r in rows if r["kontak_id"]}
    if contact_ids:
        for p in s.execute(
            select(Person).where(Person.contact_id.in_(contact_ids)).order_by(Person.id)
        ).scalars():
            person_of.setdefault(p.contact_id, p.id)
    return render_template(
        "dashboard/messages.html",
        rows=rows,
        counts=ordered,
        status=status,
        filters=FILTERS,
        person_of=person_of,
        csv_url=export.csv_url(),
    )
