"""The dashboard in a real browser: Debian's Chromium driven by Playwright, at phone width.

Run with SCREENSHOTS=1 to (re)write docs/screenshots/*.png from these tests."""

from __future__ import annotations

import csv
import io
import os
import threading
from pathlib import Path

import pytest
from sqlalchemy import select
from werkzeug.serving import make_server

from bot.db import transaction
from bot.models import Alert, DoseRecord, Reminder
from scheduler.reminders import plan_all
from tests.dashboard_fixtures import *  # noqa: F403
from tests.dashboard_fixtures import PASSWORDS

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PHONE = {"width": 360, "height": 740}
SHOTS = Path(__file__).resolve().parent.parent / "docs" / "screenshots"

pytestmark = pytest.mark.skipif(
    not os.path.exists(CHROMIUM), reason=f"{CHROMIUM} is missing (apt-get install chromium)"
)


@pytest.fixture(scope="module")
def browser():
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield b
        b.close()


@pytest.fixture
def server(dash_app, seed):
    """The app served on 127.0.0.1 (a free port) in a thread, for this test."""
    srv = make_server("127.0.0.1", 0, dash_app, threaded=True)
    thread = threading.Thread(target=srv.serve_forever, name="dashboard-test", daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{srv.server_port}"
    srv.shutdown()
    thread.join(timeout=5)


@pytest.fixture
def page(browser, server):
    context = browser.new_context(viewport=PHONE, locale="id-ID", accept_downloads=True)
    context.set_default_timeout(10_000)
    pg = context.new_page()
    pg.base = server
    yield pg
    context.close()


def shot(page, name: str) -> None:
    """Save a screenshot for the docs when SCREENSHOTS=1 (reduced to 128 colours: small files)."""
    if os.environ.get("SCREENSHOTS") != "1":
        return
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    try:
        from PIL import Image
    except ImportError:  # pragma: no cover - Pillow comes with the runtime dependencies
        return
    with Image.open(path) as im:
        small = im.convert("RGB").quantize(colors=128, method=Image.Quantize.MEDIANCUT)
    small.save(path, optimize=True)


def sign_in(page, username: str, password: str | None = None) -> None:
    page.goto(page.base + "/dashboard/masuk")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORDS[username] if password is None else password)
    page.click("button[type=submit]")


def test_login_error_and_rate_limit(page):
    sign_in(page, "sari", "salah-sekali")
    assert page.locator(".flash.error").inner_text() == "Nama pengguna atau kata sandi salah."
    shot(page, "login")
    for _ in range(4):
        sign_in(page, "sari", "salah-lagi")
    sign_in(page, "sari")  # the right password, but blocked now
    assert "Terlalu banyak percobaan gagal" in page.locator(".flash.error").inner_text()
    assert page.url.endswith("/dashboard/masuk")


def test_overview_shows_the_emergency(page):
    sign_in(page, "admin")
    page.wait_for_url("**/dashboard/")
    card = page.locator("article.emergency").first
    assert "200001" in card.inner_text() and "kejang" in card.inner_text()
    assert page.locator(".counts li.alarm").inner_text().startswith("1")
    shot(page, "overview")


def test_record_a_dose_from_the_profile(page, dash_app, seed):
    rt = dash_app.extensions["jemput_bola"]
    plan_all(rt.session_factory, rt.clock.now(), rt.settings)  # Bayu's DPT1 reminder rows
    sign_in(page, "sari")
    page.wait_for_url("**/dashboard/")
    page.goto(page.base + "/dashboard/warga?q=bayu")
    page.click("text=Bayu Pratama")
    page.wait_for_url(f"**/dashboard/warga/{seed.bayu}")
    shot(page, "resident")
    page.select_option("select[name=item]", "DPT1")
    page.fill("input[name=tanggal]", "2026-11-20")
    page.click("#catat button[type=submit]")
    assert "Tercatat untuk Bayu Pratama" in page.locator(".flash.ok").inner_text()
    row = page.locator("#jadwal tr", has_text="DPT-HB-Hib 1")
    assert "20-11-2026" in row.inner_text() and "Dasbor" in row.inner_text()
    with transaction(rt.session_factory) as s:
        dose = s.execute(
            select(DoseRecord).where(DoseRecord.person_id == seed.bayu, DoseRecord.item == "DPT1")
        ).scalar_one()
        assert dose.source == "dashboard" and dose.worker_id is not None
        pending = s.execute(
            select(Reminder).where(
                Reminder.person_id == seed.bayu,
                Reminder.item == "DPT1",
                Reminder.status == "pending",
            )
        ).all()
        assert pending == []


