"""Reminders end to end: rows planned once, sent once at local morning, SUDAH stops them."""

from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from sqlalchemy import func, select, text

from bot.clock import to_db
from bot.db import transaction
from bot.models import Area, Contact, DoseRecord, OutboundMessage, Person, Reminder
from scheduler import jobs
from scheduler.reminders import Zones, places, plan_all, plan_everyone, plan_person

WIB = ZoneInfo("Asia/Jakarta")
PHONE = "+6281234560001"


def add_household(rt, birth: date, channel="simulator", consent=True, phone=PHONE, **person) -> int:
    now = rt.clock.now()
    with transaction(rt.session_factory) as s:
        area = s.execute(select(Area).where(Area.code == "SKM-KLR")).scalar_one()
        contact = Contact(
            phone=phone,
            channel=channel,
            name="Sari",
            area_id=area.id,
            consent_at=to_db(now) if consent else None,
            created_at=to_db(now),
        )
        s.add(contact)
        s.flush()
        p = Person(
            contact_id=contact.id,
            name=person.pop("name", "Bayi Sari"),
            sex=person.pop("sex", "P"),
            birth_date=birth,
            area_id=area.id,
            created_at=to_db(now),
            updated_at=to_db(now),
            **person,
        )
        s.add(p)
        s.flush()
        return p.id


def reminder_messages(rt) -> list[OutboundMessage]:
    with rt.session_factory() as s:
        return list(
            s.execute(
                select(OutboundMessage)
                .where(OutboundMessage.kind == "reminder")
                .order_by(OutboundMessage.id)
            ).scalars()
        )


def rows(rt):
    with rt.session_factory() as s:
        return list(s.execute(select(Reminder).order_by(Reminder.id)).scalars())


def test_planning_twice_creates_nothing_twice(rt, clock):
    add_household(rt, date(2026, 11, 22))
    first = plan_all(rt.session_factory, clock.now(), rt.settings)
    again = plan_all(rt.session_factory, clock.now(), rt.settings)
    assert first > 0 and again == 0
    items = {r.item for r in rows(rt)}
    assert "HB0" in items and "BCG" in items


def test_parallel_replan_writes_what_the_sequential_one_writes(rt, clock):
    births = [date(2026, 11, 22) - timedelta(days=45 * i) for i in range(7)]
    for i, birth in enumerate(births):
        add_household(rt, birth, phone=f"+62812345600{i + 10}", name=f"Anak {i}")
    url = rt.engine.url.render_as_string(hide_password=False)
    settings = {**rt.settings, "reminders": {**rt.settings["reminders"], "plan_workers": 2}}

    first = plan_everyone(rt.session_factory, url, clock.now(), settings, parallel_from=1)
    parallel = sorted((r.person_id, r.item, r.occurrence, r.stage, r.send_at) for r in rows(rt))
    assert first == len(parallel) > 0
    assert plan_everyone(rt.session_factory, url, clock.now(), settings, parallel_from=1) == 0

    with transaction(rt.session_factory) as s:
        s.query(Reminder).delete()
    assert plan_all(rt.session_factory, clock.now(), rt.settings) == first
    sequential = sorted((r.person_id, r.item, r.occurrence, r.stage, r.send_at) for r in rows(rt))
    assert sequential == parallel


def test_bulk_planned_rows_are_stored_exactly_like_orm_rows(rt, clock):
    """plan_all writes SQLite rows through the driver; they must read and compare the same."""
    pid = add_household(rt, date(2026, 9, 1))

    def stored() -> list[tuple]:
        with rt.session_factory() as s:
            return [
                tuple(map(str, r))
                for r in s.execute(
                    text(
                        "SELECT item, occurrence, stage, due_on, send_at, status, created_at "
                        "FROM reminder ORDER BY item, occurrence, stage"
                    )
                )
            ]

    assert plan_all(rt.session_factory, clock.now(), rt.settings) > 0
    bulk = stored()
    with transaction(rt.session_factory) as s:
        s.query(Reminder).delete()
    with transaction(rt.session_factory) as s:  # one person through the ORM, row by row
        person, contact = s.get(Person, pid), s.execute(select(Contact)).scalar_one()
        zones = Zones(s, rt.settings["timezone"], places(rt.settings))
        plan_person(s, person, contact, [], clock.now(), rt.settings, zones)
    assert stored() == bulk
    due = select(func.count()).select_from(Reminder).where(Reminder.send_at <= to_db(clock.now()))
    with rt.session_factory() as s:
        assert s.scalar(due) > 0  # overdue items, sent from now: compared as stored


