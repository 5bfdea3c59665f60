"""Visits: pure booking, schedule, cancel and reschedule steps, then the lookup and the event
handlers on the real pipeline (persons added through `rt` before chatting)."""

from dataclasses import replace
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.catalog import load_catalog
from bot.clock import to_db
from bot.db import transaction
from bot.district import load_district
from bot.models import Alert, Contact, DoseRecord, OutboundMessage, Person, Visit, Worker
from flows import booking
from flows import slots as rules
from flows.base import AreaInfo, Context, Message, PersonInfo, State
from flows.events import as_dicts
from flows.registry import FLOW_STEPS, INTENT_STARTS
from flows.router import MENU_NUMBERS
from nlu.dates import resolve_first
from tests.factories import resident_context

ROOT = Path(__file__).resolve().parent.parent
NOW = datetime(2026, 11, 22, 3, 0, tzinfo=timezone.utc)  # Sunday 10:00 WIB
DISTRICT = load_district(ROOT / "district.yml")
AREAS = tuple(AreaInfo(a["code"], a["name"], a["level"], a.get("parent")) for a in DISTRICT.areas)
PLACES = {p["code"]: p for p in DISTRICT.places}
CAT = load_catalog("id")
ANI = PersonInfo(5, "Ani", "P", date(1995, 3, 1), hpht=date(2026, 8, 1), area_code="SKM-KLR")
BAYU = PersonInfo(6, "Bayu", "L", date(2026, 9, 20), area_code="SKM-KLR")


def ctx(household=(), booked=None, upcoming=(), persons=None, area="SKM-KLR", name="Sri"):
    lookups = {
        "visits": {"booked": booked or {}, "upcoming": list(upcoming), "persons": persons or {}}
    }
    return resident_context(
        NOW,
        name=name,
        area_code=area,
        ref="100042",
        household=tuple(household),
        areas=AREAS,
        places=DISTRICT.places,
        lookups=lookups,
    )


def say(state: State, text: str, c: Context, intent: str | None = None):
    """One message through the flow's own steps (the router adds only keywords and triage)."""
    msg = Message(text, intent, 0.9)
    if state.idle:
        return INTENT_STARTS[intent or MENU_NUMBERS[text]](state, msg, c)
    return FLOW_STEPS[state.flow][state.step](state, msg, c)


def talk(c: Context, *texts: str, intent: str | None = None):
    state, step = State(), None
    for i, text in enumerate(texts):
        step = say(state, text, c, intent if i == 0 else None)
        state = step.state
    return step


def at_pustu(c: Context, when: str):
    """Book a check-up at the pustu for Siti (empty household) and answer `when`."""
    return talk(c, "3", "Siti", "1", "pustu", when)


def local(day: date, hour: int, minute: int = 0) -> str:
    return f"{day.isoformat()}T{hour:02d}:{minute:02d}:00+07:00"


# ----------------------------------------------------------------------------- slot rules


@pytest.mark.parametrize(
    ("place", "day", "expected"),
    [
        ("pustu-skm", date(2026, 11, 23), True),  # Monday
        ("pustu-skm", date(2026, 11, 22), False),  # Sunday
        ("pustu-skm", date(2026, 11, 28), False),  # Saturday
        ("puskesmas", date(2026, 11, 28), True),
        ("posyandu-melati", date(2026, 12, 8), True),  # 2nd Tuesday
        ("posyandu-melati", date(2026, 12, 1), False),  # 1st Tuesday
        ("posyandu-mawar", date(2026, 12, 17), True),  # 3rd Thursday
        ("home", date(2026, 11, 22), False),
    ],
)
def test_opening_days(place, day, expected):
    assert rules.is_open(PLACES[place], day) is expected


def test_listed_dates_open_a_place():
    place = {**PLACES["pustu-skm"], "days": [], "dates": [date(2026, 11, 29)]}
    assert rules.is_open(place, date(2026, 11, 29))
    assert not rules.is_open(place, date(2026, 11, 30))


