"""The PWS dashboard through Flask's test client: logins, CSRF, rate limit, timeout, roles and
areas, every page and CSV export, changes done like the kader commands, audit, the CLI."""

from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy import select

from bot.clock import to_db
from bot.dashboard.export import _cell
from bot.db import transaction
from bot.models import (
    Alert,
    Area,
    AuditLog,
    DoseRecord,
    OutboundMessage,
    Person,
    Reminder,
    Report,
    StaffUser,
    Visit,
)
from scheduler.reminders import plan_all
from tests.dashboard_fixtures import *  # noqa: F403
from tests.dashboard_fixtures import csrf_of, login


def rt_of(app):
    return app.extensions["jemput_bola"]


def audit_rows(app, action: str) -> list[AuditLog]:
    with transaction(rt_of(app).session_factory) as s:
        return list(
            s.execute(
                select(AuditLog).where(AuditLog.action == action).order_by(AuditLog.id)
            ).scalars()
        )


def post(client, path: str, data: dict | None = None, page: str = "/dashboard/"):
    """POST a form with the CSRF token taken from `page`."""
    return client.post(path, data={**(data or {}), "csrf_token": csrf_of(client, page)})


def read_csv(resp) -> list[dict]:
    assert resp.status_code == 200
    assert resp.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert resp.headers["Content-Disposition"].startswith("attachment; filename=")
    return list(csv.DictReader(io.StringIO(resp.get_data().decode("utf-8"))))


# --------------------------------------------------------------------------- logins


def test_pages_need_a_login(dash_client, seed):
    resp = dash_client.get("/dashboard/warga?q=siti")
    assert resp.status_code == 302
    assert resp.headers["Location"].startswith("/dashboard/masuk?next=")


def test_wrong_password_then_right_one(dash_app, dash_client, seed):
    resp = login(dash_client, "admin", "bukan-ini")
    assert resp.status_code == 401
    assert "Nama pengguna atau kata sandi salah." in resp.get_data(as_text=True)
    resp = login(dash_client, "tidak-ada", "apa-saja-123")
    assert resp.status_code == 401
    resp = login(dash_client, "admin")
    assert resp.status_code == 302 and resp.headers["Location"] == "/dashboard/"
    assert [a.username for a in audit_rows(dash_app, "login_failed")] == ["admin", "tidak-ada"]
    assert [a.ip for a in audit_rows(dash_app, "login")] == ["127.0.0.1"]


def test_login_follows_only_local_next(dash_client, seed):
    token = csrf_of(dash_client)
    data = {"username": "admin", "password": "admin-rahasia-1", "csrf_token": token}
    resp = dash_client.post("/dashboard/masuk", data={**data, "next": "https://evil.example/"})
    assert resp.headers["Location"] == "/dashboard/"
    dash_client.post("/dashboard/keluar", data={"csrf_token": csrf_of(dash_client, "/dashboard/")})
    token = csrf_of(dash_client)
    resp = dash_client.post(
        "/dashboard/masuk", data={**data, "csrf_token": token, "next": "/dashboard/pesan"}
    )
    assert resp.headers["Location"] == "/dashboard/pesan"


def test_every_post_needs_the_csrf_token(dash_client, seed):
    resp = dash_client.post("/dashboard/masuk", data={"username": "admin", "password": "x"})
    assert resp.status_code == 400
    assert "Formulir kedaluwarsa" in resp.get_data(as_text=True)
    login(dash_client, "admin")
    resp = dash_client.post(
        f"/dashboard/warga/{seed.bayu}/dosis", data={"item": "DPT1", "tanggal": "2026-11-20"}
    )
    assert resp.status_code == 400
    resp = dash_client.post(
        f"/dashboard/warga/{seed.bayu}/dosis",
        data={"item": "DPT1", "tanggal": "2026-11-20", "csrf_token": "salah"},
    )
    assert resp.status_code == 400


def test_the_csrf_token_is_renewed_at_login_and_bound_to_the_session(dash_app, dash_client, seed):
    before = csrf_of(dash_client)
    login(dash_client, "admin")
    path = f"/dashboard/warga/{seed.bayu}/dosis"
    form = {"item": "DPT1", "tanggal": "2026-11-20"}
    assert dash_client.post(path, data={**form, "csrf_token": before}).status_code == 400
    other = dash_app.test_client()
    login(other, "sari")
    foreign = csrf_of(other, "/dashboard/")
    assert dash_client.post(path, data={**form, "csrf_token": foreign}).status_code == 400
    assert post(dash_client, path, form).status_code == 302


# Deliberately without the CSRF token (app.py): Twilio's signed webhooks and the JSON-only
# simulator API. Every other POST route, today's and tomorrow's, is refused without it.
CSRF_EXEMPT = {"twilio.inbound", "twilio.status", "simulator.send"}


def test_every_other_post_route_refuses_a_missing_token(dash_app, dash_client, seed):
    login(dash_client, "admin")
    unprotected = set()
    for rule in dash_app.url_map.iter_rules():
        if "POST" not in rule.methods:
            continue
        path = rule.rule
        for arg in rule.arguments:
            path = path.replace(f"<int:{arg}>", "1").replace(f"<{arg}>", "1")
        resp = dash_client.post(path, data={"x": "1"})
        body = resp.get_data(as_text=True)
        if not (resp.status_code == 400 and ("Formulir kedaluwarsa" in body or "CSRF" in body)):
            unprotected.add(rule.endpoint)
    assert unprotected == CSRF_EXEMPT


def test_rate_limit_per_username_and_ip(dash_app, dash_client, clock, seed):
    for _ in range(5):
        assert login(dash_client, "sari", "salah-terus").status_code == 401
    resp = login(dash_client, "sari")  # right password, but blocked
    assert resp.status_code == 429
    assert "Terlalu banyak percobaan gagal. Coba lagi dalam 15 menit." in resp.get_data(
        as_text=True
    )
    assert login(dash_app.test_client(), "admin").status_code == 302  # other users are not blocked
    other = dash_app.test_client()
    token = csrf_of(other)
    resp = other.post(
        "/dashboard/masuk",
        data={"username": "sari", "password": "bidan-rahasia-2", "csrf_token": token},
        environ_base={"REMOTE_ADDR": "10.0.0.7"},
    )
    assert resp.status_code == 302  # nor the same username from another address
    clock.advance(minutes=10)
    assert "dalam 5 menit" in login(dash_client, "sari").get_data(as_text=True)
    clock.advance(minutes=5, seconds=1)
    assert login(dash_client, "sari").status_code == 302
    assert len(audit_rows(dash_app, "login_blocked")) == 2


def test_success_resets_the_failure_count(dash_client, seed):
    for _ in range(4):
        login(dash_client, "ani", "salah")
    assert login(dash_client, "ani").status_code == 302
    post(dash_client, "/dashboard/keluar")
    for _ in range(4):
        assert login(dash_client, "ani", "salah").status_code == 401
    assert login(dash_client, "ani").status_code == 302


