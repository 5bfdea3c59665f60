"""Day-before visit reminders and the kader's daily digest: right time, once."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select

from bot.clock import to_db
from bot.db import transaction
from bot.models import Alert, Area, Contact, OutboundMessage, Person, Visit
from scheduler import jobs

WIB = ZoneInfo("Asia/Jakarta")


def seed(rt) -> None:
    now = rt.clock.now()
    with transaction(rt.session_factory) as s:
        kaler = s.execute(select(Area).where(Area.code == "SKM-KLR")).scalar_one()
        c = Contact(phone="+6281234569001", channel="whatsapp", area_id=kaler.id,
                    consent_at=to_db(now), created_at=to_db(now))  # fmt: skip
        s.add(c)
        s.flush()
        child = Person(contact_id=c.id, name="Rina", sex="P", birth_date=date(2026, 3, 1),
                       area_id=kaler.id, created_at=to_db(now), updated_at=to_db(now))  # fmt: skip
        s.add(child)
        s.flush()
        s.add(Visit(ref="700001", contact_id=c.id, person_id=child.id, purpose="immunization",
                    place="pustu-skm", scheduled_at=to_db(datetime(2026, 11, 23, 9, tzinfo=WIB)),
                    status="booked", created_at=to_db(now), updated_at=to_db(now)))  # fmt: skip
        s.add(Alert(ref="700002", kind="symptom", urgency="routine", contact_id=c.id,
                    area_id=kaler.id, status="open", level=1, summary="diare", declined_by=[],
                    created_at=to_db(now), updated_at=to_db(now)))  # fmt: skip


def sent(rt, kind=None):
    with rt.session_factory() as s:
        q = select(OutboundMessage).order_by(OutboundMessage.id)
        return [m for m in s.execute(q).scalars() if kind is None or m.kind == kind]


def test_visit_reminder_the_day_before_once(rt, clock):
    seed(rt)
    clock.set(datetime(2026, 11, 22, 7, 30, tzinfo=WIB))
    jobs.job_daily(rt)
    assert [m for m in sent(rt, "reminder")] == []  # before the reminder hour
    clock.set(datetime(2026, 11, 22, 8, 5, tzinfo=WIB))
    jobs.job_daily(rt)
    jobs.job_daily(rt)
    reminders = sent(rt, "reminder")
    assert len(reminders) == 1
    assert "besok jam 09.00" in reminders[0].body and "Pustu Sukamaju" in reminders[0].body


def test_kader_digest_once_a_day(rt, clock):
    seed(rt)
    clock.set(datetime(2026, 11, 22, 6, 55, tzinfo=WIB))  # before quiet hours end
    jobs.job_daily(rt)
    assert [m for m in sent(rt, "alert") if m.to_phone == "+6281100000001"] == []
    clock.set(datetime(2026, 11, 22, 7, 5, tzinfo=WIB))
    jobs.job_daily(rt)
    jobs.job_daily(rt)
    digests = [m for m in sent(rt, "alert") if m.to_phone == "+6281100000001"]
    assert len(digests) == 1
    body = digests[0].body
    assert "laporan ref 700002" in body
    assert "Rina" in body and "terlambat" in body  # 8-month-old with nothing recorded
    budi = [m for m in sent(rt, "alert") if m.to_phone == "+6281100000002"]
    assert budi == []  # another dusun, nothing to say


def test_digest_lists_overdue_babies_not_missed_school_doses(rt, clock):
    seed(rt)
    now = rt.clock.now()
    with transaction(rt.session_factory) as s:
        kaler = s.execute(select(Area).where(Area.code == "SKM-KLR")).scalar_one()
        c = Contact(phone="+6281234569002", channel="whatsapp", area_id=kaler.id,
                    consent_at=to_db(now), created_at=to_db(now))  # fmt: skip
        s.add(c)
        s.flush()
        # 7 years old: MR and DT of kelas 1 (BIAS) are overdue, nothing else
        s.add(Person(contact_id=c.id, name="Dimas", sex="L", birth_date=date(2019, 3, 1),
                     area_id=kaler.id, created_at=to_db(now), updated_at=to_db(now)))  # fmt: skip
    rt.settings["digest"]["top"] = 50  # room for everyone overdue
    clock.set(datetime(2026, 12, 5, 7, 5, tzinfo=WIB))
    jobs.job_daily(rt)
    body = next(m.body for m in sent(rt, "alert") if m.to_phone == "+6281100000001")
    assert "Rina" in body
    assert "Dimas" not in body
