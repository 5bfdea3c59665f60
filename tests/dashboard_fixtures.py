"""Fixtures for the dashboard tests: the app with the dashboard registered (no NLU model is
loaded: the dashboard never parses messages), staff logins and a small seeded district."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timezone

import pytest
from sqlalchemy import select

from bot import dashboard
from bot.clock import to_db
from bot.dashboard.auth import hash_password
from bot.db import transaction
from bot.models import (
    Alert,
    Area,
    Contact,
    DoseRecord,
    InboundMessage,
    OutboundMessage,
    Person,
    Report,
    StaffUser,
    Visit,
    Worker,
)
from tests.conftest import make_app

__all__ = ["PASSWORDS", "Seed", "dash_app", "dash_client", "login", "seed"]

PASSWORDS = {"admin": "admin-rahasia-1", "sari": "bidan-rahasia-2", "ani": "kader-rahasia-3"}
STAFF = (
    ("admin", "admin", None),
    ("sari", "bidan", "+6281100000003"),
    ("ani", "kader", "+6281100000001"),
)
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture
def dash_app(db_url, clock):
    """The app on a fresh database with district.yml loaded and the dashboard registered."""
    app = make_app(db_url, clock, None)
    dashboard.init_app(app)
    yield app
    app.extensions["jemput_bola"].engine.dispose()


@pytest.fixture
def dash_client(dash_app):
    return dash_app.test_client()


def csrf_of(client, path: str = "/dashboard/masuk") -> str:
    match = CSRF.search(client.get(path).get_data(as_text=True))
    assert match, f"no CSRF token on {path}"
    return match.group(1)


def login(client, username: str, password: str | None = None):
    """Log in through the form (with its CSRF token); returns the response."""
    token = csrf_of(client)
    return client.post(
        "/dashboard/masuk",
        data={
            "username": username,
            "password": PASSWORDS.get(username, "") if password is None else password,
            "csrf_token": token,
        },
    )


@dataclass
class Seed:
    siti: int  # pregnant mother, Kaler (SKM-KLR), 2 ANC visits
    bayu: int  # her son, born 2026-05-10, some doses, emergency alert today
    citra: int  # girl in Kidul (SKM-KDL), born 2026-01-15, basic immunization complete
    dimas: int  # boy in Cirumput (MKS-CRM), born 2026-03-01, no doses
    alert_id: int
    report_id: int  # Bayu's emergency report
    complaint_id: int  # complaint from Dimas's family (MKS)
    visit_id: int  # home visit for Dimas today 13:00 WIB
    failed_id: int  # outbound message failed with 63016


def _wib(y, m, d, hh=9, mm=0) -> datetime:
    return datetime(y, m, d, hh - 7, mm, tzinfo=timezone.utc)


@pytest.fixture
def seed(dash_app) -> Seed:
    """Staff logins (admin, bidan Sari for SKM, kader Ani for SKM-KLR) and a few residents."""
    rt = dash_app.extensions["jemput_bola"]
    now = rt.clock.now()
    ts = to_db(now)
    with transaction(rt.session_factory) as s:
        area = {a.code: a.id for a in s.execute(select(Area)).scalars()}
        for username, role, phone in STAFF:
            worker = (
                s.execute(select(Worker).where(Worker.phone == phone)).scalar_one()
                if phone
                else None
            )
            s.add(
                StaffUser(
                    username=username,
                    password_hash=hash_password(PASSWORDS[username]),
                    role=role,
                    worker_id=worker.id if worker else None,
                    active=True,
                    created_at=ts,
                    updated_at=ts,
                )
            )

        def contact(phone: str, code: str, name: str) -> Contact:
            c = Contact(
                phone=phone,
                channel="whatsapp",
                name=name,
                area_id=area[code],
                consent_at=ts,
                created_at=ts,
                last_inbound_at=ts,
            )
            s.add(c)
            s.flush()
            return c

        def person(c: Contact, name: str, sex: str, born: date | None, **extra) -> Person:
            p = Person(
                contact_id=c.id,
                name=name,
                sex=sex,
                birth_date=born,
                area_id=c.area_id,
                created_at=to_db(_wib(2026, 1, 1)),
                updated_at=ts,
                **extra,
            )
            s.add(p)
            s.flush()
            return p

        def doses(p: Person, given: dict[str, date]) -> None:
            for item, on in given.items():
                s.add(
                    DoseRecord(
                        person_id=p.id, item=item, occurrence="1", given_on=on,
                        source="kader", created_at=ts,
                    )
                )  # fmt: skip

        ca = contact("+6281234567001", "SKM-KLR", "Siti Aminah")
        siti = person(ca, "Siti Aminah", "P", date(1995, 4, 10), hpht=date(2026, 6, 1))
        doses(siti, {"ANC1": date(2026, 7, 1), "ANC2": date(2026, 9, 15)})
        bayu = person(ca, "Bayu Pratama", "L", date(2026, 5, 10), mother_id=siti.id)
        doses(bayu, {"HB0": date(2026, 5, 10), "BCG": date(2026, 6, 12), "OPV1": date(2026, 6, 12)})
        cb = contact("+6281234567002", "SKM-KDL", "Rina")
        citra = person(cb, "Citra Lestari", "P", date(2026, 1, 15))
        citra_doses = {
            "HB0": date(2026, 1, 15),
            "BCG": date(2026, 2, 16),
            "OPV1": date(2026, 2, 16),
        }
        for items, on in (
            (("DPT1", "OPV2", "PCV1", "RV1"), date(2026, 3, 16)),
            (("DPT2", "OPV3", "PCV2", "RV2"), date(2026, 4, 15)),
            (("DPT3", "OPV4", "RV3", "IPV1"), date(2026, 5, 15)),
            (("MR1",), date(2026, 10, 15)),
        ):
            citra_doses.update(dict.fromkeys(items, on))
        doses(citra, citra_doses)
        cc = contact("+6281234567003", "MKS-CRM", "Pak Joko")
        dimas = person(cc, "Dimas Saputra", "L", date(2026, 3, 1))

        report = Report(
            ref="200001", kind="symptom", contact_id=ca.id, person_id=bayu.id,
            urgency="emergency", symptoms=["convulsion", "fever"], text="anak kejang panas tinggi",
            status="open", created_at=to_db(_wib(2026, 11, 22, 9, 30)), updated_at=ts,
        )  # fmt: skip
        s.add(report)
        s.flush()
        alert = Alert(
            ref="200001", kind="symptom", urgency="emergency", report_id=report.id,
            contact_id=ca.id, person_id=bayu.id, area_id=area["SKM-KLR"], status="open",
            level=1, summary="kejang, demam", declined_by=[],
            escalate_at=to_db(_wib(2026, 11, 22, 9, 45)),
            created_at=to_db(_wib(2026, 11, 22, 9, 30)), updated_at=ts,
        )  # fmt: skip
        s.add(alert)
        complaint = Report(
            ref="200002", kind="complaint", contact_id=cc.id, urgency="routine",
            category="waiting_time", symptoms=[], text="[puskesmas] antre terlalu lama",
            status="open", created_at=to_db(_wib(2026, 11, 21, 15)), updated_at=ts,
        )  # fmt: skip
        s.add(complaint)
        visit = Visit(
            ref="200003", contact_id=cc.id, person_id=dimas.id, purpose="imunisasi",
            place="home", scheduled_at=to_db(_wib(2026, 11, 22, 13)), status="booked",
            created_at=ts, updated_at=ts,
        )  # fmt: skip
        s.add(visit)
        s.add(
            InboundMessage(
                provider_message_id="SM-seed-1", channel="whatsapp", contact_id=ca.id,
                from_phone=ca.phone, body="anak saya kejang", intent="report_symptom",
                received_at=to_db(_wib(2026, 11, 22, 9, 29)),
            )
        )  # fmt: skip
        out = []
        for key, c, status, code, body in (
            ("seed:1", ca, "delivered", None, "Laporan 200001 kami terima."),
            ("seed:2", ca, "failed", "63016", "Pengingat imunisasi untuk Bayu Pratama."),
            ("seed:3", cc, "failed", "21610", "Pengingat imunisasi untuk Dimas Saputra."),
        ):
            msg = OutboundMessage(
                idempotency_key=key, contact_id=c.id, to_phone=c.phone, channel="whatsapp",
                kind="reminder", body=body, status=status, attempts=1, error_code=code,
                created_at=to_db(_wib(2026, 11, 22, 8)), updated_at=ts,
            )  # fmt: skip
            s.add(msg)
            s.flush()
            out.append(msg.id)
        s.flush()
        ids = Seed(
            siti=siti.id, bayu=bayu.id, citra=citra.id, dimas=dimas.id, alert_id=alert.id,
            report_id=report.id, complaint_id=complaint.id, visit_id=visit.id, failed_id=out[1],
        )  # fmt: skip
    return ids


# ------------------------------------------------------------------ alerts without a report


@dataclass
class Ended:
    person: int  # the woman whose pregnancy ended
    alert_id: int
    ref: str


def add_woman(
    dash_app, name: str, area_code: str, phone: str, born: date = date(1998, 2, 3), **extra
) -> int:
    """A woman on her own number in `area_code` (extra: hpht, delivery_date, outcome...)."""
    rt = dash_app.extensions["jemput_bola"]
    ts = to_db(rt.clock.now())
    with transaction(rt.session_factory) as s:
        area = s.execute(select(Area).where(Area.code == area_code)).scalar_one()
        c = Contact(
            phone=phone, channel="whatsapp", name=name, area_id=area.id, consent_at=ts,
            created_at=ts, last_inbound_at=ts,
        )  # fmt: skip
        s.add(c)
        s.flush()
        p = Person(
            contact_id=c.id, name=name, sex="P", birth_date=born, area_id=area.id,
            created_at=ts, updated_at=ts, **extra,
        )  # fmt: skip
        s.add(p)
        s.flush()
        return p.id


def add_miscarriage(dash_app, *, escalated: bool = True, anc1: bool = True) -> Ended:
    """Wulan in Kidul (SKM-KDL) lost her pregnancy at 9 weeks (HPHT 31-08-2026, 02-11-2026):
    the bidan got the miscarriage alert (ref 648910) two hours ago through notify_workers, as
    the bot sends it; nobody took it, so it went to the puskesmas on duty (`escalated`)."""
    from datetime import timedelta

    from bot.alert_lifecycle import escalate
    from bot.deps import HandlerDeps
    from bot.handlers.household import notify_workers

    rt = dash_app.extensions["jemput_bola"]
    person_id = add_woman(
        dash_app, "Wulan Anggraini", "SKM-KDL", "+6281234567010",
        hpht=date(2026, 8, 31), delivery_date=date(2026, 11, 2), pregnancy_outcome="loss",
        delivery_weeks=9,
    )  # fmt: skip
    now = rt.clock.now()
    with transaction(rt.session_factory) as s:
        wulan = s.get(Person, person_id)
        if anc1:
            s.add(
                DoseRecord(
                    person_id=person_id, item="ANC1", occurrence="1", given_on=date(2026, 10, 20),
                    source="kader", created_at=to_db(now),
                )
            )  # fmt: skip
        notify_workers(
            HandlerDeps.of(rt, s, now - timedelta(hours=2)), s.get(Contact, wulan.contact_id),
            {"ref": "648910"}, wulan, kind="miscarriage",
            summary="Wulan Anggraini keguguran 02-11-2026, usia kehamilan 9 minggu",
            template="alert.miscarriage", roles=("bidan",),
        )  # fmt: skip
        alert = s.execute(select(Alert).where(Alert.ref == "648910")).scalar_one()
        if escalated:
            escalate(s, alert, now)
        return Ended(person=person_id, alert_id=alert.id, ref=alert.ref)


def add_preterm_birth(dash_app) -> Ended:
    """Dewi in Kaler (SKM-KLR) gave birth at 35 weeks yesterday: a routine birth alert
    (ref 648920) that says PREMATUR, open, without a report."""
    from bot.deps import HandlerDeps
    from bot.handlers.household import notify_workers

    rt = dash_app.extensions["jemput_bola"]
    person_id = add_woman(
        dash_app, "Dewi Lestari", "SKM-KLR", "+6281234567011", hpht=date(2026, 3, 16),
        delivery_date=date(2026, 11, 21), pregnancy_outcome="birth", delivery_weeks=35,
    )  # fmt: skip
    with transaction(rt.session_factory) as s:
        dewi = s.get(Person, person_id)
        notify_workers(
            HandlerDeps.of(rt, s, rt.clock.now()), s.get(Contact, dewi.contact_id),
            {"ref": "648920"}, dewi, kind="birth",
            summary="Dewi Lestari melahirkan 21-11-2026, bayi perempuan, PREMATUR (usia "
            "kehamilan 35 minggu)",
            template="alert.birth_preterm", roles=("kader", "bidan"),
        )  # fmt: skip
        alert = s.execute(select(Alert).where(Alert.ref == "648920")).scalar_one()
        return Ended(person=person_id, alert_id=alert.id, ref=alert.ref)