def test_idle_session_times_out(dash_app, dash_client, clock, seed):
    login(dash_client, "sari")
    clock.advance(minutes=29)
    assert dash_client.get("/dashboard/").status_code == 200
    clock.advance(minutes=29)  # 29 minutes after the last request: still in
    assert dash_client.get("/dashboard/").status_code == 200
    clock.advance(minutes=31)
    resp = dash_client.get("/dashboard/kunjungan")
    assert resp.status_code == 302
    assert resp.headers["Location"].startswith("/dashboard/masuk?next=/dashboard/kunjungan")
    page = dash_client.get(resp.headers["Location"]).get_data(as_text=True)
    assert "Sesi Anda berakhir" in page
    assert [a.username for a in audit_rows(dash_app, "timeout")] == ["sari"]


def test_a_form_posted_after_the_timeout_returns_to_its_page_after_login(dash_client, clock, seed):
    """Second trial: the report's status form, submitted after the idle timeout, led through
    the login to "405 Method Not Allowed" (the POST address)."""
    login(dash_client, "sari")
    page = f"/dashboard/laporan/{seed.report_id}"
    token = csrf_of(dash_client, page)
    clock.advance(minutes=31)
    resp = dash_client.post(
        f"{page}/status",
        data={"csrf_token": token, "status": "resolved", "catatan": "sudah dikunjungi"},
        headers={"Referer": f"http://localhost{page}"},
    )
    assert resp.status_code == 302
    assert resp.headers["Location"] == f"/dashboard/masuk?next={page}"  # the page, not its POST


def test_idle_timeout_is_configurable(db_url, clock, seed):
    from bot import dashboard
    from tests.conftest import make_app

    app = make_app(db_url, clock, None, **{"dashboard.session_idle_minutes": 5})
    dashboard.init_app(app)
    client = app.test_client()
    assert login(client, "sari").status_code == 302
    clock.advance(minutes=6)
    assert client.get("/dashboard/").status_code == 302
    app.extensions["jemput_bola"].engine.dispose()


def test_deactivated_user_is_logged_out(dash_app, dash_client, seed):
    login(dash_client, "ani")
    with transaction(rt_of(dash_app).session_factory) as s:
        s.execute(select(StaffUser).where(StaffUser.username == "ani")).scalar_one().active = False
    assert dash_client.get("/dashboard/").status_code == 302
    assert login(dash_client, "ani").status_code == 401


def test_logout(dash_app, dash_client, seed):
    login(dash_client, "admin")
    resp = post(dash_client, "/dashboard/keluar")
    assert resp.headers["Location"] == "/dashboard/masuk"
    assert dash_client.get("/dashboard/").status_code == 302
    assert len(audit_rows(dash_app, "logout")) == 1


def test_a_copied_cookie_is_useless_after_logout(dash_client, seed):
    login(dash_client, "admin")
    cookie = dash_client.get_cookie("session").value
    post(dash_client, "/dashboard/keluar")
    dash_client.set_cookie("session", cookie)
    assert dash_client.get("/dashboard/").status_code == 302


def test_a_password_change_ends_existing_sessions(dash_app, dash_client, clock, seed):
    login(dash_client, "sari")
    clock.advance(minutes=1)
    runner = dash_app.test_cli_runner()
    result = runner.invoke(args=["staff", "password", "sari"], input="ganti-baru-1\nganti-baru-1\n")
    assert result.exit_code == 0, result.output
    assert dash_client.get("/dashboard/").status_code == 302


def test_security_headers(dash_client, seed):
    login(dash_client, "admin")
    resp = dash_client.get("/dashboard/")
    assert resp.headers["Cache-Control"] == "no-store"
    assert resp.headers["X-Frame-Options"] == "DENY"
    assert "script-src 'none'" in resp.headers["Content-Security-Policy"]
    html = resp.get_data(as_text=True)
    assert "http://" not in html.replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert "https://" not in html
    assert dash_client.get("/dashboard/static/dashboard.css").status_code == 200


# --------------------------------------------------------------------------- roles and areas


def test_kader_sees_only_her_dusun(dash_client, seed):
    login(dash_client, "ani")  # kader, Kaler (SKM-KLR)
    assert dash_client.get(f"/dashboard/warga/{seed.bayu}").status_code == 200
    assert dash_client.get(f"/dashboard/warga/{seed.citra}").status_code == 404  # Kidul
    assert dash_client.get(f"/dashboard/warga/{seed.dimas}").status_code == 404  # Mekarsari
    assert dash_client.get(f"/dashboard/laporan/{seed.complaint_id}").status_code == 404
    names = {r["nama"] for r in read_csv(dash_client.get("/dashboard/warga?q=a&format=csv"))}
    assert names == {"Siti Aminah", "Bayu Pratama"}
    pesan = read_csv(dash_client.get("/dashboard/pesan?format=csv"))
    assert {r["ke"] for r in pesan} == {"+6281234567001"}
    assert dash_client.get("/dashboard/audit").status_code == 403
    html = dash_client.get("/dashboard/").get_data(as_text=True)
    assert "200001" in html and "antre terlalu lama" not in html and "Audit</a>" not in html


def test_bidan_sees_her_desa(dash_client, seed):
    login(dash_client, "sari")  # bidan, Sukamaju (SKM)
    assert dash_client.get(f"/dashboard/warga/{seed.citra}").status_code == 200
    assert dash_client.get(f"/dashboard/warga/{seed.dimas}").status_code == 404
    visits = read_csv(dash_client.get("/dashboard/kunjungan?format=csv"))
    assert visits == []  # the only visit is in Mekarsari


def test_admin_sees_everything(dash_client, seed):
    login(dash_client, "admin")
    for pid in (seed.siti, seed.bayu, seed.citra, seed.dimas):
        assert dash_client.get(f"/dashboard/warga/{pid}").status_code == 200
    assert dash_client.get("/dashboard/audit").status_code == 200


# --------------------------------------------------------------------------- pages


def test_overview_puts_todays_emergency_first(dash_client, seed):
    login(dash_client, "admin")
    html = dash_client.get("/dashboard/").get_data(as_text=True)
    assert html.index("Ref 200001") < html.index("Laporan gejala terbuka")
    assert "kejang, demam" in html and "Bayu Pratama" in html
    assert "<b>1</b> darurat aktif" in html
    assert "<b>1</b> kunjungan hari ini" in html and "Kunjungan rumah" in html
    assert "<b>1</b> keluhan terbuka" in html and "antre terlalu lama" in html
    assert "<b>2</b> pesan gagal" in html
    rows = read_csv(dash_client.get("/dashboard/?format=csv"))
    assert rows[0]["ref"] == "200001" and rows[0]["status"] == "Belum ditangani"


def test_reports_inbox_filters(dash_client, seed):
    login(dash_client, "admin")
    rows = read_csv(dash_client.get("/dashboard/laporan?jenis=complaint&format=csv"))
    assert [r["ref"] for r in rows] == ["200002"]
    assert rows[0]["jenis"] == "Keluhan" and rows[0]["wilayah"] == "Cirumput, Mekarsari"
    assert read_csv(dash_client.get("/dashboard/laporan?status=selesai&format=csv")) == []
    html = dash_client.get("/dashboard/laporan").get_data(as_text=True)
    assert "200001" in html and "200002" in html