def test_no_consent_no_reminders(rt, clock):
    add_household(rt, date(2026, 11, 22), consent=False)
    plan_all(rt.session_factory, clock.now(), rt.settings)
    assert rows(rt) == []


def test_changed_birth_date_moves_pending_rows(rt, clock):
    pid = add_household(rt, date(2026, 11, 22))
    plan_all(rt.session_factory, clock.now(), rt.settings)
    bcg = next(r for r in rows(rt) if r.item == "BCG" and r.stage == "due")
    with transaction(rt.session_factory) as s:
        s.get(Person, pid).birth_date = date(2026, 11, 15)
    plan_all(rt.session_factory, clock.now(), rt.settings)
    moved = next(r for r in rows(rt) if r.item == "BCG" and r.stage == "due")
    assert moved.id == bcg.id and moved.due_on < bcg.due_on


def test_newborn_through_18_months(rt, clock, client):
    """Advance day by day: each reminder goes out once, in the local morning, one message per
    day at most, and SUDAH stops the items it answers."""
    birth = date(2026, 11, 22)
    add_household(rt, birth)
    clock.set(datetime(2026, 11, 22, 8, 0, tzinfo=WIB))
    jobs.job_plan(rt)
    answered: list[str] = []
    seen_days = set()
    day = birth
    while day <= date(2028, 5, 22):
        clock.set(datetime.combine(day, datetime.min.time(), WIB).replace(hour=8))
        if day.day == 1:
            jobs.job_plan(rt)  # the daily plan job, monthly here to keep the test quick
        before = len(reminder_messages(rt))
        jobs.job_send_reminders(rt)
        new = reminder_messages(rt)[before:]
        assert len(new) <= 1, f"two reminder messages on {day}"
        for msg in new:
            local = msg.created_at.replace(tzinfo=timezone.utc).astimezone(WIB)
            assert 7 <= local.hour < 20
            assert local.date() not in seen_days
            seen_days.add(local.date())
            resp = client.post("/simulator/send", json={"from": PHONE, "text": "SUDAH"})
            data = resp.get_json()
            reported = [e for e in data["events"] if e["type"] == "doses_reported"]
            assert reported, (day, data)
            answered += [i["item"] for i in reported[0]["items"]]
        day += timedelta(days=1)
    # every routine antigen of the first 18 months was reminded and answered exactly once
    for item in ["HB0", "BCG", "OPV1", "DPT1", "DPT2", "DPT3", "PCV1", "RV1", "IPV1", "MR1"]:
        assert answered.count(item) == 1, (item, answered)
    with rt.session_factory() as s:
        sent_twice = s.execute(
            select(Reminder.item, func.count())
            .where(Reminder.status.in_(("sent", "done")), Reminder.outbound_id.is_not(None))
            .group_by(Reminder.item, Reminder.occurrence, Reminder.stage)
            .having(func.count() > 1)
        ).all()
    assert sent_twice == []


