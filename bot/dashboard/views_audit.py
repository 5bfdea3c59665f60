"""The audit page (admins only): every view of and change to residents' data, and logins."""

from __future__ import annotations

from flask import render_template, request
from sqlalchemy import select

from bot.dashboard import core, export
from bot.dashboard.auth import roles
from bot.dashboard.blueprint import bp
from bot.models import AuditLog, Person

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
    q = select(AuditLog, Person).outerjoin(Person, AuditLog.person_id == Person.id)
    if user:
        q = q.where(AuditLog.username == user)
    if action in ACTIONS:
        q = q.where(AuditLog.action == action)
    if person.isdigit():
        q = q.where(AuditLog.person_id == int(person))
    rows = [
        {
            "waktu": core.local(a.at),
            "pengguna": a.username,
            "aksi": ACTIONS.get(a.action, a.action),
            "aksi_kode": a.action,
            "warga_id": a.person_id,
            "warga": p.name if p else "",
            "sasaran": a.target or "",
            "rincian": ", ".join(f"{k}={v}" for k, v in (a.detail or {}).items() if v != ""),
            "ip": a.ip or "",
        }
        for a, p in s.execute(q.order_by(AuditLog.id.desc()).limit(_limit())).all()
    ]
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