def test_report_status_open_in_progress_resolved(dash_app, dash_client, seed):
    login(dash_client, "sari")
    page = f"/dashboard/laporan/{seed.report_id}"
    path = f"{page}/status"
    post(dash_client, path, {"status": "in_progress", "catatan": ""}, page)
    with transaction(rt_of(dash_app).session_factory) as s:
        assert s.get(Report, seed.report_id).status == "in_progress"
        alert = s.get(Alert, seed.alert_id)
        assert alert.status == "accepted" and alert.escalate_at is None
        assert alert.accepted_by is not None  # Bidan Sari's worker id
    resp = post(dash_client, path, {"status": "resolved", "catatan": "  "}, page)
    html = dash_client.get(resp.headers["Location"]).get_data(as_text=True)
    assert "Tulis catatan penyelesaian." in html
    post(dash_client, path, {"status": "resolved", "catatan": "sudah dikunjungi, membaik"}, page)
    with transaction(rt_of(dash_app).session_factory) as s:
        assert s.get(Report, seed.report_id).status == "resolved"
        alert = s.get(Alert, seed.alert_id)
        assert (alert.status, alert.outcome) == ("done", "visited")
        assert alert.note == "sudah dikunjungi, membaik"
    html = dash_client.get(page).get_data(as_text=True)
    assert "Diproses &rarr; Selesai &middot; sudah dikunjungi, membaik" in html
    changes = audit_rows(dash_app, "report_status")
    assert [(a.detail["dari"], a.detail["ke"]) for a in changes] == [
        ("open", "in_progress"),
        ("in_progress", "resolved"),
    ]
    assert {a.person_id for a in changes} == {seed.bayu}
    # reopening it alone would leave its closed alert to wait for nobody: refused, said why
    resp = post(dash_client, path, {"status": "open", "catatan": ""}, page)
    html = dash_client.get(resp.headers["Location"]).get_data(as_text=True)
    assert "selesai bersama peringatan 200001" in html
    with transaction(rt_of(dash_app).session_factory) as s:
        assert s.get(Report, seed.report_id).status == "resolved"
    assert len(audit_rows(dash_app, "report_status")) == 2


def test_take_and_close_an_alert_like_the_kader(dash_app, dash_client, seed):
    login(dash_client, "ani")
    resp = post(dash_client, f"/dashboard/peringatan/{seed.alert_id}/terima")
    assert resp.status_code == 302
    with transaction(rt_of(dash_app).session_factory) as s:
        alert = s.get(Alert, seed.alert_id)
        assert alert.status == "accepted" and alert.escalate_at is None
        notice = s.execute(
            select(OutboundMessage).where(OutboundMessage.idempotency_key.like("alert:200001:%"))
        ).scalar_one()
        assert notice.to_phone == "+6281234567001"
        assert notice.body == "Kader Ani menerima laporan 200001 dan akan menghubungi Anda."
    post(
        dash_client,
        f"/dashboard/peringatan/{seed.alert_id}/selesai",
        {"hasil": "referred", "catatan": "dirujuk ke RSUD"},
    )
    with transaction(rt_of(dash_app).session_factory) as s:
        alert = s.get(Alert, seed.alert_id)
        assert (alert.status, alert.outcome, alert.note) == (
            "referred",
            "referred",
            "dirujuk ke RSUD",
        )
        assert s.get(Report, seed.report_id).status == "referred"  # like RUJUK/SELESAI
    resp = post(dash_client, f"/dashboard/peringatan/{seed.alert_id}/selesai", {"hasil": "visited"})
    html = dash_client.get(resp.headers["Location"]).get_data(as_text=True)
    assert "Peringatan ini sudah ditutup." in html
    assert [a.action for a in audit_rows(dash_app, "alert_close")] == ["alert_close"]


def test_tangani_moves_the_report_and_the_pages_show_who_and_when(
    dash_app, dash_client, clock, seed
):
    login(dash_client, "ani")
    post(dash_client, f"/dashboard/peringatan/{seed.alert_id}/terima")
    with transaction(rt_of(dash_app).session_factory) as s:
        assert s.get(Report, seed.report_id).status == "in_progress"  # was left "Baru"
    overview = dash_client.get("/dashboard/").get_data(as_text=True)
    assert "Ditangani oleh Kader Ani, 22-11-2026 10:00" in overview
    clock.advance(minutes=25)
    post(
        dash_client,
        f"/dashboard/peringatan/{seed.alert_id}/selesai",
        {"hasil": "no_one_home", "catatan": "rumah kosong"},
    )
    with transaction(rt_of(dash_app).session_factory) as s:
        assert s.get(Report, seed.report_id).status == "resolved"
    page = dash_client.get(f"/dashboard/peringatan/{seed.alert_id}").get_data(as_text=True)
    assert "Kader Ani, 22-11-2026 10:00" in page  # accepted
    assert "Kader Ani, 22-11-2026 10:25 &middot; Tidak ada orang / tidak datang" in page
    assert "DARURAT ref 200001" in page and "Bayu Pratama (bayi, umur 6 bulan)" in page
    assert "Tanda bahaya: kejang, demam" in page and "anak kejang panas tinggi" in page
    report = dash_client.get(f"/dashboard/laporan/{seed.report_id}").get_data(as_text=True)
    assert "Ditutup oleh Kader Ani, 22-11-2026 10:25" in report


def test_alert_page_is_scoped(dash_app, dash_client, seed):
    rt = rt_of(dash_app)
    with transaction(rt.session_factory) as s:
        dimas = s.get(Person, seed.dimas)
        other = Alert(
            ref="200009", kind="help", urgency="routine", contact_id=dimas.contact_id,
            area_id=dimas.area_id, status="open", level=1,
            summary="Warga butuh bantuan saat pendaftaran keluarga", declined_by=[],
            created_at=to_db(rt.clock.now()), updated_at=to_db(rt.clock.now()),
        )  # fmt: skip
        s.add(other)
        s.flush()
        other_id = other.id
    login(dash_client, "ani")
    assert dash_client.get(f"/dashboard/peringatan/{seed.alert_id}").status_code == 200
    assert dash_client.get(f"/dashboard/peringatan/{other_id}").status_code == 404
    assert post(dash_client, f"/dashboard/peringatan/{other_id}/terima").status_code == 404
    admin = dash_app.test_client()
    login(admin, "admin")
    page = admin.get(f"/dashboard/peringatan/{other_id}").get_data(as_text=True)
    assert "Isi: Warga butuh bantuan saat pendaftaran keluarga" in page
    assert "Wilayah: Cirumput, Mekarsari" in page and "Ditangani</dt><dd>belum ada" in page


def test_visits_board_and_outcome(dash_app, dash_client, seed):
    login(dash_client, "admin")
    html = dash_client.get("/dashboard/kunjungan").get_data(as_text=True)
    assert "Minggu, 22-11-2026" in html and "Dimas Saputra" in html and "13:00" in html
    week_later = dash_client.get("/dashboard/kunjungan?tanggal=2026-11-29").get_data(as_text=True)
    assert "Dimas Saputra" not in week_later
    resp = post(
        dash_client,
        f"/dashboard/kunjungan/{seed.visit_id}/hasil",
        {"hasil": "no_one_home", "catatan": "rumah kosong", "tanggal": "2026-11-22"},
        "/dashboard/kunjungan",
    )
    assert resp.headers["Location"] == "/dashboard/kunjungan?tanggal=2026-11-22"
    with transaction(rt_of(dash_app).session_factory) as s:
        assert s.get(Visit, seed.visit_id).status == "no_show"
    (row,) = audit_rows(dash_app, "visit_outcome")
    assert row.detail == {"dari": "booked", "hasil": "no_one_home", "catatan": "rumah kosong"}
    assert row.person_id == seed.dimas
    rows = read_csv(dash_client.get("/dashboard/kunjungan?format=csv"))
    assert rows[0]["status"] == "Tidak bertemu"