def test_a_send_run_after_a_gap_sends_each_item_once_and_nothing_expired(rt, clock):
    """Third trial: `reminders send` on day 8 without a re-plan listed HB0, KN1, KF1... twice
    ("sudah waktunya" and "terlambat") and told the mother to get HB0, which is not given after
    7 days."""
    birth = date(2026, 11, 22)
    add_household(rt, birth)
    clock.set(datetime(2026, 11, 22, 8, 0, tzinfo=WIB))
    jobs.job_plan(rt)  # then nothing runs for a week
    clock.set(datetime(2026, 11, 30, 8, 0, tzinfo=WIB))
    jobs.job_send_reminders(rt)
    (msg,) = reminder_messages(rt)
    lines = [ln for ln in msg.body.splitlines() if ln.startswith("- ")]
    assert len(lines) == len({ln.rsplit(")", 1)[0] for ln in lines}), lines  # each item once
    assert not any("HB0" in ln or "Hepatitis B" in ln for ln in lines), lines


def test_scheduler_down_two_days_sends_once(rt, clock):
    add_household(rt, date(2026, 11, 22))
    jobs.job_plan(rt)
    clock.advance(days=2)
    jobs.catch_up(rt)
    jobs.catch_up(rt)
    assert len(reminder_messages(rt)) == 1


def test_fake_twilio_500s_lose_and_duplicate_nothing(twilio_app, twilio, clock):
    rt = twilio_app.extensions["jemput_bola"]
    add_household(rt, date(2026, 11, 22), channel="whatsapp")
    jobs.job_plan(rt)
    twilio.fail_next(3, status=500)
    jobs.job_send_reminders(rt)
    for _ in range(6):
        clock.advance(minutes=5)
        jobs.job_dispatch(rt)
    assert len(twilio.sent) == 1
    assert len([r for r in twilio.requests if r["_status"] == "500"]) == 3
    assert reminder_messages(rt)[0].status == "sent"


def test_reminders_due_command(runner, rt, clock):
    import json

    add_household(rt, date(2026, 11, 22))
    result = runner.invoke(args=["reminders", "due", "--on", "2026-12-22", "--json"])
    assert result.exit_code == 0, result.output
    items = json.loads(result.output)
    assert {"phone", "person", "item", "status"} <= set(items[0])
    assert any(i["item"] == "BCG" and i["status"] == "due" for i in items)
    bad = runner.invoke(args=["reminders", "due", "--on", "2026-02-30"])
    assert bad.exit_code != 0 and "not a date" in bad.output


# --------------------------------------------------------------------------- send-time rules


def _pending(rt) -> list[Reminder]:
    return [r for r in rows(rt) if r.status == "pending"]


def test_send_run_at_2230_wib_sends_nothing_and_defers_to_the_morning(rt, clock):
    # planned at 10:00 WIB (overdue items go out at once), then the scheduler was down
    add_household(rt, date(2026, 9, 1))
    jobs.job_plan(rt)
    due_now = [r for r in _pending(rt) if r.send_at <= to_db(clock.now())]
    assert due_now, "the test needs reminders that were due before the night"
    clock.set(datetime(2026, 11, 22, 22, 30, tzinfo=WIB))
    assert jobs.job_send_reminders(rt) == 0
    assert reminder_messages(rt) == []
    morning = to_db(datetime(2026, 11, 23, 7, 0, tzinfo=WIB))
    deferred_rows = {r.id: r.send_at for r in _pending(rt) if r.id in {d.id for d in due_now}}
    assert set(deferred_rows.values()) == {morning}
    clock.set(datetime(2026, 11, 23, 6, 59, tzinfo=WIB))
    assert jobs.job_send_reminders(rt) == 0
    clock.set(datetime(2026, 11, 23, 7, 0, tzinfo=WIB))
    assert jobs.job_send_reminders(rt) == 1
    local = reminder_messages(rt)[0].created_at.replace(tzinfo=timezone.utc).astimezone(WIB)
    assert (local.date(), local.hour) == (date(2026, 11, 23), 7)


def test_send_run_during_friday_prayer_defers_to_after_it(rt, clock):
    clock.set(datetime(2026, 11, 27, 10, 0, tzinfo=WIB))  # Friday
    add_household(rt, date(2026, 9, 1))
    jobs.job_plan(rt)
    clock.set(datetime(2026, 11, 27, 12, 0, tzinfo=WIB))
    assert jobs.job_send_reminders(rt) == 0
    after_prayer = to_db(datetime(2026, 11, 27, 13, 0, tzinfo=WIB))
    assert min(r.send_at for r in _pending(rt)) == after_prayer
    clock.set(datetime(2026, 11, 27, 12, 55, tzinfo=WIB))
    assert jobs.job_send_reminders(rt) == 0
    clock.set(datetime(2026, 11, 27, 13, 0, tzinfo=WIB))
    assert jobs.job_send_reminders(rt) == 1


