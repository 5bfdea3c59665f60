"""The audit page (admins only): every view of and change to residents' data, and logins."""

from __future__ import annotations

from flask import render_template, request

from bot.dashboard import core, export
from bot.dashboard.auth import roles
from bot.dashboard.blueprint import bp
from bot.dashboard.queries.audit import audit_rows

AUDIT_COLUMNS = ("waktu", "pengguna", "aksi", "warga_id", "warga", "sasaran", "rincian", "ip")
ACTIONS = {
    "view_person": "Melihat profil warga",
    "record_dose": "Mencatat imunisasi/kunjungan",
    "report_status": "Mengubah status laporan",
    "visit_outcome": "Mencatat hasil kunjungan",
    "alert_accept": "Menangani peringatan",
    "alert_close": "Menutup peringatan",
    "export": "Mengunduh CSV",
    "login": "Masuk",
    "login_failed": "Gagal masuk",
    "login_blocked": "Masuk diblokir (terlalu banyak gagal)",
    "logout": "Keluar",
    "timeout": "Sesi berakhir",
}
LIMIT = 500
CSV_LIMIT = 100_000


def _limit() -> int:
    return CSV_LIMIT if export.wants_csv() else LIMIT


@bp.get("/audit")
@roles("admin")
def audit():
    s = core.db()
    user = request.args.get("pengguna", "").strip().lower()[:40]
    action = request.args.get("aksi", "")
    person = request.args.get("warga", "")
    rows = audit_rows(
        s,
        username=user or None,
        action=action if action in ACTIONS else None,
        person_id=int(person) if person.isdigit() else None,
        limit=_limit(),
        action_names=ACTIONS,
    )
    if export.wants_csv():
        return export.csv_response("audit", AUDIT_COLUMNS, rows)
    return render_template(
        "dashboard/audit.html",
        rows=rows,
        user=user,
        action=action,
        person=person,
        actions=ACTIONS,
        limit=LIMIT,
        csv_url=export.csv_url(),
    )