def test_resident_search_by_name_and_phone(dash_client, seed):
    login(dash_client, "admin")
    by_name = read_csv(dash_client.get("/dashboard/warga?q=PRATAMA&format=csv"))
    assert [r["nama"] for r in by_name] == ["Bayu Pratama"]
    by_phone = read_csv(dash_client.get("/dashboard/warga?q=0812-3456-7003&format=csv"))
    assert [r["nama"] for r in by_phone] == ["Dimas Saputra"]
    assert by_phone[0]["tahap"] == "Bayi" and by_phone[0]["umur"] == "8 bln"
    assert read_csv(dash_client.get("/dashboard/warga?q=%25&format=csv")) == []


def test_profile_shows_household_schedule_and_messages(dash_app, dash_client, seed):
    login(dash_client, "sari")
    html = dash_client.get(f"/dashboard/warga/{seed.bayu}").get_data(as_text=True)
    assert "Siti Aminah" in html and "Ibu hamil" in html  # household, life stage
    assert "Imunisasi Hepatitis B (HB0)" in html and "Sudah" in html
    assert "DPT-HB-Hib 1" in html and "Terlambat" in html
    assert "anak saya kejang" in html  # inbound message
    assert "Di luar jendela 24 jam WhatsApp" in html  # 63016 explained
    (view,) = audit_rows(dash_app, "view_person")
    assert (view.person_id, view.username, view.target) == (
        seed.bayu,
        "sari",
        f"person:{seed.bayu}",
    )
    html = dash_client.get(f"/dashboard/warga/{seed.siti}").get_data(as_text=True)
    assert "Periksa hamil ke-3" in html and "Bayu Pratama" in html


def test_record_dose_stops_its_reminders(dash_app, dash_client, seed):
    rt = rt_of(dash_app)
    plan_all(rt.session_factory, rt.clock.now(), rt.settings)

    def pending(item: str) -> list[Reminder]:
        with transaction(rt.session_factory) as s:
            return list(
                s.execute(
                    select(Reminder).where(
                        Reminder.person_id == seed.bayu,
                        Reminder.item == item,
                        Reminder.status == "pending",
                    )
                ).scalars()
            )

    assert pending("DPT1")
    login(dash_client, "sari")
    page = f"/dashboard/warga/{seed.bayu}"
    resp = post(dash_client, f"{page}/dosis", {"item": "DPT1", "tanggal": "2026-11-20"}, page)
    html = dash_client.get(resp.headers["Location"]).get_data(as_text=True)
    assert "Tercatat untuk Bayu Pratama: DPT-HB-Hib 1 (20-11-2026)." in html
    assert pending("DPT1") == []
    with transaction(rt.session_factory) as s:
        dose = s.execute(
            select(DoseRecord).where(DoseRecord.person_id == seed.bayu, DoseRecord.item == "DPT1")
        ).scalar_one()
        sari = s.execute(select(StaffUser).where(StaffUser.username == "sari")).scalar_one()
        assert (dose.source, dose.worker_id) == ("dashboard", sari.worker_id)
        # the next dose is re-planned from the real date: DPT2 4 weeks after 20-11
        dpt2 = s.execute(
            select(Reminder).where(
                Reminder.person_id == seed.bayu, Reminder.item == "DPT2", Reminder.stage == "due"
            )
        ).scalar_one()
        assert dpt2.due_on.isoformat() == "2026-12-18"
    (row,) = audit_rows(dash_app, "record_dose")
    assert row.detail == {"item": "DPT1", "tanggal": "2026-11-20"} and row.person_id == seed.bayu


@pytest.mark.parametrize(
    ("item", "day", "message"),
    [
        ("HB0", "2026-11-20", "HB0 sudah tercatat 2026-05-10."),
        ("DPT1", "2026-11-23", "Tanggal tidak boleh di masa depan."),
        ("DPT1", "2026-05-01", "sebelum tanggal lahir."),
        ("XYZ", "2026-11-20", "Jenis XYZ tidak dikenal."),
        ("ANC1", "2026-11-20", "ANC1 tidak cocok untuk"),  # a pregnancy check for a baby
        ("DPT1", "kemarin", "Tanggal tidak valid."),
    ],
)
def test_record_dose_errors(dash_app, dash_client, seed, item, day, message):
    login(dash_client, "admin")
    page = f"/dashboard/warga/{seed.bayu}"
    resp = post(dash_client, f"{page}/dosis", {"item": item, "tanggal": day}, page)
    assert message in dash_client.get(resp.headers["Location"]).get_data(as_text=True)
    assert audit_rows(dash_app, "record_dose") == []


def test_kader_cannot_change_outside_her_area(dash_client, seed):
    login(dash_client, "ani")
    resp = post(
        dash_client,
        f"/dashboard/warga/{seed.citra}/dosis",
        {"item": "DPT4", "tanggal": "2026-11-20"},
    )
    assert resp.status_code == 404
    resp = post(dash_client, f"/dashboard/kunjungan/{seed.visit_id}/hasil", {"hasil": "visited"})
    assert resp.status_code == 404
    resp = post(
        dash_client, f"/dashboard/laporan/{seed.complaint_id}/status", {"status": "resolved"}
    )
    assert resp.status_code == 404


def test_immunization_coverage(dash_client, seed):
    login(dash_client, "admin")
    rows = read_csv(dash_client.get("/dashboard/cakupan?tahun=2026&format=csv"))
    assert list(rows[0]) == [
        "tahun_lahir", "desa", "dusun", "indikator", "sasaran", "capaian", "cakupan_persen",
        "target_persen", "capaian_laporan_keluarga",
    ]  # fmt: skip
    got = {(r["desa"], r["dusun"], r["indikator"]): r for r in rows}
    total = got[("Total", "", "IDL_SESUAI_UMUR")]
    assert (total["sasaran"], total["capaian"], total["cakupan_persen"]) == ("3", "1", "33.3")
    kidul = got[("Sukamaju", "Kidul", "IDL")]  # Citra has every basic dose
    assert (kidul["sasaran"], kidul["capaian"], kidul["cakupan_persen"]) == ("1", "1", "100.0")
    mr1 = got[("Sukamaju", "", "MR1")]  # only Citra (10 months) is old enough for MR1
    assert (mr1["sasaran"], mr1["capaian"]) == ("1", "1")
    assert got[("Mekarsari", "Cirumput", "BCG")]["capaian"] == "0"
    assert got[("Mekarsari", "Ganting", "IDL")]["cakupan_persen"] == ""
    html = dash_client.get("/dashboard/cakupan?tahun=2026").get_data(as_text=True)
    assert html.count("<svg") == 4  # comparison + Mekarsari, Sukamaju and all areas
    assert "Target 95%" in html
    empty = dash_client.get("/dashboard/cakupan?tahun=2024").get_data(as_text=True)
    assert "Belum ada anak lahir tahun 2024" in empty