def test_send_time_is_checked_in_the_contacts_zone(rt, clock):
    """At 06:30 WIB it is 08:30 in Papua (WIT): the WIT contact gets its reminder, the WIB one
    waits for 07:00 WIB."""
    add_household(rt, date(2026, 9, 1), phone="+6281234560101", name="Bayi Jakarta")
    wit_pid = add_household(rt, date(2026, 9, 1), phone="+6281234560102", name="Bayi Papua")
    with transaction(rt.session_factory) as s:
        papua = Area(code="PAPUA", name="Papua", level="desa", timezone="Asia/Jayapura")
        s.add(papua)
        s.flush()
        person = s.get(Person, wit_pid)
        person.area_id = papua.id
        s.get(Contact, person.contact_id).area_id = papua.id
    jobs.job_plan(rt)
    clock.set(datetime(2026, 11, 23, 6, 30, tzinfo=WIB))
    assert jobs.job_send_reminders(rt) == 1
    sent = reminder_messages(rt)
    assert [m.to_phone for m in sent] == ["+6281234560102"]
    clock.set(datetime(2026, 11, 23, 7, 0, tzinfo=WIB))
    assert jobs.job_send_reminders(rt) == 1
    assert [m.to_phone for m in reminder_messages(rt)][1:] == ["+6281234560101"]


# --------------------------------------------------------------------------- series


def test_only_the_next_dose_of_a_series_gets_reminder_rows(rt, clock):
    """A 4-month-old with nothing recorded: DPT1 is reminded, DPT2/DPT3 are not (yet)."""
    pid = add_household(rt, date(2026, 7, 22))
    jobs.job_plan(rt)
    items = {r.item for r in rows(rt)}
    assert {"OPV1", "DPT1", "PCV1", "RV1", "IPV1"} <= items
    assert not items & {"OPV2", "OPV3", "OPV4", "DPT2", "DPT3", "PCV2", "RV2", "RV3"}

    # a kader records DPT1 (IMUN): the dose, and its reminders marked done
    with transaction(rt.session_factory) as s:
        s.add(DoseRecord(person_id=pid, item="DPT1", occurrence="1", given_on=date(2026, 11, 22),
                         source="kader", created_at=to_db(clock.now())))  # fmt: skip
        for r in s.execute(select(Reminder).where(Reminder.item == "DPT1")).scalars():
            r.status = "done"
    clock.set(datetime(2026, 11, 23, 1, 0, tzinfo=WIB))
    jobs.job_plan(rt)  # the nightly re-plan
    assert jobs.job_plan(rt) == 0  # and again: nothing changes
    dpt = {(r.item, r.stage): r for r in rows(rt) if r.item.startswith("DPT")}
    assert dpt[("DPT2", "due")].due_on == date(2026, 12, 20)  # 4 weeks after DPT1
    assert dpt[("DPT2", "due")].status == "pending"
    assert not any(item == "DPT3" for item, _ in dpt)

    clock.set(datetime(2026, 11, 23, 8, 0, tzinfo=WIB))
    jobs.job_send_reminders(rt)
    body = reminder_messages(rt)[-1].body
    assert "DPT-HB-Hib 2" not in body  # not the next day
    clock.set(datetime(2026, 12, 20, 8, 0, tzinfo=WIB))
    jobs.job_plan(rt)
    jobs.job_send_reminders(rt)
    assert "DPT-HB-Hib 2" in reminder_messages(rt)[-1].body