def test_serves_by_area_or_ancestor_and_everything_when_unknown():
    assert rules.serves(PLACES["posyandu-melati"], "SKM-KLR-01", AREAS)
    assert not rules.serves(PLACES["posyandu-melati"], "SKM-KDL", AREAS)
    assert not rules.serves(PLACES["pustu-skm"], "MKS-CRM", AREAS)
    assert rules.serves(PLACES["pustu-skm"], None, AREAS)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("besok jam 9", local(date(2026, 11, 23), 9)),
        ("jam 9", local(date(2026, 11, 23), 9)),  # 09:00 today is over: tomorrow
        ("jam 11", local(date(2026, 11, 22), 11)),
        ("senin pagi", local(date(2026, 11, 23), 8)),  # pagi starts at opening time
        ("minggu depan", local(date(2026, 11, 23), 8)),  # next week's Monday, opening time
        ("hari ini", local(date(2026, 11, 22), 11)),  # today: the next whole hour
    ],
)
def test_requested_moment(text, expected):
    now = NOW.astimezone(datetime.fromisoformat(expected).tzinfo)
    when = resolve_first(text, NOW, "Asia/Jakarta")
    at = rules.requested_at(when, PLACES["pustu-skm"], now)
    assert at == datetime.fromisoformat(expected)


def test_free_options_skip_closed_and_full_days():
    now = NOW.astimezone(datetime.fromisoformat(local(date(2026, 11, 22), 0)).tzinfo)
    counts = {rules.count_key("pustu-skm", date(2026, 11, 24)): 20}
    free = rules.free_options(PLACES["pustu-skm"], date(2026, 11, 22), time(9), now, counts)
    assert [f.date().isoformat() for f in free] == ["2026-11-23", "2026-11-25", "2026-11-26"]
    assert all(f.time() == time(9) for f in free)


# ----------------------------------------------------------------------------- booking


def test_booking_at_the_pustu_tomorrow_at_nine():
    step = at_pustu(ctx(area=None), "besok jam 9")
    assert step.state.idle
    (event,) = as_dicts(step.events)
    assert event == {
        "type": "visit_booked",
        "ref": "100042",
        "person_id": None,
        "person_name": "Siti",
        "purpose": "anc",
        "place": "pustu-skm",
        "scheduled_at": "2026-11-23T02:00:00+00:00",
        "local_date": "2026-11-23",
        "local_time": "09:00",
    }
    reply = step.replies[0]
    for part in ("Senin 23 Nov", "09.00", "Pustu Sukamaju", "100042", "Siti"):
        assert part in reply
    assert len(reply) <= 160


def test_empty_household_asks_the_name_first():
    step = say(State(), "3", ctx(area=None))
    assert step.replies == (CAT.t("booking.ask_name"),)
    assert step.state.step == "name"


@pytest.mark.parametrize(
    ("when", "booked", "reason", "day", "first_option"),
    [
        ("hari ini jam 8", {}, "past", "Minggu 22 Nov", "Senin 23 Nov 08.00"),
        ("hari minggu jam 9", {}, "closed", "Minggu 29 Nov", "Senin 30 Nov 09.00"),
        ("sabtu sore", {}, "closed", "Sabtu 28 Nov", "Senin 30 Nov 08.00"),
        ("besok jam 7", {}, "hours", "Senin 23 Nov", "Senin 23 Nov 08.00"),
        ("besok jam 15", {}, "hours", "Senin 23 Nov", "Senin 23 Nov 08.00"),
        (
            "besok jam 9",
            {"pustu-skm|2026-11-23": 20},
            "full",
            "Senin 23 Nov",
            "Selasa 24 Nov 09.00",
        ),
    ],
    ids=["past", "closed-sunday", "closed-saturday", "too-early", "too-late", "full"],
)
def test_refused_times_offer_the_next_free_options(when, booked, reason, day, first_option):
    step = at_pustu(ctx(booked=booked), when)
    assert as_dicts(step.events) == ()
    assert step.state.step == "when"
    assert len(step.state.slots["options"]) == 3
    reply = step.replies[0]
    head = CAT.t(
        f"booking.reason.{reason}", place="Pustu Sukamaju", date=day, open="08.00", close="14.00"
    )
    assert reply.startswith(head + " ")
    assert f"1. {first_option}" in reply
    assert len(reply) <= 160