def test_coverage_of_a_kader_counts_only_her_area(dash_client, seed):
    login(dash_client, "ani")
    rows = read_csv(dash_client.get("/dashboard/cakupan?tahun=2026&format=csv"))
    assert {(r["desa"], r["dusun"]) for r in rows} == {
        ("Sukamaju", ""),
        ("Sukamaju", "Kaler"),
        ("Total", ""),
    }
    total = next(r for r in rows if r["desa"] == "Total" and r["indikator"] == "IDL")
    assert total["sasaran"] == "1"


def test_anc_coverage(dash_client, seed):
    login(dash_client, "admin")
    rows = read_csv(dash_client.get("/dashboard/anc?format=csv"))
    got = {(r["desa"], r["dusun"], r["indikator"]): r for r in rows}
    k1, k4 = got[("Sukamaju", "Kaler", "K1")], got[("Sukamaju", "Kaler", "K4")]
    assert (k1["sasaran"], k1["capaian"], k1["cakupan_persen"]) == ("1", "1", "100.0")
    assert (k4["capaian"], k4["cakupan_persen"]) == ("0", "0.0")
    by_edd = read_csv(dash_client.get("/dashboard/anc?kelompok=2027&format=csv"))
    assert (
        next(r for r in by_edd if r["desa"] == "Total" and r["indikator"] == "K1")["sasaran"] == "1"
    )
    html = dash_client.get("/dashboard/anc").get_data(as_text=True)
    assert html.count("<svg") == 3 and "PWS K4" in html


def test_overdue_list(dash_client, seed):
    login(dash_client, "admin")
    rows = read_csv(dash_client.get("/dashboard/terlambat?format=csv"))
    assert list(rows[0])[:3] == ["warga_id", "nama", "umur"]
    dimas = {r["item"] for r in rows if r["nama"] == "Dimas Saputra"}
    assert {"BCG", "OPV1", "DPT1"} <= dimas and "HB0" not in dimas  # HB0 expired, not overdue
    assert not any(r["nama"] == "Citra Lestari" and r["item"] == "DPT1" for r in rows)
    anc = read_csv(dash_client.get("/dashboard/terlambat?jenis=anc&format=csv"))
    assert {r["item"][:3] for r in anc} <= {"ANC"}


def test_doses_waiting_for_a_kia_book_check_are_not_listed_late(dash_app, dash_client, seed):
    rt = dash_app.extensions["jemput_bola"]
    with transaction(rt.session_factory) as s:
        dimas = s.get(Person, seed.dimas)
        s.add(
            Alert(
                ref="200099",
                kind="kia_check",
                urgency="routine",
                contact_id=dimas.contact_id,
                person_id=dimas.id,
                area_id=dimas.contact.area_id,
                status="open",
                level=1,
                summary="Cek Buku KIA Dimas",
                declined_by=[],
                created_at=to_db(rt.clock.now()),
                updated_at=to_db(rt.clock.now()),
            )  # fmt: skip
        )
    login(dash_client, "admin")
    rows = read_csv(dash_client.get("/dashboard/terlambat?format=csv"))
    assert not [r for r in rows if r["nama"] == "Dimas Saputra"]
    assert any(r["nama"].startswith("Bayu") for r in rows)  # the others are still listed
    page = dash_client.get(f"/dashboard/warga/{seed.dimas}").get_data(as_text=True)
    assert "Menunggu cek Buku KIA" in page


def test_outbox_explains_twilio_errors(dash_client, seed):
    login(dash_client, "admin")
    rows = read_csv(dash_client.get("/dashboard/pesan?status=gagal&format=csv"))
    by_code = {r["kode_error"]: r["penjelasan"] for r in rows}
    assert by_code["21610"].startswith("Warga berhenti berlangganan")
    assert by_code["63016"].startswith("Di luar jendela 24 jam WhatsApp")
    html = dash_client.get("/dashboard/pesan").get_data(as_text=True)
    assert "<b>2</b> Gagal" in html and "<b>1</b> Sampai" in html


def test_twilio_error_texts():
    from flask import Flask

    from bot.dashboard.core import twilio_error

    with Flask(__name__).app_context():
        assert "nomor tujuan tidak valid" in twilio_error("21211").lower()
        assert "Batas kecepatan" in twilio_error("63018")
        for code in ("30003", "30005", "30006"):
            assert "Kode" not in twilio_error(code)
        assert twilio_error("99999").startswith("Kode kesalahan Twilio 99999")
        assert "tanpa kode" in twilio_error(None)


def test_csv_cells_cannot_become_formulas():
    assert _cell("=HYPERLINK(1)") == "'=HYPERLINK(1)"
    assert _cell("@SUM(A1)") == "'@SUM(A1)"
    assert _cell("-x") == "'-x"
    assert _cell("-") == ""  # the placeholder for nothing
    assert _cell("+6281234567001") == "+6281234567001"
    assert _cell(None) == "" and _cell(True) == "ya"


def test_every_export_is_audited(dash_app, dash_client, seed):
    login(dash_client, "admin")
    for path in ("/dashboard/terlambat", "/dashboard/cakupan", "/dashboard/audit"):
        read_csv(dash_client.get(path + "?format=csv"))
    targets = [a.target for a in audit_rows(dash_app, "export")]
    assert targets == ["export:terlambat", "export:cakupan-imunisasi-2026", "export:audit"]


def test_audit_page(dash_client, seed):
    login(dash_client, "ani")
    dash_client.get(f"/dashboard/warga/{seed.bayu}")
    post(dash_client, "/dashboard/keluar")
    login(dash_client, "admin")
    rows = read_csv(dash_client.get(f"/dashboard/audit?warga={seed.bayu}&format=csv"))
    assert [(r["pengguna"], r["aksi"], r["warga"]) for r in rows] == [
        ("ani", "Melihat profil warga", "Bayu Pratama")
    ]
    rows = read_csv(dash_client.get("/dashboard/audit?pengguna=ani&format=csv"))
    assert [r["aksi"] for r in rows] == ["Keluar", "Melihat profil warga", "Masuk"]
    html = dash_client.get("/dashboard/audit?aksi=login").get_data(as_text=True)
    assert "Audit akses data" in html


# --------------------------------------------------------------------------- CLI


def test_cli_staff_create_prompts_for_the_password(dash_app, dash_client, seed):
    runner = dash_app.test_cli_runner()
    args = ["staff", "create", "Dewi", "--role", "bidan", "--worker-phone", "0811-0000-0005"]
    result = runner.invoke(args=args, input="rahasia-dewi\nrahasia-dewi\n")
    assert result.exit_code == 0, result.output
    assert "staff user dewi created (bidan, linked to Bidan Dewi)" in result.output
    assert "rahasia-dewi" not in result.output  # hidden input
    assert login(dash_client, "dewi", "rahasia-dewi").status_code == 302
    assert dash_client.get(f"/dashboard/warga/{seed.dimas}").status_code == 200  # Mekarsari
    assert dash_client.get(f"/dashboard/warga/{seed.bayu}").status_code == 404
    listing = runner.invoke(args=["staff", "list"])
    assert "dewi\tbidan\tBidan Dewi\tactive" in listing.output


