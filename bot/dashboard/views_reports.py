"""Reports and complaints inbox with status changes; every alert (list and page), taking and
closing alerts."""

from __future__ import annotations

from flask import abort, flash, g, redirect, render_template, request, url_for

from bot.alerts import alert_key, describe
from bot.dashboard import core, export
from bot.dashboard.audit import record
from bot.dashboard.blueprint import bp
from bot.dashboard.queries.reports import (
    alert_rows,
    report_alert_rows,
    report_history,
    report_rows,
    scoped_alert,
    scoped_report,
    worker_messages,
)
from bot.dashboard.queries.shared import alert_kind, alert_row, report_row
from bot.dashboard.services import (
    REPORT_STATUSES,
    ChangeError,
    accept_alert,
    close_alert,
    set_report_status,
)
from bot.models import ALERT_KINDS, Alert

REPORT_COLUMNS = (
    "ref", "waktu", "jenis", "urgensi", "kategori", "warga", "telepon", "wilayah", "isi", "status",
)  # fmt: skip
ALERT_COLUMNS = (
    "ref", "waktu", "jenis", "urgensi", "status", "wilayah", "lama", "warga", "telepon",
    "ringkasan", "ditangani", "catatan",
)  # fmt: skip
ALERT_FILTERS = {
    "aktif": core.ACTIVE_ALERT,
    "selesai": core.CLOSED_ALERT,
    "semua": None,
}
# active alerts: emergencies first, then the ones nobody took (escalated before open), oldest first
ALERT_RANK = {"escalated": 0, "open": 1, "accepted": 2}
STATUS_FILTERS = {
    "aktif": core.OPEN_REPORT,
    "open": ("open",),
    "in_progress": ("in_progress",),
    "selesai": ("resolved", "done", "referred", "closed"),
    "semua": None,
}


LIMIT, CSV_LIMIT = 500, 20_000  # rows on a page, rows in a CSV download


def _limit() -> int:
    return CSV_LIMIT if export.wants_csv() else LIMIT


@bp.get("/laporan")
def reports():
    """Symptom reports and complaints, newest first; filter by kind and status."""
    s, scope, areas = core.db(), g.scope, g.areas
    kind = request.args.get("jenis", "")
    status = request.args.get("status", "aktif")
    rows = report_rows(
        s,
        scope,
        areas,
        kind=kind if kind in ("symptom", "complaint") else None,
        statuses=STATUS_FILTERS.get(status, core.OPEN_REPORT),
        limit=_limit(),
    )
    if export.wants_csv():
        return export.csv_response("laporan", REPORT_COLUMNS, rows)
    return render_template(
        "dashboard/reports.html", rows=rows, kind=kind, status=status, csv_url=export.csv_url()
    )


def _scoped_report(report_id: int):
    row = scoped_report(core.db(), g.scope, report_id)
    if row is None:
        abort(404)
    return row


@bp.get("/laporan/<int:report_id>")
def report(report_id: int):
    s, areas = core.db(), g.areas
    r, c, p = _scoped_report(report_id)
    history = report_history(s, r)
    linked = report_alert_rows(s, g.scope, areas, r)
    return render_template(
        "dashboard/report.html",
        row=report_row(r, c, p, areas),
        report=r,
        statuses=REPORT_STATUSES,
        history=history,
        alerts=linked,
    )


@bp.post("/laporan/<int:report_id>/status")
def report_status(report_id: int):
    s = core.db()
    r, _c, _p = _scoped_report(report_id)
    status = request.form.get("status", "")
    note = " ".join(request.form.get("catatan", "").split())[:500]
    try:
        previous, ids = set_report_status(
            s, r, status, note, g.staff, core.now(), core.rt().settings, catalog=core.rt().catalog
        )
    except ChangeError as exc:
        flash(str(exc), "error")
        return redirect(url_for("dashboard.report", report_id=r.id))
    record(
        s,
        "report_status",
        person_id=r.person_id,
        target=f"report:{r.ref}",
        dari=previous,
        ke=r.status,
        catatan=note,
    )
    s.commit()
    core.rt().outbox.deliver_many(ids)
    flash(f"Status laporan {r.ref}: {core.label('report_status', r.status)}.", "ok")
    return redirect(url_for("dashboard.report", report_id=r.id))