def test_a_free_time_next_week_is_booked_at_once():
    step = at_pustu(ctx(), "30/11 jam 9")
    assert (as_dicts(step.events)[0]["local_date"], as_dicts(step.events)[0]["local_time"]) == (
        "2026-11-30",
        "09:00",
    )


def test_full_day_offers_three_days_that_are_not_full():
    booked = {f"pustu-skm|2026-11-{d}": 20 for d in (23, 24, 26)}
    step = at_pustu(ctx(booked=booked), "besok jam 10")
    assert step.state.slots["options"] == [
        local(date(2026, 11, 25), 10),
        local(date(2026, 11, 27), 10),
        local(date(2026, 11, 30), 10),
    ]
    assert "1. Rabu 25 Nov 10.00 2. Jumat 27 Nov 10.00 3. Senin 30 Nov 10.00" in step.replies[0]


@pytest.mark.parametrize("answer", ["1", "satu", "no 1", "Rabu 25 Nov", "rabu"])
def test_an_option_is_picked_by_number_word_or_words(answer):
    booked = {f"pustu-skm|2026-11-{d}": 20 for d in (23, 24)}
    c = ctx(booked=booked)
    step = at_pustu(c, "besok jam 10")
    done = say(step.state, answer, c)
    assert as_dicts(done.events)[0]["local_date"] == "2026-11-25"
    assert as_dicts(done.events)[0]["local_time"] == "10:00"


def test_another_time_instead_of_an_option_is_checked_again():
    c = ctx(booked={"pustu-skm|2026-11-23": 20})
    step = at_pustu(c, "besok jam 9")
    done = say(step.state, "kamis jam 11", c)
    assert (as_dicts(done.events)[0]["local_date"], as_dicts(done.events)[0]["local_time"]) == (
        "2026-11-26",
        "11:00",
    )


def test_posyandu_only_on_its_day():
    c = ctx()
    step = talk(c, "3", "bayu", "imunisasi", "posyandu", "besok jam 9", intent=None)
    assert "tutup Senin 23 Nov" in step.replies[0]
    assert step.state.slots["options"] == [
        local(date(2026, 12, 8), 9),
        local(date(2027, 1, 12), 9),
    ]
    done = say(step.state, "satu", c)
    assert as_dicts(done.events)[0]["place"] == "posyandu-melati"
    assert as_dicts(done.events)[0]["local_date"] == "2026-12-08"


def test_the_posyandu_of_another_dusun_is_not_offered():
    step = talk(ctx(area="SKM-KDL"), "3", "Siti", "2")
    assert "Posyandu Mawar" in step.replies[0]
    assert "Posyandu Melati" not in step.replies[0]


def test_household_member_by_number_name_or_saya():
    c = ctx(household=(ANI, BAYU))
    first = say(State(), "3", c)
    assert "1. Ani 2. Bayu 3. Saya sendiri 4. Orang lain" in first.replies[0]
    assert say(first.state, "2", c).state.slots["person_id"] == 6
    assert say(first.state, "dua", c).state.slots["person_id"] == 6
    assert say(first.state, "ani", c).state.slots["person_id"] == 5
    me = say(first.state, "saya", c).state.slots
    assert me["self"] and me["person_id"] is None and me["person_name"] == "Sri"
    other = say(first.state, "4", c)
    assert other.state.step == "name"
    assert say(other.state, "Pak Darto", c).state.slots["person_name"] == "Pak Darto"


def test_first_message_fills_who_what_where_when():
    c = ctx(household=(ANI, BAYU))
    msg = Message(
        "imunisasi anak saya di pustu besok jam 9",
        "book_visit",
        0.9,
        entities=({"entity": "person", "value": "child"},),
    )
    step = INTENT_STARTS["book_visit"](State(), msg, c)
    (event,) = as_dicts(step.events)
    assert (event["person_id"], event["purpose"], event["place"]) == (
        6,
        "immunization",
        "pustu-skm",
    )
    assert event["local_date"] == "2026-11-23"