@pytest.mark.parametrize(
    ("args", "given", "error"),
    [
        (["staff", "create", "budi", "--role", "kader"], "password-1\npassword-1\n",
         "--worker-phone is required for role kader"),
        (["staff", "create", "budi", "--role", "kader", "--worker-phone", "+6281999999999"],
         "password-1\npassword-1\n", "no worker with phone"),
        (["staff", "create", "admin", "--role", "admin"], "password-1\npassword-1\n",
         "already exists"),
        (["staff", "create", "x", "--role", "admin"], "password-1\npassword-1\n", "username"),
        (["staff", "create", "budi", "--role", "admin"], "pendek\npendek\n", "at least 8"),
        (["staff", "create", "budi", "--role", "admin"], "password-1\npassword-2\n"
         "password-3\npassword-3\n", "do not match"),
        (["staff", "create", "budi", "--role", "lurah"], "", "Invalid value for '--role'"),
    ],
)  # fmt: skip
def test_cli_staff_create_errors(dash_app, seed, args, given, error):
    result = dash_app.test_cli_runner().invoke(args=args, input=given)
    assert error in result.output


def test_cli_staff_password_and_deactivate(dash_app, dash_client, seed):
    runner = dash_app.test_cli_runner()
    result = runner.invoke(args=["staff", "password", "ani"], input="baru-sekali\nbaru-sekali\n")
    assert result.exit_code == 0, result.output
    assert login(dash_client, "ani", "baru-sekali").status_code == 302
    result = runner.invoke(args=["staff", "deactivate", "ani"])
    assert result.exit_code == 0
    assert dash_client.get("/dashboard/").status_code == 302
    assert (
        runner.invoke(
            args=["staff", "password", "nobody"], input="a" * 8 + "\n" + "a" * 8 + "\n"
        ).exit_code
        == 1
    )


def test_init_app_twice_is_harmless(dash_app):
    from bot import dashboard

    dashboard.init_app(dash_app)
    assert "dashboard" in dash_app.blueprints


def test_idle_window_moves_with_activity(dash_client, clock, seed):
    login(dash_client, "admin")
    for _ in range(4):
        clock.advance(minutes=20)
        assert dash_client.get("/dashboard/pesan").status_code == 200
    clock.advance(minutes=31)
    assert dash_client.get("/dashboard/pesan").status_code == 302


def test_closing_an_alert_on_the_dashboard_needs_a_note(dash_client, seed):
    """One click must not close an emergency: the outcome and a note are both required."""
    login(dash_client, "ani")
    resp = post(dash_client, f"/dashboard/peringatan/{seed.alert_id}/selesai", {"hasil": "visited"})
    html = dash_client.get(resp.headers["Location"]).get_data(as_text=True)
    assert "Tulis catatan apa yang sudah dilakukan" in html
    page = dash_client.get(f"/dashboard/peringatan/{seed.alert_id}").get_data(as_text=True)
    assert "Tangani" in page  # still open


def test_staff_read_no_internal_codes_and_an_unknown_page_is_indonesian(dash_client, seed):
    """Found by trying the dashboard: 'reply', 'whatsapp', 'medicine_stock', English 404."""
    login(dash_client, "admin")
    rows = read_csv(dash_client.get("/dashboard/pesan?format=csv"))
    assert rows and not {r["jenis"] for r in rows} & {"reply", "alert", "reminder", "system"}
    assert not {r["saluran"] for r in rows} & {"whatsapp", "sms", "simulator"}
    missing = dash_client.get("/dashboard/tidak-ada-halaman-ini")
    assert missing.status_code == 404
    assert "Not Found" not in missing.get_data(as_text=True)


# --------------------------------------------------------------- found by a puskesmas admin


def test_every_active_alert_has_one_list_and_the_overview_counts_them(dash_app, dash_client, seed):
    """Birth and miscarriage alerts have no report: they were only on the woman's profile."""
    from tests.dashboard_fixtures import add_miscarriage, add_preterm_birth

    loss, birth = add_miscarriage(dash_app), add_preterm_birth(dash_app)
    login(dash_client, "admin")
    overview = dash_client.get("/dashboard/").get_data(as_text=True)
    assert "<b>3</b> peringatan aktif &middot; 1 dialihkan ke puskesmas" in overview
    html = dash_client.get("/dashboard/peringatan").get_data(as_text=True)
    assert f'href="/dashboard/peringatan/{loss.alert_id}"' in html
    assert f'href="/dashboard/peringatan/{birth.alert_id}"' in html
    assert "Keguguran" in html and "Kelahiran" in html and "PREMATUR" in html
    rows = read_csv(dash_client.get("/dashboard/peringatan?format=csv"))
    assert list(rows[0]) == [
        "ref", "waktu", "jenis", "urgensi", "status", "wilayah", "lama", "warga", "telepon",
        "ringkasan", "ditangani", "catatan",
    ]  # fmt: skip
    # the emergency first, then the escalated one nobody took, then the open birth
    assert [r["ref"] for r in rows] == ["200001", "648910", "648920"]
    miscarriage = rows[1]
    assert (miscarriage["jenis"], miscarriage["urgensi"], miscarriage["status"]) == (
        "Keguguran",
        "Rutin",
        "Dialihkan ke puskesmas",
    )
    assert miscarriage["wilayah"] == "Kidul, Sukamaju" and miscarriage["lama"] == "2 jam"
    assert miscarriage["warga"] == "Wulan Anggraini"
    assert rows[2]["jenis"] == "Kelahiran" and rows[2]["status"] == "Belum ditangani"
    only = read_csv(dash_client.get("/dashboard/peringatan?jenis=miscarriage&format=csv"))
    assert [r["ref"] for r in only] == ["648910"]
    # the piket takes it from the list's alert page, like TERIMA; then it is no longer active
    page = f"/dashboard/peringatan/{loss.alert_id}"
    assert post(dash_client, f"{page}/terima", {"kembali": page}, page).status_code == 302
    post(dash_client, f"{page}/selesai", {"hasil": "visited", "catatan": "sudah dikunjungi"}, page)
    rows = read_csv(dash_client.get("/dashboard/peringatan?format=csv"))
    assert "648910" not in {r["ref"] for r in rows}
    done = read_csv(dash_client.get("/dashboard/peringatan?status=selesai&format=csv"))
    assert [(r["ref"], r["status"]) for r in done] == [("648910", "Selesai")]
    assert "<b>2</b> peringatan aktif" in dash_client.get("/dashboard/").get_data(as_text=True)


def test_the_alert_list_is_scoped_like_the_other_lists(dash_app, dash_client, seed):
    from tests.dashboard_fixtures import add_miscarriage, add_preterm_birth

    add_miscarriage(dash_app)  # Kidul
    add_preterm_birth(dash_app)  # Kaler
    login(dash_client, "ani")  # kader of Kaler
    rows = read_csv(dash_client.get("/dashboard/peringatan?status=semua&format=csv"))
    assert {r["ref"] for r in rows} == {"200001", "648920"}
    assert "<b>2</b> peringatan aktif" in dash_client.get("/dashboard/").get_data(as_text=True)
    sari = dash_app.test_client()
    login(sari, "sari")  # bidan of the whole desa Sukamaju
    rows = read_csv(sari.get("/dashboard/peringatan?format=csv"))
    assert {r["ref"] for r in rows} == {"200001", "648910", "648920"}