def test_csv_export_download(page):
    sign_in(page, "admin")
    page.wait_for_url("**/dashboard/")
    page.goto(page.base + "/dashboard/cakupan?tahun=2026")
    assert page.locator("figure.chart svg").count() >= 2
    shot(page, "coverage")
    page.goto(page.base + "/dashboard/laporan?status=semua")
    with page.expect_download() as info:
        page.click("a.csv")
    download = info.value
    assert download.suggested_filename == "laporan-2026-11-22.csv"
    text = Path(download.path()).read_text(encoding="utf-8")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert list(rows[0]) == [
        "ref", "waktu", "jenis", "urgensi", "kategori", "warga", "telepon", "wilayah", "isi",
        "status",
    ]  # fmt: skip
    assert {r["ref"] for r in rows} == {"200001", "200002"}
    emergency = next(r for r in rows if r["ref"] == "200001")
    assert emergency["urgensi"] == "Darurat" and emergency["warga"] == "Bayu Pratama"


def test_the_piket_finds_and_takes_an_escalated_miscarriage(page, dash_app, seed):
    """Nobody took the miscarriage alert and it has no report: the list of every alert has it."""
    from tests.dashboard_fixtures import add_miscarriage

    loss = add_miscarriage(dash_app)
    sign_in(page, "admin")
    page.wait_for_url("**/dashboard/")
    page.click("text=peringatan aktif")
    page.wait_for_url("**/dashboard/peringatan")
    row = page.locator("table.list tr", has_text="648910")
    assert "Keguguran" in row.inner_text() and "Dialihkan ke puskesmas" in row.inner_text()
    row.locator("a", has_text="648910").click()
    page.wait_for_url(f"**/dashboard/peringatan/{loss.alert_id}")
    assert page.locator("h1").inner_text().startswith("Keguguran ref 648910")
    assert "Mohon kunjungan pasca keguguran" in page.locator("section.card").inner_text()
    page.click("button:has-text('Tangani')")
    assert "Ref 648910 Anda tangani" in page.locator(".flash.ok").inner_text()
    with transaction(dash_app.extensions["jemput_bola"].session_factory) as s:
        assert s.get(Alert, loss.alert_id).status == "accepted"


def test_every_page_fits_a_360px_phone(page, dash_app, seed):
    from tests.dashboard_fixtures import add_miscarriage

    loss = add_miscarriage(dash_app)
    sign_in(page, "admin")
    page.wait_for_url("**/dashboard/")
    paths = [
        "/dashboard/",
        "/dashboard/peringatan",
        f"/dashboard/peringatan/{loss.alert_id}",
        f"/dashboard/warga/{loss.person}",
        "/dashboard/laporan",
        f"/dashboard/laporan/{seed.report_id}",
        "/dashboard/kunjungan",
        "/dashboard/warga?q=a",
        f"/dashboard/warga/{seed.bayu}",
        f"/dashboard/warga/{seed.siti}",
        "/dashboard/cakupan",
        "/dashboard/anc",
        "/dashboard/terlambat",
        "/dashboard/pesan",
        "/dashboard/audit",
    ]
    for path in paths:
        page.goto(page.base + path)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"], f"{path} is {width} px wide"
    page.goto(page.base + "/dashboard/pesan")
    shot(page, "messages")