def test_home_visit_asks_the_dusun_when_unknown_and_requests_the_kader():
    c = ctx(area=None)
    step = talk(c, "3", "Budi", "tensi", "kunjungan rumah")
    assert step.state.step == "area"
    assert "1. Kaler (Sukamaju)" in step.replies[0]
    step = say(step.state, "kaler", c)
    done = say(step.state, "sabtu pagi", c)
    (event,) = as_dicts(done.events)
    assert event["type"] == "visit_requested"
    assert (event["place"], event["area_code"], event["local_time"]) == ("home", "SKM-KLR", "08:00")
    assert "Kader" in done.replies[0] and "100042" in done.replies[0]


@pytest.mark.parametrize(
    ("step_name", "answers"),
    [
        ("name", ["", "123", "?"]),
        ("purpose", ["xyz", "qqq", "zzz"]),
        ("when", ["kapan2", "ga tau", "entah"]),
    ],
)
def test_three_unclear_answers_hand_over_to_a_person(step_name, answers):
    c = ctx(area=None)
    lead = {"name": ["3"], "purpose": ["3", "Siti"], "when": ["3", "Siti", "1", "pustu"]}
    step = talk(c, *lead[step_name])
    assert step.state.step == step_name
    for i, answer in enumerate(answers):
        step = say(step.state, answer, c)
        if i < 2:
            assert step.state.step == step_name and as_dicts(step.events) == ()
    assert step.state.idle
    assert step.replies[-1] == CAT.t("menu.human")
    assert as_dicts(step.events) == (
        {"type": "help_needed", "flow": "booking", "step": step_name, "ref": "100042"},
    )


def test_three_refused_times_hand_over_to_a_person():
    c = ctx()
    step = at_pustu(c, "hari minggu jam 9")
    step = say(step.state, "sabtu jam 9", c)
    assert step.state.step == "when"
    step = say(step.state, "besok jam 6", c)
    assert step.state.idle and as_dicts(step.events)[0]["type"] == "help_needed"


def test_terserah_offers_the_earliest_free_times():
    c = ctx()
    step = say(at_pustu(c, "kapan-kapan").state, "terserah", c)
    assert step.replies[0].startswith(CAT.t("booking.reason.any", place="Pustu Sukamaju"))
    assert "1. Senin 23 Nov 08.00" in step.replies[0]


# ----------------------------------------------------------------------------- on file

VISIT_ANI = {
    "ref": "100003",
    "person_id": 5,
    "person_name": "Ani",
    "purpose": "anc",
    "place": "pustu-skm",
    "scheduled_at": "2026-11-23T02:00:00+00:00",
    "status": "booked",
}
VISIT_HOME = {
    "ref": "100007",
    "person_id": None,
    "person_name": "Budi",
    "purpose": "bp_sugar",
    "place": "home",
    "scheduled_at": "2026-11-28T01:00:00+00:00",
    "status": "requested",
}


def test_cancel_with_one_visit_acts_on_it():
    step = say(State(), "batalkan janji", ctx(upcoming=[VISIT_ANI]), "cancel_visit")
    assert as_dicts(step.events) == (
        {"type": "visit_cancelled", "ref": "100003", "place": "pustu-skm"},
    )
    assert "100003" in step.replies[0] and step.state.idle


def test_cancel_with_two_visits_asks_which():
    c = ctx(upcoming=[VISIT_HOME, VISIT_ANI])
    step = say(State(), "batalkan janji", c, "cancel_visit")
    assert as_dicts(step.events) == () and step.state.step == "which"
    assert "1. Senin 23 Nov 09.00 Pustu Sukamaju" in step.replies[0]  # soonest first
    assert "2. Sabtu 28 Nov 08.00 Kunjungan rumah" in step.replies[0]
    done = say(step.state, "dua", c)
    assert as_dicts(done.events) == ({"type": "visit_cancelled", "ref": "100007", "place": "home"},)