def test_the_alert_page_shows_what_the_workers_were_sent(dash_app, dash_client, seed):
    from tests.dashboard_fixtures import add_miscarriage

    loss = add_miscarriage(dash_app)
    login(dash_client, "admin")
    html = dash_client.get(f"/dashboard/peringatan/{loss.alert_id}").get_data(as_text=True)
    assert "<h1>Keguguran ref 648910" in html and "miscarriage" not in html
    assert "Keguguran ref 648910: Wulan Anggraini keguguran 02-11-2026" in html
    assert "Mohon kunjungan pasca keguguran" in html
    assert "ESKALASI ref 648910: belum ada petugas yang menerima, 2 jam" in html
    assert "Laporan ref 648910 (tidak darurat)" not in html  # the generic text rebuilt
    assert "disusun ulang" not in html
    assert "Bidan Sari +62********003" in html and "Puskesmas (piket) +62********009" in html
    assert "+6281100000003" not in html  # the workers' numbers are masked
    assert "Laporan 648910 kami teruskan ke puskesmas" not in html  # to the resident, not staff
    # an alert whose messages are not in the outbox: its kind's text, marked as rebuilt
    rt = rt_of(dash_app)
    with transaction(rt.session_factory) as s:
        for m in s.execute(select(OutboundMessage).where(OutboundMessage.kind == "alert")):
            s.delete(m[0])
    html = dash_client.get(f"/dashboard/peringatan/{loss.alert_id}").get_data(as_text=True)
    assert "disusun ulang" in html and "Keguguran ref 648910:" in html


def _offered(html: str) -> set[str]:
    import re

    form = html[html.index('name="item"') : html.index("</select>", html.index('name="item"'))]
    return set(re.findall(r'<option value="([A-Z0-9]+)"', form))


def test_the_dose_form_offers_only_what_fits_the_person(dash_app, dash_client, seed):
    from datetime import date

    from tests.dashboard_fixtures import add_woman

    login(dash_client, "admin")
    rt = rt_of(dash_app)
    with transaction(rt.session_factory) as s:
        siti = s.get(Person, seed.siti)
        boy = Person(
            contact_id=siti.contact_id, name="Raka Pratama", sex="L", birth_date=date(2023, 8, 1),
            area_id=siti.area_id, created_at=to_db(rt.clock.now()),
            updated_at=to_db(rt.clock.now()),
        )  # fmt: skip
        s.add(boy)
        s.flush()
        boy_id = boy.id
    boy = _offered(dash_client.get(f"/dashboard/warga/{boy_id}").get_data(as_text=True))
    assert boy and not boy & {"ANC1", "ANC6", "KF1", "KN1", "HPV"}
    assert {"DPT4", "MR2"} <= boy
    assert "JE" not in boy  # fourth trial: offered in Sukamaju, not a JE area
    with transaction(rt.session_factory) as s:
        area = s.get(Area, s.get(Person, boy_id).area_id)
        area.je_endemic = True
    boy = _offered(dash_client.get(f"/dashboard/warga/{boy_id}").get_data(as_text=True))
    assert "JE" in boy
    woman = _offered(dash_client.get(f"/dashboard/warga/{seed.siti}").get_data(as_text=True))
    assert not woman & {"HB0", "BCG", "OPV1", "DPT1", "KN1", "HPV"}
    assert "ANC3" in woman
    assert "KF1" not in woman  # pregnant, no delivery on record: no postnatal visit yet
    baby = _offered(dash_client.get(f"/dashboard/warga/{seed.bayu}").get_data(as_text=True))
    assert "DPT1" in baby and not baby & {"ANC1", "KF1", "HPV", "DT"}
    assert "KN1" not in baby  # 6 months old: past the newborn visits (tracked to 3 months)
    man = add_woman(dash_app, "Pak Joko", "MKS-CRM", "+6281234567020", born=date(1980, 1, 1))
    with transaction(rt.session_factory) as s:
        s.get(Person, man).sex = "L"
    assert not _offered(dash_client.get(f"/dashboard/warga/{man}").get_data(as_text=True)) & {
        "ANC1", "KF1", "HB0", "BCG", "OPV1", "HPV",
    }  # fmt: skip


def test_after_a_miscarriage_the_stage_is_not_postpartum(dash_app, dash_client, clock, seed):
    from tests.dashboard_fixtures import add_miscarriage

    loss = add_miscarriage(dash_app)
    login(dash_client, "sari")
    rows = read_csv(dash_client.get("/dashboard/warga?q=wulan&format=csv"))
    assert rows[0]["tahap"] == "Pasca keguguran"
    html = dash_client.get(f"/dashboard/warga/{loss.person}").get_data(as_text=True)
    assert "Pasca keguguran" in html and "Ibu nifas" not in html
    clock.advance(days=30)  # 50 days after the loss: her age's stage
    later = dash_app.test_client()
    login(later, "sari")
    rows = read_csv(later.get("/dashboard/warga?q=wulan&format=csv"))
    assert rows[0]["tahap"] == "Dewasa"


def test_anc_coverage_leaves_out_a_loss_before_the_window(dash_app, dash_client, seed):
    from datetime import date

    from tests.dashboard_fixtures import add_miscarriage, add_woman

    add_miscarriage(dash_app, escalated=False)  # 9 weeks, ANC1 recorded, HPL 2027
    add_woman(
        dash_app, "Rara", "SKM-KDL", "+6281234567012", hpht=date(2026, 9, 7),
        delivery_date=date(2026, 10, 19), pregnancy_outcome="loss",
    )  # 6 weeks, no ANC at all, HPL 2027 # fmt: skip
    login(dash_client, "admin")
    rows = read_csv(dash_client.get("/dashboard/anc?kelompok=2027&format=csv"))
    got = {(r["desa"], r["dusun"], r["indikator"]): r for r in rows}
    total = {i: (got[("Total", "", i)]["sasaran"], got[("Total", "", i)]["capaian"]) for i in
             ("K1", "K4", "K6")}  # fmt: skip
    # Siti (ongoing, ANC1+2) everywhere; Wulan only in K1 (she had ANC1); Rara nowhere
    assert total == {"K1": ("2", "2"), "K4": ("1", "0"), "K6": ("1", "0")}
    kidul = got[("Sukamaju", "Kidul", "K4")]
    assert (kidul["sasaran"], kidul["cakupan_persen"]) == ("0", "")
    html = dash_client.get("/dashboard/anc?kelompok=2027").get_data(as_text=True)
    assert "keguguran" in html and "ANC4 25-29 minggu" in html
    # women pregnant today: a loss is not pregnant, the sasaran is Siti alone
    now = read_csv(dash_client.get("/dashboard/anc?format=csv"))
    assert next(r for r in now if r["desa"] == "Total" and r["indikator"] == "K1")["sasaran"] == "1"


# ------------------------------------------------------------------ desa-level alerts


