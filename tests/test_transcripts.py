"""Run every YAML transcript in tests/transcripts against the real pipeline and NLU."""

import re
from datetime import datetime
from pathlib import Path

import pytest
import yaml
from sqlalchemy import select

from bot.alert_lifecycle import escalate_due
from bot.catalog import load_catalog
from bot.clock import to_db
from bot.dashboard.auth import hash_password
from bot.db import transaction
from bot.models import (
    Alert,
    Area,
    Contact,
    DoseRecord,
    OutboundMessage,
    Person,
    Report,
    StaffUser,
    Worker,
)
from bot.phones import to_e164
from scheduler import jobs

FILES = sorted((Path(__file__).parent / "transcripts").glob("*.yml"))
STAFF_PASSWORD = "transkrip-rahasia-1"


def check_reply(expect: dict, replies: list[str], where: str) -> None:
    cat = load_catalog("id")
    if "key" in expect:
        wanted = cat.t(expect["key"], **expect.get("values", {}))
        hit = wanted in replies
    else:
        hit = any(expect["contains"] in r for r in replies)
    if expect.get("absent"):
        assert not hit, f"{where}: unexpected reply {expect} in {replies}"
    else:
        assert hit, f"{where}: expected {expect} in {replies}"


def check_events(expected: list[dict], events: list[dict], where: str) -> None:
    assert len(events) == len(expected), f"{where}: events {events} != {expected}"
    for want, got in zip(expected, events, strict=True):
        for k, v in want.items():
            if isinstance(v, dict) and "contains" in v:  # {contains: x}: a substring or an item
                parts = v["contains"] if isinstance(v["contains"], list) else [v["contains"]]
                for part in parts:
                    assert part in (got.get(k) or ""), f"{where}: event {got}: {k} lacks {part!r}"
                continue
            assert got.get(k) == v, f"{where}: event {got} lacks {k}={v}"


def outbox_since(rt, last_id: int) -> list[OutboundMessage]:
    with rt.session_factory() as s:
        return list(
            s.execute(
                select(OutboundMessage)
                .where(OutboundMessage.id > last_id)
                .order_by(OutboundMessage.id)
            ).scalars()
        )


def check_outbox(expected: list[dict], sent: list[OutboundMessage], where: str) -> None:
    """`outbox: [{to: phone, contains: text}]`: messages queued by this step (alerts...)."""
    for want in expected:
        to = to_e164(want["to"])
        hits = [m for m in sent if m.to_phone == to and want.get("contains", "") in m.body]
        if want.get("absent"):
            assert not hits, f"{where}: unexpected message to {to}: {[m.body for m in hits]}"
        else:
            assert (
                hits
            ), f"{where}: no message to {to} with {want}: {[(m.to_phone, m.body) for m in sent]}"


def dashboard_client(app, rt, phone: str):
    """A browser logged in to the dashboard as the worker with this phone (a login is created
    for her: her own role, the puskesmas admin as admin)."""
    username = "staf" + to_e164(phone)[-6:]
    with transaction(rt.session_factory) as s:
        worker = s.execute(select(Worker).where(Worker.phone == to_e164(phone))).scalar_one()
        if s.execute(select(StaffUser).where(StaffUser.username == username)).first() is None:
            s.add(
                StaffUser(
                    username=username,
                    password_hash=hash_password(STAFF_PASSWORD),
                    role=worker.role if worker.role in ("bidan", "kader") else "admin",
                    worker_id=worker.id,
                    active=True,
                    created_at=to_db(rt.clock.now()),
                    updated_at=to_db(rt.clock.now()),
                )
            )
    browser = app.test_client()
    resp = browser.post(
        "/dashboard/masuk",
        data={"username": username, "password": STAFF_PASSWORD, "csrf_token": csrf(browser)},
    )
    assert resp.status_code == 302, resp.get_data(as_text=True)
    return browser


def csrf(browser, path: str = "/dashboard/masuk") -> str:
    html = browser.get(path).get_data(as_text=True)
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, f"no CSRF token on {path}"
    return match.group(1)


def run_dashboard(step: dict, app, rt, where: str) -> None:
    """`dashboard: {as: phone, do: accept|close|report_status, ref, ...form fields}` (`do` left
    out: only look) then `page: {alert|report: ref, contains: [...]}`: a change made on the
    dashboard by that worker's login, and what the dashboard shows afterwards."""
    spec = dict(step["dashboard"])
    browser = dashboard_client(app, rt, spec.pop("as"))
    action, ref = spec.pop("do", None), str(spec.pop("ref", ""))
    with rt.session_factory() as s:
        alert = s.execute(select(Alert).where(Alert.ref == ref)).scalar_one_or_none()
        report = s.execute(select(Report).where(Report.ref == ref)).scalar_one_or_none()
    if action is not None:
        path = {
            "accept": f"/dashboard/peringatan/{alert.id}/terima",
            "close": f"/dashboard/peringatan/{alert.id}/selesai",
            "report_status": f"/dashboard/laporan/{report.id}/status",
        }[action]
        form = {k: str(v) for k, v in spec.items()}
        resp = browser.post(path, data={**form, "csrf_token": csrf(browser, "/dashboard/")})
        assert resp.status_code == 302, f"{where}: {resp.status_code}"
        flashed = browser.get(resp.headers["Location"]).get_data(as_text=True)
        assert 'class="flash error' not in flashed, f"{where}: refused: {html_text(flashed)}"
    page = step.get("page")
    if page:
        model = Alert if "alert" in page else Report
        with rt.session_factory() as s:
            ref = str(page.get("alert", page.get("report")))
            row_id = s.execute(select(model.id).where(model.ref == ref)).scalar_one()
        url = f"/dashboard/{'peringatan' if model is Alert else 'laporan'}/{row_id}"
        html = html_text(browser.get(url).get_data(as_text=True))
        for text in page.get("contains", []):
            assert text in html, f"{where}: {text!r} not on {url}: {html}"