def _scoped_alert(alert_id: int):
    row = scoped_alert(core.db(), g.scope, alert_id)
    if row is None:
        abort(404)
    return row[0]


def _back() -> str:
    target = request.form.get("kembali", "")
    return (
        target
        if target.startswith("/dashboard") and "//" not in target
        else url_for("dashboard.overview")
    )


@bp.get("/peringatan")
def alerts():
    """Every alert in the staff member's alert scope (a kader's: also those placed only at
    her desa, sent to her too), of every kind (with or without a report):
    active ones by default, emergencies and the untaken first, the longest waiting first."""
    s, scope, areas = core.db(), g.scope, g.areas
    kind = request.args.get("jenis", "")
    status = request.args.get("status", "aktif")
    if status not in ALERT_FILTERS:
        status = "aktif"
    rows = alert_rows(
        s,
        scope,
        areas,
        kind=kind if kind in ALERT_KINDS else None,
        statuses=ALERT_FILTERS[status],
        limit=_limit(),
    )
    active = [r for r in rows if r["aktif"]]
    active.sort(key=lambda r: (not r["darurat"], ALERT_RANK.get(r["status_kode"], 9), r["waktu"]))
    rows = active + [r for r in rows if not r["aktif"]]
    if export.wants_csv():
        return export.csv_response("peringatan", ALERT_COLUMNS, rows)
    return render_template(
        "dashboard/alerts.html",
        rows=rows,
        kind=kind,
        status=status,
        kinds=[(k, alert_kind(k)) for k in ALERT_KINDS],
        csv_url=export.csv_url(),
    )


def _alert_text_key(a: Alert) -> str:
    """The catalog text a new alert of this kind was sent with (for an alert whose messages
    are not in the outbox): the birth and miscarriage texts of notify_workers, else the
    generic emergency/routine one."""
    if a.kind == "miscarriage":
        return "alert.miscarriage"
    if a.kind == "birth" and a.urgency == "routine":
        return "alert.birth_preterm" if "PREMATUR" in (a.summary or "") else "alert.birth"
    return alert_key(a)


@bp.get("/peringatan/<int:alert_id>")
def alert(alert_id: int):
    """One alert: the messages the workers were sent and to whom, who took and closed it and
    when, actions. An alert whose messages are not in the outbox (older data) shows its text
    rebuilt from the catalog, marked as such."""
    s = core.db()
    row = scoped_alert(s, g.scope, alert_id)
    if row is None:
        abort(404)
    a, c, p = row
    sent = worker_messages(s, a)
    rebuilt = ""
    if not sent:
        cat = core.rt().catalog
        rebuilt = cat.t(_alert_text_key(a), **describe(s, a, core.now(), cat))
    return render_template(
        "dashboard/alert.html", a=alert_row(s, a, c, p, g.areas), sent=sent, rebuilt=rebuilt
    )


@bp.post("/peringatan/<int:alert_id>/terima")
def alert_accept(alert_id: int):
    s = core.db()
    alert = _scoped_alert(alert_id)
    try:
        ids = accept_alert(s, alert, g.staff, core.now(), catalog=core.rt().catalog)
    except ChangeError as exc:
        flash(str(exc), "error")
        return redirect(_back())
    record(s, "alert_accept", person_id=alert.person_id, target=f"alert:{alert.ref}")
    s.commit()
    core.rt().outbox.deliver_many(ids)
    flash(f"Ref {alert.ref} Anda tangani. Warga diberi tahu.", "ok")
    return redirect(_back())


@bp.post("/peringatan/<int:alert_id>/selesai")
def alert_close(alert_id: int):
    s = core.db()
    alert = _scoped_alert(alert_id)
    outcome = request.form.get("hasil", "")
    note = " ".join(request.form.get("catatan", "").split())[:500]
    try:
        close_alert(
            s,
            alert,
            outcome,
            note,
            g.staff,
            core.now(),
            core.rt().settings,
            catalog=core.rt().catalog,
        )
    except ChangeError as exc:
        flash(str(exc), "error")
        return redirect(_back())
    record(
        s,
        "alert_close",
        person_id=alert.person_id,
        target=f"alert:{alert.ref}",
        hasil=outcome,
        catatan=note,
    )
    s.commit()
    flash(f"Ref {alert.ref} ditutup: {core.label('outcome', outcome)}.", "ok")
    return redirect(_back())