def add_desa_alert(dash_app, ref: str = "200050") -> tuple[int, int, int]:
    """An emergency placed only at the desa Sukamaju (the family's dusun not known): sent to
    the bidan and every dusun kader of the desa, Ani among them. (alert, person, report) ids."""
    rt = rt_of(dash_app)
    now = to_db(rt.clock.now())
    with transaction(rt.session_factory) as s:
        from bot.models import Area, Contact

        skm = s.execute(select(Area).where(Area.code == "SKM")).scalar_one()
        contact = Contact(
            phone="+6281234567050", channel="whatsapp", area_id=skm.id, created_at=now
        )
        s.add(contact)
        s.flush()
        person = Person(
            contact_id=contact.id, name="Rini Desa", sex="P", area_id=skm.id,
            created_at=now, updated_at=now,
        )  # fmt: skip
        s.add(person)
        s.flush()
        report = Report(
            ref=ref, kind="symptom", contact_id=contact.id, person_id=person.id,
            urgency="emergency", symptoms=["bleeding"], text="keluar darah banyak",
            status="open", created_at=now, updated_at=now,
        )  # fmt: skip
        s.add(report)
        s.flush()
        alert = Alert(
            ref=ref, kind="symptom", urgency="emergency", report_id=report.id,
            contact_id=contact.id, person_id=person.id, area_id=skm.id, status="open",
            level=1, summary="perdarahan", declined_by=[], created_at=now, updated_at=now,
        )  # fmt: skip
        s.add(alert)
        s.flush()
        return alert.id, person.id, report.id


def test_a_kader_login_sees_and_takes_an_alert_placed_only_at_her_desa(dash_app, dash_client, seed):
    alert_id, person_id, report_id = add_desa_alert(dash_app)
    login(dash_client, "ani")  # kader of Kaler, a dusun of Sukamaju
    page = f"/dashboard/peringatan/{alert_id}"
    assert dash_client.get(page).status_code == 200
    rows = read_csv(dash_client.get("/dashboard/peringatan?format=csv"))
    assert {r["ref"] for r in rows} == {"200001", "200050"}
    overview = dash_client.get("/dashboard/").get_data(as_text=True)
    assert "200050" in overview and "<b>2</b> peringatan aktif" in overview
    assert post(dash_client, f"{page}/terima", {"kembali": page}, page).status_code == 302
    with transaction(rt_of(dash_app).session_factory) as s:
        alert = s.get(Alert, alert_id)
        assert alert.status == "accepted" and alert.accepted_by == seed_worker(s, "ani")
    post(dash_client, f"{page}/selesai", {"hasil": "visited", "catatan": "sudah"}, page)
    with transaction(rt_of(dash_app).session_factory) as s:
        assert s.get(Alert, alert_id).status == "done"
    # the resident placed only at the desa stays the bidan's: not a kader's profile or report
    assert dash_client.get(f"/dashboard/warga/{person_id}").status_code == 404
    assert dash_client.get(f"/dashboard/laporan/{report_id}").status_code == 404
    assert "Rini Desa" not in {
        r["nama"] for r in read_csv(dash_client.get("/dashboard/warga?q=r&format=csv"))
    }


def seed_worker(s, username: str) -> int:
    return s.execute(select(StaffUser).where(StaffUser.username == username)).scalar_one().worker_id


def test_an_alert_at_another_desa_stays_hidden_from_a_kader_login(dash_app, dash_client, seed):
    rt = rt_of(dash_app)
    with transaction(rt.session_factory) as s:
        from bot.models import Area

        dimas = s.get(Person, seed.dimas)
        mks = s.execute(select(Area).where(Area.code == "MKS")).scalar_one()
        other = Alert(
            ref="200051", kind="symptom", urgency="emergency", contact_id=dimas.contact_id,
            area_id=mks.id, status="open", level=1, summary="kejang", declined_by=[],
            created_at=to_db(rt.clock.now()), updated_at=to_db(rt.clock.now()),
        )  # fmt: skip
        s.add(other)
        s.flush()
        other_id = other.id
    login(dash_client, "ani")
    assert dash_client.get(f"/dashboard/peringatan/{other_id}").status_code == 404
    assert post(dash_client, f"/dashboard/peringatan/{other_id}/terima").status_code == 404
    rows = read_csv(dash_client.get("/dashboard/peringatan?status=semua&format=csv"))
    assert "200051" not in {r["ref"] for r in rows}


def test_a_gap_in_a_series_asks_the_bidan_to_check_the_book(dash_app, dash_client, seed):
    from datetime import timedelta

    login(dash_client, "admin")
    rt = rt_of(dash_app)
    with transaction(rt.session_factory) as s:
        bayu = s.get(Person, seed.bayu)  # OPV1 on record (the seed)
        born = bayu.birth_date
        for item, days in (("OPV3", 95),):
            s.add(
                DoseRecord(
                    person_id=bayu.id,
                    item=item,
                    occurrence="1",
                    source="import",
                    given_on=born + timedelta(days=days),
                    created_at=to_db(rt.clock.now()),
                )
            )
    html = dash_client.get(f"/dashboard/warga/{seed.bayu}").get_data(as_text=True)
    table = html[html.index('id="jadwal"') :]
    row = table[table.index("Polio tetes 2") : table.index("</tr>", table.index("Polio tetes 2"))]
    assert "dosis sesudahnya sudah; periksa Buku KIA" in row


def test_a_kader_is_not_shown_a_mother_from_another_village(dash_app, dash_client, seed):
    """Found moving the queries: the profile's mother and household were not limited to the
    staff member's scope (a child's mother in Mekarsari named to Sukamaju's kader)."""
    from tests.dashboard_fixtures import add_woman

    rt = rt_of(dash_app)
    mother = add_woman(dash_app, "Ibu Mekar", "MKS-CRM", "+6281234567031")
    with transaction(rt.session_factory) as s:
        s.get(Person, seed.bayu).mother_id = mother
    login(dash_client, "ani")
    html = dash_client.get(f"/dashboard/warga/{seed.bayu}").get_data(as_text=True)
    assert "Ibu Mekar" not in html
    dash_client.post("/dashboard/keluar", data={"csrf_token": csrf_of(dash_client, "/dashboard/")})
    login(dash_client, "admin")
    html = dash_client.get(f"/dashboard/warga/{seed.bayu}").get_data(as_text=True)
    assert "Ibu Mekar" in html


def test_coverage_shows_the_doses_known_only_from_the_family(dash_app, dash_client, seed):
    """Fourth trial: "lengkap" at registration and a mother's SUDAH counted in coverage like the
    doses a worker gave, with nothing to tell them apart (the 2023 cohort at 100 %)."""
    rt = rt_of(dash_app)
    with transaction(rt.session_factory) as s:
        for d in s.execute(select(DoseRecord).where(DoseRecord.person_id == seed.bayu)).scalars():
            if d.item == "BCG":
                d.source = "kia_estimate"
    login(dash_client, "admin")
    rows = read_csv(dash_client.get("/dashboard/cakupan?tahun=2026&format=csv"))
    got = {(r["desa"], r["dusun"], r["indikator"]): r for r in rows}
    bcg = got[("Total", "", "BCG")]
    assert bcg["capaian_laporan_keluarga"] == "1" and int(bcg["capaian"]) >= 1
    assert got[("Total", "", "IDL")]["capaian_laporan_keluarga"] == ""
    html = dash_client.get("/dashboard/cakupan?tahun=2026").get_data(as_text=True)
    assert "1 lap. keluarga" in html