def html_text(html: str) -> str:
    """The page's text: tags removed, entities decoded, spaces collapsed."""
    import html as html_lib

    return " ".join(html_lib.unescape(re.sub(r"<[^>]+>", " ", html)).split())


def run_job(name: str, rt) -> None:
    if name == "escalate":
        with transaction(rt.session_factory) as s:
            ids = escalate_due(s, rt.clock.now(), rt.settings, rt.catalog)
        rt.outbox.deliver_many(ids)
    elif name == "remind":  # the reminder job: re-plan everyone, then send what is due now
        from scheduler.reminders import plan_all, send_due

        plan_all(rt.session_factory, rt.clock.now(), rt.settings)
        with transaction(rt.session_factory) as s:
            ids = send_due(s, rt.clock.now(), rt.settings)
        rt.outbox.deliver_many(ids)
    elif name == "plan":  # the nightly re-plan
        jobs.job_plan(rt)
    elif name == "reminders":  # the reminder send job
        jobs.job_send_reminders(rt)
    else:  # pragma: no cover - a typo in a transcript
        raise AssertionError(f"unknown job {name}")


def run_setup(spec: dict, rt) -> None:
    """`setup: {household: {phone, name, area, persons: [{name, sex, birth_date, hpht,
    delivery_date, given: {BCG: 2026-09-01}}]}}`: a registered, consenting household (the
    registration conversation has transcripts of its own), optionally with doses recorded."""
    spec = spec["household"]
    now = to_db(rt.clock.now())
    with transaction(rt.session_factory) as s:
        area = s.execute(select(Area).where(Area.code == spec["area"])).scalar_one()
        contact = Contact(
            phone=to_e164(str(spec["phone"])),
            channel=spec.get("channel", "simulator"),
            name=spec["name"],
            area_id=area.id,
            consent_at=now,
            created_at=now,
        )
        s.add(contact)
        s.flush()
        for p in spec["persons"]:
            person = Person(
                contact_id=contact.id,
                name=p["name"],
                sex=p.get("sex"),
                birth_date=p.get("birth_date"),
                hpht=p.get("hpht"),
                delivery_date=p.get("delivery_date"),
                area_id=area.id,
                created_at=now,
                updated_at=now,
            )
            s.add(person)
            s.flush()
            for item, on in (p.get("given") or {}).items():
                s.add(
                    DoseRecord(
                        person_id=person.id,
                        item=item,
                        occurrence="1",
                        given_on=on,
                        source="kader",
                        created_at=now,
                    )
                )


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_transcript(path, client, clock, rt):
    script = yaml.safe_load(path.read_text())
    clock.set(datetime.fromisoformat(script["clock"]))
    for i, step in enumerate(script["steps"], 1):
        what = step.get("send", step.get("run", step.get("dashboard")))
        where = f"{path.name} step {i} ({what!r})"
        if "advance" in step:
            clock.advance(**step["advance"])
            if not {"send", "run", "dashboard", "setup"} & set(step):
                continue  # time passes, nothing is sent
        last_id = max([m.id for m in outbox_since(rt, 0)] or [0])
        if "setup" in step:
            run_setup(step["setup"], rt)
            continue
        if "run" in step:
            run_job(step["run"], rt)
            check_outbox(step.get("outbox", []), outbox_since(rt, last_id), where)
            continue
        if "dashboard" in step:
            run_dashboard(step, client.application, rt, where)
            check_outbox(step.get("outbox", []), outbox_since(rt, last_id), where)
            continue
        sender = step.get("from", script["from"])
        resp = client.post("/simulator/send", json={"from": sender, "text": step["send"]})
        assert resp.status_code == 200, where
        data = resp.get_json()
        if "replies" in step:
            positive = [r for r in step["replies"] if not r.get("absent")]
            if step["replies"] == []:
                assert data["replies"] == [], f"{where}: expected silence, got {data['replies']}"
            else:
                assert len(data["replies"]) >= len(positive), where
            for expect in step["replies"]:
                check_reply(expect, data["replies"], where)
        if "events" in step:
            check_events(step["events"], data["events"], where)
        if "outbox" in step:
            check_outbox(step["outbox"], outbox_since(rt, last_id), where)
