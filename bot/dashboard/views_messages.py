"""Outbox and delivery status, with Twilio error codes explained in Indonesian."""

from __future__ import annotations

from flask import g, render_template, request

from bot.dashboard import core, export
from bot.dashboard.blueprint import bp
from bot.dashboard.queries.messages import first_person_of, message_rows, message_status_counts
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


@bp.get("/pesan")
def messages():
    s, scope = core.db(), g.scope
    status = request.args.get("status", "")
    rows = message_rows(
        s,
        scope,
        statuses=FILTERS.get(status),
        limit=CSV_LIMIT if export.wants_csv() else LIMIT,
    )
    if export.wants_csv():
        return export.csv_response("pesan", MESSAGE_COLUMNS, rows)
    counts = message_status_counts(s, scope)
    ordered = sorted(counts.items(), key=lambda kv: (RANK.get(kv[0], 9), kv[0]))
    person_of = first_person_of(s, {r["kontak_id"] for r in rows if r["kontak_id"]})
    return render_template(
        "dashboard/messages.html",
        rows=rows,
        counts=ordered,
        status=status,
        filters=FILTERS,
        person_of=person_of,
        csv_url=export.csv_url(),
    )