@pytest.mark.parametrize(("answer", "cancelled"), [("ya", True), ("tidak", False)])
def test_cancel_without_a_cancel_word_asks_first(answer, cancelled):
    c = ctx(upcoming=[VISIT_ANI])
    step = say(State(), "besok saya sibuk", c, "cancel_visit")
    assert step.state.step == "confirm" and as_dicts(step.events) == ()
    done = say(step.state, answer, c)
    assert bool(as_dicts(done.events)) is cancelled and done.state.idle


def test_menu_word_kunjungan_books_even_when_read_as_cancel():
    step = say(State(), "KUNJUNGAN", ctx(upcoming=[VISIT_ANI]), "cancel_visit")
    assert (
        as_dicts(step.events) == () and step.state.flow == "booking" and step.state.step == "name"
    )


def test_cancel_without_visits_says_so():
    step = say(State(), "batalin", ctx(), "cancel_visit")
    assert step.replies == (CAT.t("booking.none"),) and step.state.idle


def test_past_and_cancelled_visits_are_not_upcoming():
    past = {**VISIT_ANI, "ref": "100001", "scheduled_at": "2026-11-20T02:00:00+00:00"}
    gone = {**VISIT_ANI, "ref": "100002", "status": "cancelled"}
    assert booking.upcoming(ctx(upcoming=[past, gone])) == []


def test_reschedule_keeps_the_day_for_a_time_only_answer():
    c = ctx(upcoming=[VISIT_ANI], booked={"pustu-skm|2026-11-23": 20})
    step = say(State(), "ganti jadwal", c, "reschedule_visit")
    assert step.state.step == "when" and "100003" in step.replies[0]
    done = say(step.state, "jam 10", c)  # the day is full, but one of them is this visit
    assert as_dicts(done.events) == (
        {
            "type": "visit_rescheduled",
            "ref": "100003",
            "place": "pustu-skm",
            "scheduled_at": "2026-11-23T03:00:00+00:00",
            "local_date": "2026-11-23",
            "local_time": "10:00",
        },
    )


def test_reschedule_goes_through_the_same_checks():
    c = ctx(upcoming=[VISIT_ANI])
    step = say(State(), "pindahin ke hari minggu", c, "reschedule_visit")
    assert "tutup Minggu 29 Nov" in step.replies[0]
    assert step.state.step == "when" and as_dicts(step.events) == ()


def test_reschedule_with_two_visits_asks_which_then_when():
    c = ctx(upcoming=[VISIT_ANI, VISIT_HOME])
    step = say(State(), "ganti jadwal", c, "reschedule_visit")
    assert step.state.step == "which"
    step = say(step.state, "2", c)
    assert step.state.step == "when"
    done = say(step.state, "jumat jam 10", c)
    assert (
        as_dicts(done.events)[0]["ref"] == "100007" and as_dicts(done.events)[0]["place"] == "home"
    )


# ----------------------------------------------------------------------------- schedule


def test_check_schedule_lists_visits_and_due_items():
    persons = {"6": {"given": [["HB0", "2026-09-20"], ["BCG", "2026-10-20"]], "je_endemic": False}}
    c = ctx(household=(ANI, BAYU), upcoming=[VISIT_ANI], persons=persons)
    step = say(State(), "jadwal", c, "check_schedule")
    assert "Senin 23 Nov 09.00 Pustu Sukamaju" in step.replies[0]
    assert step.state == State("schedule", "more", {"page": 2})  # two pages: LAGI for the next
    assert step.replies[-1] == c.t("booking.check.more", page=2, pages=2)
    last = say(step.state, "lagi", c)
    assert last.replies[0].startswith("Jadwal keluarga Anda (2/2):")
    assert last.replies[-1] == c.t("booking.check.footer")
    text = step.replies[0] + "\n" + last.replies[0]
    assert "- Bayu: DPT-HB-Hib 1, sudah" in text  # due at 2 months (20 Nov)
    assert "Imunisasi BCG" not in text and "Hepatitis B" not in text  # recorded as given
    assert "Ani: Periksa hamil" in text
    assert "lainnya" not in text
    assert as_dicts(last.events) == () and last.state.idle