def test_bias_dose_is_reminded_in_the_bias_month_at_the_local_morning(rt, clock):
    add_household(rt, date(2019, 3, 10), name="Dimas", sex="L")  # kelas 1 in 2026/27 by age
    clock.set(datetime(2026, 7, 1, 1, 0, tzinfo=WIB))
    jobs.job_plan(rt)
    mr3 = {r.stage: r for r in rows(rt) if r.item == "MR3"}
    assert mr3["due"].due_on == date(2026, 8, 1)
    assert mr3["due"].send_at == to_db(datetime(2026, 8, 1, 8, 0, tzinfo=WIB))
    assert mr3["overdue"].due_on == date(2026, 9, 1)  # the BIAS month is over
    assert "DT" not in {r.item for r in rows(rt)}  # November is beyond the horizon
    assert "HPV" not in {r.item for r in rows(rt)}  # a boy
    clock.set(datetime(2026, 8, 1, 8, 0, tzinfo=WIB))
    jobs.job_send_reminders(rt)
    body = reminder_messages(rt)[-1].body
    assert "- Campak-Rubela (MR) kelas 1 (BIAS) (Dimas) sudah waktunya" in body  # since 1 Aug
    assert "MR3" not in body


def test_reminders_due_command_lists_one_dose_per_series(runner, rt, clock):
    import json

    add_household(rt, date(2026, 7, 22))  # 4 months old, nothing recorded
    result = runner.invoke(args=["reminders", "due", "--on", "2026-11-22", "--json"])
    assert result.exit_code == 0, result.output
    items = {i["item"] for i in json.loads(result.output)}
    assert items == {"BCG", "OPV1", "DPT1", "PCV1", "RV1", "IPV1"}


def test_a_pregnant_woman_with_no_check_recorded_is_reminded_of_her_first(rt, clock):
    """Third trial: a first check at 30 weeks was reminded as "Periksa hamil ke-5"."""
    clock.set(datetime(2026, 11, 22, 8, 0, tzinfo=WIB))
    pid = add_household(rt, date(1997, 3, 1), name="Yuyun", hpht=date(2026, 4, 20))
    jobs.job_plan(rt)
    jobs.job_send_reminders(rt)
    (msg,) = reminder_messages(rt)
    assert "Periksa hamil pertama (K1, dengan dokter, USG dan cek lab) (Yuyun)" in msg.body
    assert "Periksa hamil ke-" not in msg.body
    with transaction(rt.session_factory) as s:  # with one check on record: numbered again
        s.add(DoseRecord(person_id=pid, item="ANC1", occurrence="1", given_on=date(2026, 6, 1),
                         source="kader", created_at=to_db(clock.now())))  # fmt: skip
    clock.advance(days=1)
    jobs.job_plan(rt)
    jobs.job_send_reminders(rt)
    later = reminder_messages(rt)[1:]
    assert not later or "Periksa hamil pertama" not in later[0].body


def test_td_for_a_pregnant_woman_is_reminded_once_screened_and_the_screening_never(rt, clock):
    """TSCREEN is the bidan's check at the antenatal visit (whose reminder she gets): JADWAL
    and the dashboard show it, no reminder row. Once T1 is recorded, T2 is reminded 4 weeks
    later."""
    clock.set(datetime(2026, 11, 22, 8, 0, tzinfo=WIB))
    pid = add_household(rt, date(1997, 3, 1), name="Yuyun", sex="P", hpht=date(2026, 8, 1))
    jobs.job_plan(rt)
    assert not {r.item for r in rows(rt)} & {"TSCREEN", "T1", "T2"}
    with transaction(rt.session_factory) as s:
        s.add(DoseRecord(person_id=pid, item="T1", occurrence="1", given_on=date(2026, 11, 20),
                         source="kader", created_at=to_db(clock.now())))  # fmt: skip
    jobs.job_plan(rt)
    t2 = {r.stage: r for r in rows(rt) if r.item == "T2"}
    assert t2["due"].due_on == date(2026, 12, 18)  # 4 weeks after T1
    assert "TSCREEN" not in {r.item for r in rows(rt)}