def test_anything_but_lagi_leaves_the_schedule_and_is_read_as_usual():
    from flows import router

    c = ctx(household=(ANI, BAYU), upcoming=[VISIT_ANI])
    state = State("schedule", "more", {"page": 2})
    assert booking.step_more(state, Message("halo", "greet", 0.9), c) is None  # let go
    step = router.route(state, Message("halo", "greet", 0.9), c)
    assert step == router.route(State(), Message("halo", "greet", 0.9), c)


def test_check_schedule_with_empty_household_points_to_registration():
    step = say(State(), "4", ctx(upcoming=[VISIT_ANI]))
    assert "Pustu Sukamaju" in step.replies[0]
    assert step.replies[1] == CAT.t("booking.check.no_household")


def test_every_reply_of_a_booking_fits_one_sms():
    c = ctx(household=(ANI, BAYU))
    texts = ["3", "1", "1", "pustu", "hari minggu jam 9", "2"]
    state = State()
    for text in texts:
        step = say(state, text, c)
        assert all(len(r) <= 160 for r in step.replies), step.replies
        state = step.state


# ----------------------------------------------------------------------------- pipeline


def add_person(rt, phone: str, **fields) -> int:
    now = rt.clock.now()
    with transaction(rt.session_factory) as s:
        contact = s.execute(select(Contact).where(Contact.phone == phone)).scalar_one_or_none()
        if contact is None:
            contact = Contact(phone=phone, channel="simulator", created_at=to_db(now))
            s.add(contact)
            s.flush()
        person = Person(contact_id=contact.id, created_at=to_db(now), updated_at=to_db(now))
        for k, v in fields.items():
            setattr(person, k, v)
        s.add(person)
        s.flush()
        return person.id


def test_booking_through_the_pipeline_stores_the_visit_and_fills_the_counts(chat, rt):
    pid = add_person(rt, chat.phone, name="Ani", sex="P", birth_date=date(1995, 3, 1))
    for text in ("3", "ani", "1", "pustu"):
        chat.send(text)
    out = chat.send("besok jam 9")
    assert out["events"][0]["type"] == "visit_booked"
    with rt.session_factory() as s:
        visit = s.execute(select(Visit)).scalar_one()
        contact = s.execute(select(Contact)).scalar_one()
        from bot.deps import HandlerDeps
        from bot.handlers.visits import visits_lookup

        lookup = visits_lookup(HandlerDeps.of(rt, s, rt.clock.now()), contact)
    assert (visit.person_id, visit.status, visit.place) == (pid, "booked", "pustu-skm")
    assert visit.scheduled_at == datetime(2026, 11, 23, 2, 0)
    assert lookup["booked"] == {"pustu-skm|2026-11-23": 1}
    assert lookup["upcoming"][0]["ref"] == visit.ref
    assert lookup["upcoming"][0]["person_name"] == "Ani"
    out = chat.send("jadwal")
    assert "Senin 23 Nov 09.00 Pustu Sukamaju" in out["replies"][0]


def test_home_visit_alerts_the_kader_of_the_area_then_cancel_tells_them(chat, rt):
    add_person(rt, chat.phone, name="Mbah Darmi", sex="P", birth_date=date(1950, 5, 1))
    with transaction(rt.session_factory) as s:
        from bot.models import Area

        contact = s.execute(select(Contact)).scalar_one()
        contact.area_id = s.execute(select(Area.id).where(Area.code == "SKM-KLR-01")).scalar()
        s.execute(select(Person)).scalar_one().area_id = contact.area_id
    for text in ("3", "1", "cek lansia", "rumah"):
        chat.send(text)
    out = chat.send("selasa jam 10")
    (event,) = out["events"]
    assert event["type"] == "visit_requested"
    ref = event["ref"]
    with rt.session_factory() as s:
        kader = s.execute(select(Worker).where(Worker.name == "Kader Ani")).scalar_one()
        sent = (
            s.execute(select(OutboundMessage).where(OutboundMessage.kind == "alert"))
            .scalars()
            .all()
        )
        visit = s.execute(select(Visit).where(Visit.ref == ref)).scalar_one()
        alert = s.execute(select(Alert).where(Alert.ref == ref)).scalar_one()
    assert [m.idempotency_key for m in sent] == [f"visit:{ref}:{kader.id}"]
    assert "Mbah Darmi" in sent[0].body and "Selasa 24 Nov 10.00" in sent[0].body
    assert visit.status == "requested" and alert.kind == "visit" and alert.visit_id == visit.id
    out = chat.send("batalkan janji")
    assert out["events"] == [{"type": "visit_cancelled", "ref": ref, "place": "home"}]
    with rt.session_factory() as s:
        assert s.execute(select(Visit.status)).scalar_one() == "cancelled"
        assert s.execute(select(Alert.status)).scalar_one() == "closed"
        notice = (
            s.execute(
                select(OutboundMessage)
                .where(OutboundMessage.kind == "alert")
                .order_by(OutboundMessage.id.desc())
            )
            .scalars()
            .first()
        )
    assert notice.to_phone == kader.phone and "dibatalkan" in notice.body


def test_lookup_gives_doses_and_full_days(rt):
    pid = add_person(rt, "+6281299999999", name="Bayu", sex="L", birth_date=date(2026, 9, 20))
    now = rt.clock.now()
    with transaction(rt.session_factory) as s:
        contact = s.execute(select(Contact)).scalar_one()
        s.add(
            DoseRecord(
                person_id=pid,
                item="HB0",
                occurrence="1",
                given_on=date(2026, 9, 20),
                source="kader",
                created_at=to_db(now),
            )
        )
        for i in range(3):
            s.add(
                Visit(
                    ref=f"9000{i}",
                    contact_id=contact.id,
                    purpose="anc",
                    place="puskesmas",
                    scheduled_at=to_db(now + timedelta(days=1, hours=i)),
                    status="booked",
                    created_at=to_db(now),
                    updated_at=to_db(now),
                )
            )
        s.add(
            Visit(
                ref="90009",
                contact_id=contact.id,
                purpose="anc",
                place="puskesmas",
                scheduled_at=to_db(now + timedelta(days=1)),
                status="cancelled",
                created_at=to_db(now),
                updated_at=to_db(now),
            )
        )
    from bot.deps import HandlerDeps
    from bot.handlers.visits import visits_lookup

    with rt.session_factory() as s:
        contact = s.execute(select(Contact)).scalar_one()
        lookup = visits_lookup(HandlerDeps.of(rt, s, now), contact)
    assert lookup["booked"] == {"puskesmas|2026-11-23": 3}
    assert lookup["persons"][str(pid)]["given"] == [["HB0", "2026-09-20"]]
    assert [v["ref"] for v in lookup["upcoming"]] == ["90000", "90001", "90002"]


def test_a_vaccine_that_can_no_longer_be_given_is_said_once_in_the_schedule():
    """Fourth trial: after RV2 at 6 months RV3 vanished from JADWAL without a word (right not
    to give it past 6 months 29 days, but the mother was never told)."""
    dede = PersonInfo(7, "Dede", "P", date(2026, 5, 10), area_code="SKM-KLR")
    given = [["HB0", "2026-05-10"], ["BCG", "2026-06-10"], ["RV1", "2026-07-15"],
             ["RV2", "2026-11-20"]]  # fmt: skip
    c = ctx(household=(dede,), persons={"7": {"given": given, "je_endemic": False}})
    text = "\n".join(booking_lines(c))
    assert "Dede: Rotavirus 3 tidak diberikan lagi (batasnya" in text
    assert "tidak perlu dikejar" in text
    # a month after its limit, it is no longer named
    later = ctx(household=(dede,), persons={"7": {"given": given, "je_endemic": False}})
    later = replace(later, now=datetime(2027, 1, 20, 3, 0, tzinfo=timezone.utc))
    assert "Rotavirus 3" not in "\n".join(booking_lines(later))


def booking_lines(c) -> list[str]:
    step = say(State(), "jadwal", c, "check_schedule")
    lines = list(step.replies)
    if step.state.step == "more":
        lines += say(step.state, "lagi", c).replies
    return lines
