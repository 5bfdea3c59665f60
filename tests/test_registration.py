"""Household registration and birth reports: pure steps with a hand-built Context, then the
database state the real pipeline leaves behind."""

from __future__ import annotations

from datetime import date, datetime, timezone

import pytest
from sqlalchemy import select

from bot.catalog import load_catalog
from bot.clock import to_db
from bot.db import transaction
from bot.models import Alert, Contact, OutboundMessage, Person, Reminder
from flows import keywords, router
from flows.answers import match_area, parse_age, parse_sex
from flows.base import AreaInfo, ContactInfo, Context, Message, PersonInfo, State, Step
from flows.events import as_dicts
from flows.registry import FLOW_STEPS

NOW = datetime(2026, 11, 22, 3, 0, tzinfo=timezone.utc)  # 10:00 WIB, Sunday 22 November 2026
CAT = load_catalog("id")
AREAS = (
    AreaInfo("SKM", "Sukamaju", "desa"),
    AreaInfo("SKM-KLR", "Kaler", "dusun", "SKM"),
    AreaInfo("SKM-KLR-01", "RW 01 Kaler", "rw", "SKM-KLR"),
    AreaInfo("SKM-KLR-02", "RW 02 Kaler", "rw", "SKM-KLR"),
    AreaInfo("SKM-KDL", "Kidul", "dusun", "SKM"),
    AreaInfo("MKS", "Mekarsari", "desa"),
    AreaInfo("MKS-CRM", "Cirumput", "dusun", "MKS"),
)
SITI = PersonInfo(1, "Siti Aminah", "P", date(1995, 4, 1), area_code="SKM-KLR")
SITI_PREGNANT = PersonInfo(
    1, "Siti Aminah", "P", date(1995, 4, 1), hpht=date(2026, 2, 20), edd=date(2026, 11, 27)
)
BUDI = PersonInfo(2, "Budi", "L", date(2025, 3, 22), area_code="SKM-KLR")


def make_ctx(
    household: tuple[PersonInfo, ...] = (),
    consented: bool = False,
    name: str | None = None,
    area: str | None = None,
) -> Context:
    contact = ContactInfo(
        7,
        "+6281234567890",
        "whatsapp",
        name=name,
        registered=bool(household) or name is not None,
        consented=consented,
        area_code=area,
    )
    return Context(
        now=NOW, contact=contact, t=CAT.t, household=household, areas=AREAS, ref="100001"
    )


def say(state: State, text: str, ctx: Context, intent: str | None = None) -> Step:
    """One message through the flow registry (the router minus danger-sign triage)."""
    msg = Message(text, intent, 0.9, keyword=keywords.match(text))
    if state.idle:
        return router.start(msg, ctx)
    return FLOW_STEPS[state.flow][state.step](state, msg, ctx)


def talk(ctx: Context, *texts: str, intent: str | None = None, state: State | None = None):
    """Send several messages; return every step."""
    steps = []
    state = state or State()
    for i, text in enumerate(texts):
        step = say(state, text, ctx, intent if i == 0 else None)
        steps.append(step)
        state = step.state
    return steps


def event(step: Step, kind: str) -> dict:
    hits = [e for e in as_dicts(step.events) if e["type"] == kind]
    assert hits, f"no {kind} in {as_dicts(step.events)}"
    return hits[0]


def at_step(ctx: Context, *texts: str, intent: str = "register") -> State:
    """The state after `texts` (the flow must still be running)."""
    state = talk(ctx, *texts, intent=intent)[-1].state
    assert not state.idle
    return state


# ----------------------------------------------------------------------------- registration


def test_full_household_registration():
    ctx = make_ctx()
    steps = talk(
        ctx,
        "1",
        "ya",
        "siti aminah",
        "sukamju",
        "kaler",
        "tidak tahu",
        "1",
        "saya",
        "hamil 5 bulan",
        "ya",
        "1",
        "2",
        "Budi",
        "cowok",
        "umur 8 bulan",
        "belum pernah",
        "5",
    )
    assert steps[0].replies == (CAT.t("registration.ask_consent"),)
    assert event(steps[1], "consent_given")["at"] == NOW.isoformat()
    assert "Sukamaju" in steps[2].replies[0] and "Mekarsari" in steps[2].replies[0]
    assert "Kaler" in steps[3].replies[0] and "Kidul" in steps[3].replies[0]
    assert "RW 01 Kaler" in steps[4].replies[0]
    registered = event(steps[5], "contact_registered")
    assert registered == {
        "type": "contact_registered",
        "name": "Siti Aminah",
        "area_code": "SKM-KLR",
    }
    assert steps[7].replies == (CAT.t("registration.ask_pregnancy", name="Siti Aminah"),)
    assert "21 minggu" in steps[8].replies[0] and "30-03-2027" in steps[8].replies[0]
    pregnant = event(steps[9], "person_added")
    assert pregnant == {
        "type": "person_added",
        "name": "Siti Aminah",
        "role": "pregnant",
        "sex": "P",
        "birth_date": None,
        "birth_date_estimated": False,
        "hpht": "2026-06-23",
        "edd": "2027-03-30",
        "hpht_estimated": True,
    }
    # registered at 21 weeks, after the first visit's window: how many checks so far
    assert steps[9].replies[1] == CAT.t("registration.ask_anc", name="Siti Aminah")
    assert event(steps[10], "anc_history_reported") == {
        "type": "anc_history_reported",
        "name": "Siti Aminah",
        "count": 1,
        "weeks": 21,
    }
    assert steps[10].replies[1] == CAT.t("registration.ask_member_more")
    child = event(steps[14], "person_added")
    assert child["role"] == "child" and child["sex"] == "L"
    assert child["birth_date"] == "2026-03-22" and child["birth_date_estimated"] is True
    assert child["mother_name"] == "Siti Aminah"
    assert steps[14].replies[1] == CAT.t("registration.ask_kia", name="Budi")
    assert event(steps[15], "kia_history_reported")["answer"] == "never"
    assert steps[16].state.idle
    assert steps[16].replies == (CAT.t("registration.done", members="Siti Aminah, Budi"),)


def test_no_consent_ends_politely_without_events():
    steps = talk(make_ctx(), "daftar", "tidak", intent="register")
    assert steps[1].state.idle
    assert steps[1].replies == (CAT.t("registration.no_consent"),)
    assert [e["type"] for e in as_dicts(steps[1].events)] == ["consent_declined"]


def test_consented_contact_skips_consent():
    step = say(State(), "daftar", make_ctx(consented=True), "register")
    assert step.state.step == "name"


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("sukamju", "SKM"),
        ("Sukamaju", "SKM"),
        ("desa sukamaju", "SKM"),
        ("1", "SKM"),
        ("2", "MKS"),
        ("dua", "MKS"),
        ("mekar sari", "MKS"),
        ("mekarsary", "MKS"),
    ],
)
def test_desa_by_number_or_misspelled_name(text, code):
    desa = [a for a in AREAS if a.parent is None]
    assert desa[match_area(text, desa)].code == code


@pytest.mark.parametrize(
    ("text", "code"), [("kaler", "SKM-KLR"), ("kaleer", "SKM-KLR"), ("dusun kidul", "SKM-KDL")]
)
def test_dusun_by_misspelled_name(text, code):
    dusun = [a for a in AREAS if a.parent == "SKM"]
    assert dusun[match_area(text, dusun)].code == code


def test_rw_by_its_number():
    ctx = make_ctx(consented=True)
    steps = talk(ctx, "daftar", "Siti", "sukamaju", "kaler", "rw 2", intent="register")
    assert event(steps[-1], "contact_registered")["area_code"] == "SKM-KLR-02"


def test_unknown_area_answer_is_asked_again():
    state = at_step(make_ctx(consented=True), "daftar", "Siti")
    step = say(state, "jakarta", make_ctx(consented=True))
    assert step.state.step == "area" and "Sukamaju" in step.replies[0]
    assert as_dicts(step.events) == ()


@pytest.mark.parametrize(
    ("answer", "key"),
    [
        ("", "registration.name_empty"),
        ("   ", "registration.name_empty"),
        ("saya", "registration.name_empty"),
        ("x" * 61, "registration.name_too_long"),
        ("12345", "registration.name_invalid"),
        ("0812-3456-7890", "registration.name_invalid"),
    ],
)
def test_bad_contact_names_are_asked_again(answer, key):
    ctx = make_ctx(consented=True)
    state = at_step(ctx, "daftar")
    step = say(state, answer, ctx)
    assert step.state.step == "name"
    assert step.replies == (CAT.t(key),)


def test_name_prefix_is_dropped():
    ctx = make_ctx(consented=True)
    step = say(at_step(ctx, "daftar"), "nama saya siti aminah", ctx)
    assert step.state.slots["name"] == "Siti Aminah"


def _child_birth_state(ctx: Context) -> State:
    return at_step(ctx, "tambah anggota", "2", "Ani", "P")


MOTHER_2010 = PersonInfo(1, "Rina", "P", date(2010, 1, 1))


@pytest.mark.parametrize(
    ("answer", "key", "household"),
    [
        ("12-03-2027", "registration.birth_future", (SITI,)),
        ("besok", "registration.birth_future", (SITI,)),
        ("kapan ya lupa", "registration.bad_date", (SITI,)),
        ("31-02-2025", "registration.bad_date", (SITI,)),
        ("2", "registration.bad_date", (SITI,)),
        ("umur 20 tahun", "registration.child_too_old", (SITI,)),
        ("12-03-2000", "registration.child_too_old", (SITI,)),
        ("05-05-2009", "registration.child_before_mother", (MOTHER_2010,)),
        ("umur 300 tahun", "registration.birth_too_old", (SITI,)),
    ],
)
def test_bad_child_birth_dates_are_asked_again(answer, key, household):
    ctx = make_ctx(household, consented=True, name="Siti Aminah", area="SKM-KLR")
    state = _child_birth_state(ctx)
    assert state.step == "m_birth"
    step = say(state, answer, ctx)
    assert step.state.step == "m_birth" and as_dicts(step.events) == ()
    mother = household[0].name
    assert step.replies == (CAT.t(key, name="Ani", mother=mother),)


@pytest.mark.parametrize(
    ("answer", "born", "estimated"),
    [
        ("12-03-2025", "2025-03-12", False),
        ("12 maret 2025", "2025-03-12", False),
        ("umur 8 bulan", "2026-03-22", True),
        ("8 bln", "2026-03-22", True),
        ("1 tahun 2 bulan", "2025-09-22", True),
        ("3 minggu", "2026-11-01", True),
        ("lahir 2 bulan lalu", "2026-09-22", True),
        ("kemarin", "2026-11-21", False),
    ],
)
def test_child_birth_date_answers(answer, born, estimated):
    ctx = make_ctx((SITI,), consented=True, name="Siti Aminah", area="SKM-KLR")
    step = say(_child_birth_state(ctx), answer, ctx)
    added = event(step, "person_added")
    assert added["birth_date"] == born and added["birth_date_estimated"] is estimated
    assert added["sex"] == "P" and added["mother_name"] == "Siti Aminah"


@pytest.mark.parametrize(
    ("answer", "key"),
    [
        ("hamil 50 minggu", "registration.preg_too_long"),
        ("hamil 11 bulan", "registration.preg_too_long"),
        ("hpht 01-01-2025", "registration.preg_too_long"),
        ("hpl 01-01-2026", "registration.preg_too_long"),
        ("hpht 20-12-2026", "registration.preg_hpht_future"),
        ("hpl 20-12-2027", "registration.preg_edd_far"),
        ("entahlah", "registration.preg_unclear"),
        ("31-02-2026", "registration.preg_unclear"),
    ],
)
def test_bad_pregnancy_dates_are_asked_again(answer, key):
    ctx = make_ctx(consented=True, name="Rina", area="SKM")
    state = at_step(ctx, "tambah anggota", "1", "Rina")
    assert state.step == "m_preg"
    step = say(state, answer, ctx)
    assert step.state.step == "m_preg" and as_dicts(step.events) == ()
    assert step.replies == (CAT.t(key, name="Rina"),)


@pytest.mark.parametrize(
    ("answer", "hpht", "edd", "estimated"),
    [
        ("15-06-2026", "2026-06-15", "2027-03-22", False),
        ("hpht 15 juni 2026", "2026-06-15", "2027-03-22", False),
        ("HPL 20-03-2027", "2026-06-13", "2027-03-20", False),
        ("20 maret 2027", "2026-06-13", "2027-03-20", False),
        ("hamil 5 bulan", "2026-06-23", "2027-03-30", True),
        ("usia kandungan 20 minggu", "2026-07-05", "2027-04-11", True),
        ("lima bulan", "2026-06-23", "2027-03-30", True),
    ],
)
def test_pregnancy_answers_are_confirmed_then_saved(answer, hpht, edd, estimated):
    ctx = make_ctx(consented=True, name="Rina", area="SKM")
    state = at_step(ctx, "tambah anggota", "1", "Rina", answer)
    assert state.step == "m_confirm"
    step = say(state, "ya", ctx, "affirm")
    added = event(step, "person_added")
    assert (added["hpht"], added["edd"], added["hpht_estimated"]) == (hpht, edd, estimated)
    assert added["role"] == "pregnant" and added["sex"] == "P"


def test_pregnancy_denied_asks_the_date_again():
    ctx = make_ctx(consented=True, name="Rina", area="SKM")
    state = at_step(ctx, "tambah anggota", "1", "Rina", "hamil 5 bulan")
    step = say(state, "tidak", ctx, "deny")
    assert step.state.step == "m_preg" and as_dicts(step.events) == ()


def test_fourth_repetition_hands_over_to_a_person():
    ctx = make_ctx(consented=True, name="Rina", area="SKM")
    state = at_step(ctx, "tambah anggota", "2", "Ani", "P")
    for _ in range(2):
        step = say(state, "gak tau", ctx)
        assert step.state.step == "m_birth"
        state = step.state
    step = say(state, "gak tau", ctx)
    assert step.state.idle
    assert step.replies == (CAT.t("menu.human"),)
    assert "Kader akan menghubungi Anda" in step.replies[0]
    assert as_dicts(step.events) == (
        {"type": "help_needed", "flow": "registration", "step": "m_birth", "ref": "100001"},
    )


def test_a_new_question_starts_the_count_again():
    ctx = make_ctx(consented=True, name="Rina", area="SKM")
    state = at_step(ctx, "tambah anggota", "2", "123", "Ani")
    assert state.step == "m_sex" and state.slots["asked"] == 0


@pytest.mark.parametrize(
    ("answer", "sex"),
    [
        ("L", "L"),
        ("p", "P"),
        ("laki-laki", "L"),
        ("Perempuan", "P"),
        ("cowok", "L"),
        ("cewek", "P"),
    ],
)
def test_sex_answers(answer, sex):
    assert parse_sex(answer) == sex


def test_member_menu_rejects_numbers_out_of_range():
    ctx = make_ctx(consented=True, name="Rina", area="SKM")
    step = say(at_step(ctx, "tambah anggota"), "7", ctx)
    assert step.state.step == "member" and step.replies == (CAT.t("registration.reask_member"),)


@pytest.mark.parametrize(
    ("answer", "born", "estimated"),
    [
        ("1955", "1955-07-01", True),
        ("umur 70 tahun", "1956-11-22", True),
        ("70", "1956-11-22", True),
        ("12-03-1950", "1950-03-12", False),
    ],
)
def test_elderly_birth_year(answer, born, estimated):
    ctx = make_ctx(consented=True, name="Rina", area="SKM")
    state = at_step(ctx, "tambah anggota", "3", "Mbah Karto")
    assert state.step == "m_sex"  # an elderly member is asked the sex too
    step = say(at_step(ctx, "tambah anggota", "3", "Mbah Karto", "pameget"), answer, ctx)
    added = event(step, "person_added")
    assert added["role"] == "elderly" and added["sex"] == "L"
    assert (added["birth_date"], added["birth_date_estimated"]) == (born, estimated)


@pytest.mark.parametrize(
    ("answer", "key"),
    [
        ("2030", "registration.birth_future"),
        ("umur 30", "registration.elderly_too_young"),
        ("1800", "registration.birth_too_old"),
        ("entah", "registration.bad_year"),
    ],
)
def test_bad_elderly_years(answer, key):
    ctx = make_ctx(consented=True, name="Rina", area="SKM")
    step = say(at_step(ctx, "tambah anggota", "3", "Mbah Karto", "L"), answer, ctx)
    assert step.state.step == "m_birth"
    assert step.replies == (CAT.t(key, name="Mbah Karto"),)


def test_adult_with_a_title_gets_a_sex_and_must_be_adult():
    ctx = make_ctx(consented=True, name="Rina", area="SKM")
    state = at_step(ctx, "tambah anggota", "4", "Pak Joko")
    step = say(state, "2015", ctx)
    assert step.replies == (CAT.t("registration.adult_too_young", name="Pak Joko"),)
    step = say(step.state, "17-08-1990", ctx)
    added = event(step, "person_added")
    assert (added["role"], added["sex"], added["birth_date"]) == ("adult", "L", "1990-08-17")


def test_same_name_twice_is_refused():
    ctx = make_ctx((SITI, BUDI), consented=True, name="Siti Aminah", area="SKM-KLR")
    step = say(at_step(ctx, "tambah anggota", "2"), "budi", ctx)
    assert step.state.step == "m_name"
    assert step.replies == (CAT.t("registration.name_exists", name="Budi"),)


def test_unnamed_baby_is_named_after_the_mother():
    ctx = make_ctx((SITI,), consented=True, name="Siti Aminah", area="SKM-KLR")
    step = say(at_step(ctx, "tambah anggota", "2"), "belum ada nama", ctx)
    assert step.state.slots["member"]["name"] == "Bayi Ny. Siti Aminah"


def test_registered_woman_becomes_pregnant():
    ctx = make_ctx((SITI,), consented=True, name="Siti Aminah", area="SKM-KLR")
    state = at_step(ctx, "tambah anggota", "1", "saya", "hamil 3 bulan")
    step = say(state, "ya", ctx, "affirm")
    assert [e["type"] for e in as_dicts(step.events)] == ["person_updated", "person_updated"]
    assert {e["field"]: e["value"] for e in as_dicts(step.events)} == {
        "hpht": "2026-08-23",
        "edd": "2027-05-30",
    }
    assert step.state.step == "member"


@pytest.mark.parametrize("text", ["daftar", "mau update data"])
def test_registered_contact_gets_the_manage_menu(text):
    ctx = make_ctx((SITI,), consented=True, name="Siti Aminah", area="SKM-KLR")
    step = say(State(), text, ctx, "register")
    assert step.replies == (CAT.t("registration.manage"),)


def test_tambah_anggota_goes_straight_to_the_member_question():
    ctx = make_ctx((SITI,), consented=True, name="Siti Aminah", area="SKM-KLR")
    step = say(State(), "mau tambah anggota keluarga", ctx, "register")
    assert step.replies == (CAT.t("registration.ask_member"),)


@pytest.mark.parametrize(
    ("reason_text", "reason"),
    [("1", "moved"), ("2", "died"), ("meninggal", "died"), ("3", "other")],
)
def test_remove_member_with_a_kind_reply(reason_text, reason):
    ctx = make_ctx((SITI, BUDI), consented=True, name="Siti Aminah", area="SKM-KLR")
    steps = talk(ctx, "daftar", "3", "2", reason_text, intent="register")
    assert steps[1].replies == (
        CAT.t("registration.pick_remove", options="1. Siti Aminah 2. Budi"),
    )
    assert as_dicts(steps[-1].events) == (
        {"type": "person_removed", "person_id": 2, "reason": reason},
    )
    assert steps[-1].replies == (CAT.t(f"registration.removed_{reason}", name="Budi"),)
    assert steps[-1].state.idle


def test_correct_a_birth_date():
    ctx = make_ctx((SITI, BUDI), consented=True, name="Siti Aminah", area="SKM-KLR")
    steps = talk(ctx, "tanggal lahir anak saya salah", "budi", "12-04-2025", intent="register")
    assert as_dicts(steps[-1].events) == (
        {
            "type": "person_updated",
            "person_id": 2,
            "field": "birth_date",
            "value": "2025-04-12",
            "estimated": False,
        },
    )
    assert steps[-1].state.idle


def test_correct_a_birth_date_refuses_the_future():
    ctx = make_ctx((SITI, BUDI), consented=True, name="Siti Aminah", area="SKM-KLR")
    steps = talk(ctx, "daftar", "2", "2", "12-04-2027", intent="register")
    assert steps[-1].state.step == "m_birth" and as_dicts(steps[-1].events) == ()


def test_correct_a_pregnancy():
    ctx = make_ctx((SITI_PREGNANT,), consented=True, name="Siti Aminah", area="SKM-KLR")
    steps = talk(ctx, "daftar", "2", "1", "hpl 01-12-2026", "ya", intent="register")
    assert {e["field"]: e["value"] for e in as_dicts(steps[-1].events)} == {
        "hpht": "2026-02-24",
        "edd": "2026-12-01",
    }


def test_menu_one_starts_registration():
    step = router.start(Message("1"), make_ctx())
    assert step.state.flow == "registration" and step.state.step == "consent"


@pytest.mark.parametrize(
    ("text", "days"),
    [("umur 8 bulan", 244), ("setahun", 365), ("2 minggu", 14), ("sebulan", 30), ("10 hari", 10)],
)
def test_ages(text, days):
    assert parse_age(text).total_days == days


# ----------------------------------------------------------------------------- birth


def test_birth_of_the_only_pregnant_member():
    ctx = make_ctx((SITI_PREGNANT,), consented=True, name="Siti Aminah", area="SKM-KLR")
    steps = talk(ctx, "sudah melahirkan kemarin", "P", intent="report_birth")
    assert steps[0].replies == (CAT.t("birth.ask_sex"),)
    assert as_dicts(steps[1].events) == (
        {
            "type": "birth_reported",
            "mother_person_id": 1,
            "mother_name": "Siti Aminah",
            "delivery_date": "2026-11-21",
            "baby_name": "Bayi Ny. Siti Aminah",
            "baby_sex": "P",
            "area_code": None,
            "gestation_weeks": 39,  # from her HPHT
            "weeks_estimated": False,
            "preterm": False,
            "ref": "100001",
        },
    )
    assert steps[1].replies == (CAT.t("birth.thanks", baby="Bayi Ny. Siti Aminah", ref="100001"),)


def test_birth_with_sex_in_the_message_needs_no_question():
    ctx = make_ctx((SITI_PREGNANT,), consented=True, name="Siti Aminah", area="SKM-KLR")
    step = say(State(), "bayi saya sudah lahir tadi pagi, laki-laki", ctx, "report_birth")
    born = event(step, "birth_reported")
    assert (born["delivery_date"], born["baby_sex"]) == ("2026-11-22", "L")


def test_birth_asks_which_of_two_pregnant_members():
    other = PersonInfo(3, "Dewi", "P", date(2000, 1, 1), hpht=date(2026, 3, 1))
    ctx = make_ctx((SITI_PREGNANT, other), consented=True, name="Siti Aminah", area="SKM")
    steps = talk(ctx, "sudah lahiran", "2", "hari ini", "lewati", intent="report_birth")
    assert steps[0].state.step == "which"
    assert "1. Siti Aminah 2. Dewi" in steps[0].replies[0]
    born = event(steps[-1], "birth_reported")
    assert born["mother_person_id"] == 3 and born["baby_sex"] is None
    assert born["baby_name"] == "Bayi Ny. Dewi"


def test_birth_without_a_registered_pregnancy_registers_the_mother():
    ctx = make_ctx()
    steps = talk(
        ctx,
        "bayi saya sudah lahir",
        "Ibu Rina",
        "sukamaju",
        "semalam",
        "cukup bulan",
        "cewek",
        intent="report_birth",
    )
    assert [s.state.step for s in steps[:-1]] == ["mother", "area", "date", "term", "sex"]
    born = event(steps[-1], "birth_reported")
    assert born["mother_person_id"] is None and born["mother_name"] == "Ibu Rina"
    assert born["baby_name"] == "Bayi Ny. Rina" and born["area_code"] == "SKM"
    assert born["delivery_date"] == "2026-11-21"
    assert steps[-1].replies[-1] == CAT.t("birth.register_hint")


@pytest.mark.parametrize(
    ("answer", "key"),
    [
        ("besok", "birth.date_future"),
        ("12-03-2025", "birth.date_too_old"),
        ("01-02-2026", "birth.date_before_pregnancy"),
        ("entah", "birth.bad_date"),
    ],
)
def test_bad_delivery_dates(answer, key):
    ctx = make_ctx((SITI_PREGNANT,), consented=True, name="Siti Aminah", area="SKM-KLR")
    step = say(at_step(ctx, "sudah melahirkan", intent="report_birth"), answer, ctx)
    assert step.state.step == "date" and as_dicts(step.events) == ()
    assert step.replies == (CAT.t(key, mother="Siti Aminah", hpht="20-02-2026"),)


# ----------------------------------------------------------------------------- database


def _persons(rt) -> list[Person]:
    with rt.session_factory() as s:
        return list(s.execute(select(Person).order_by(Person.id)).scalars())


def test_registration_and_birth_leave_the_right_rows(chat, rt):
    for text in ["daftar", "ya", "Siti Aminah", "sukamju", "kaler", "1"]:
        chat.send(text)
    for text in [
        "1",
        "saya",
        "hamil 5 bulan",
        "ya",
        "2 kali",
        "2",
        "Budi",
        "L",
        "umur 8 bulan",
        "belum",
        "5",
    ]:
        chat.send(text)
    with rt.session_factory() as s:
        contact = s.execute(select(Contact)).scalar_one()
        assert contact.name == "Siti Aminah" and contact.area.code == "SKM-KLR-01"
        assert contact.consent_at == to_db(rt.clock.now())
    siti, budi = _persons(rt)
    assert (siti.name, siti.sex, siti.hpht, siti.edd) == (
        "Siti Aminah",
        "P",
        date(2026, 6, 23),
        date(2027, 3, 30),
    )
    assert (budi.birth_date, budi.birth_date_estimated, budi.mother_id) == (
        date(2026, 3, 22),
        True,
        siti.id,
    )
    assert siti.area_id == budi.area_id == contact.area_id

    reply = chat.send("sudah melahirkan kemarin")
    assert reply["replies"] == [CAT.t("birth.ask_sex")]
    reply = chat.send("perempuan")
    ref = reply["events"][0]["ref"]
    siti, budi, baby = _persons(rt)
    assert siti.delivery_date == date(2026, 11, 21)
    assert (baby.name, baby.sex, baby.birth_date, baby.mother_id) == (
        "Bayi Ny. Siti Aminah",
        "P",
        date(2026, 11, 21),
        siti.id,
    )
    with rt.session_factory() as s:
        sent = {
            m.to_phone: m
            for m in s.execute(
                select(OutboundMessage).where(OutboundMessage.kind == "alert")
            ).scalars()
        }
        alert = s.execute(select(Alert).where(Alert.ref == ref)).scalar_one()
        assert (alert.kind, alert.status, alert.person_id) == ("birth", "open", siti.id)
        assert alert.urgency == "emergency"  # born at 21 weeks: seen at a facility today
    assert set(sent) == {"+6281100000001", "+6281100000003"}  # Kader Ani (Kaler), Bidan Sari
    assert all(m.idempotency_key.startswith(f"birth:{ref}:") for m in sent.values())
    # registered "hamil 5 bulan" the day before: born at 21 weeks, the bidan is told it is preterm
    assert f"DARURAT ref {ref}: kelahiran SANGAT PREMATUR" in sent["+6281100000003"].body
    assert "usia kehamilan 21 minggu" in sent["+6281100000003"].body


def test_removing_a_member_cancels_pending_reminders(chat, rt):
    for text in [
        "daftar",
        "ya",
        "Siti",
        "sukamaju",
        "kidul",
        "2",
        "Budi",
        "L",
        "12-03-2025",
        "blm",
        "5",
    ]:
        chat.send(text)
    (budi,) = _persons(rt)
    now = rt.clock.now()
    with transaction(rt.session_factory) as s:
        s.query(Reminder).filter(Reminder.person_id == budi.id).delete()
        s.add(
            Reminder(
                person_id=budi.id,
                contact_id=budi.contact_id,
                item="DPT1",
                occurrence="99",
                due_on=date(2026, 12, 1),
                send_at=to_db(now),
                status="pending",
                created_at=to_db(now),
                updated_at=to_db(now),
            )
        )
    reply = chat.send("daftar")
    assert reply["replies"] == [CAT.t("registration.manage")]
    chat.send("3")
    chat.send("1")
    reply = chat.send("2")
    assert reply["replies"] == [CAT.t("registration.removed_died", name="Budi")]
    (budi,) = _persons(rt)
    assert (budi.status, budi.removed_reason) == ("removed", "died")
    with rt.session_factory() as s:
        statuses = set(s.execute(select(Reminder.status)).scalars())
    assert statuses <= {"cancelled"} and statuses


def test_household_from_a_birth_report_still_gets_asked_the_contact_name():
    rina = PersonInfo(1, "Rina", "P", delivery_date=date(2026, 11, 20))
    steps = talk(make_ctx((rina,)), "daftar", "ya", "Rina", intent="register")
    assert steps[1].state.step == "name" and steps[2].state.step == "area"


# ----------------------------------------------------------------------------- issue #10, point 8


@pytest.mark.parametrize(
    ("answer", "sex"),
    [
        ("laki", "L"),
        ("lk", "L"),
        ("cowo", "L"),
        ("pria", "L"),
        ("lalaki", "L"),
        ("Pameget", "L"),
        ("lanang", "L"),
        ("pr", "P"),
        ("cewe", "P"),
        ("wanita", "P"),
        ("awewe", "P"),
        ("awéwé", "P"),
        ("istri", "P"),
        ("wanoja", "P"),
        ("wadon", "P"),
        ("anak lanang", "L"),
        ("budak awewe", "P"),
        ("istri saya", None),  # a role in a sentence, not a sex
        ("Wulan", None),
        ("Priatna", None),
    ],
)
def test_sex_words_in_indonesian_sundanese_and_javanese(answer, sex):
    assert (parse_sex(answer) or parse_sex(answer, strict=False)) == sex


@pytest.mark.parametrize(
    ("answer", "name"),
    [
        ("sy Euis", "Euis"),
        ("abdi Euis", "Euis"),
        ("nami abdi Euis", "Euis"),
        ("kulo Sri", "Sri"),
        ("nama saya sy Euis", "Euis"),
        ("namanya Bagus", "Bagus"),
        ("Abdi Pratama", "Abdi Pratama"),  # a name that begins like the Sundanese "I"
        ("Putri Ayu", "Putri Ayu"),
        ("salaki abdi, asep", "Asep"),  # "my husband, Asep" (it was saved as "Salaki Abdi, Asep")
        ("bojoku Slamet", "Slamet"),
        ("istri sy, Wati", "Wati"),
    ],
)
def test_names_lose_what_is_said_around_them(answer, name):
    ctx = make_ctx(consented=True)
    step = say(at_step(ctx, "daftar"), answer, ctx)
    assert step.state.step == "area" and step.state.slots["name"] == name


@pytest.mark.parametrize("answer", ["abdi", "saya", "sy", "kulo", "saya sendiri"])
def test_the_contact_saying_i_is_asked_her_name_again(answer):
    ctx = make_ctx(consented=True)
    step = say(at_step(ctx, "daftar"), answer, ctx)
    assert step.state.step == "name" and step.replies == (CAT.t("registration.name_empty"),)


@pytest.mark.parametrize("answer", ["saya sendiri", "abdi", "sy", "kulo"])
def test_i_as_the_member_is_the_contact(answer):
    ctx = make_ctx(consented=True, name="Euis", area="SKM")
    state = at_step(ctx, "tambah anggota", "4", answer)
    assert state.step == "m_sex" and state.slots["member"]["name"] == "Euis"


@pytest.mark.parametrize(
    ("choice", "name", "step"),
    [
        ("4", "Joko", "m_sex"),  # no title: asked
        ("suami", "Joko", "m_birth"),  # the role says it
        ("nenek", "Karsih", "m_birth"),
        ("4", "Pak Joko", "m_birth"),  # the title says it
    ],
)
def test_adults_are_asked_their_sex_unless_it_was_said(choice, name, step):
    ctx = make_ctx(consented=True, name="Euis", area="SKM")
    assert at_step(ctx, "tambah anggota", choice, name).step == step


def test_a_sex_word_typed_as_the_name_keeps_the_sex_and_asks_the_name():
    ctx = make_ctx(consented=True, name="Euis", area="SKM")
    state = at_step(ctx, "tambah anggota", "2")
    step = say(state, "lalaki", ctx)
    assert step.state.step == "m_name" and as_dicts(step.events) == ()
    assert step.replies == (
        CAT.t(
            "registration.name_is_sex", sex="laki-laki", ask=CAT.t("registration.ask_name_child")
        ),
    )
    step = say(step.state, "Asep", ctx)
    assert step.state.step == "m_birth" and step.state.slots["member"]["sex"] == "L"


BABY_GIRL = PersonInfo(3, "Nur", "P", date(2026, 9, 1))


@pytest.mark.parametrize("order", ["toddler_first", "baby_first"])
def test_siblings_in_any_order_are_never_compared(order):
    """A toddler registered after a baby girl is not 'before her mother'."""
    ctx = make_ctx((SITI,), consented=True, name="Siti Aminah", area="SKM-KLR")
    texts = {
        "toddler_first": ("2", "Budi", "L", "12-03-2024", "blm", "2", "Nur", "P", "01-09-2026"),
        "baby_first": ("2", "Nur", "P", "01-09-2026", "blm", "2", "Budi", "L", "12-03-2024"),
    }[order]
    steps = talk(ctx, "tambah anggota", *texts, intent="register")
    added = [e for s in steps for e in as_dicts(s.events) if e["type"] == "person_added"]
    assert sorted(e["name"] for e in added) == ["Budi", "Nur"]
    assert all(e["mother_name"] == "Siti Aminah" for e in added)


def test_a_saved_baby_girl_is_not_the_mother_of_her_brother():
    ctx = make_ctx((SITI, BABY_GIRL), consented=True, name="Siti Aminah", area="SKM-KLR")
    step = say(at_step(ctx, "tambah anggota", "2", "Budi", "L"), "12-03-2024", ctx)
    assert event(step, "person_added")["mother_name"] == "Siti Aminah"


def idle_say(text: str, ctx: Context, intent: str | None = None) -> Step:
    """A message outside any flow through the whole router (keywords, triage, corrections)."""
    return router.route(State(), Message(text, intent, 0.9, keyword=keywords.match(text)), ctx)


@pytest.mark.parametrize(
    "text",
    [
        "ganti nama Budi jadi Bagus",
        "ubah nama anak saya budi menjadi bagus",
        "nama Budi salah, harusnya Bagus",
        "tolong ganti nama budi jd Bagus.",
    ],
)
def test_rename_in_one_message(text):
    ctx = make_ctx((SITI, BUDI), consented=True, name="Siti Aminah", area="SKM-KLR")
    step = idle_say(text, ctx)
    assert step.state.idle
    assert as_dicts(step.events) == (
        {"type": "person_updated", "person_id": 2, "field": "name", "value": "Bagus"},
    )
    assert step.replies == (CAT.t("registration.renamed", old="Budi", new="Bagus"),)


def test_rename_from_the_manage_menu():
    ctx = make_ctx((SITI, BUDI), consented=True, name="Siti Aminah", area="SKM-KLR")
    steps = talk(ctx, "daftar", "4", "2", "Bagus", intent="register")
    assert steps[1].replies == (
        CAT.t("registration.pick_rename", options="1. Siti Aminah 2. Budi"),
    )
    assert steps[2].replies == (CAT.t("registration.ask_new_name", name="Budi"),)
    assert as_dicts(steps[-1].events)[0]["value"] == "Bagus"


@pytest.mark.parametrize(
    ("new", "key"),
    [("Siti Aminah", "registration.name_exists"), ("12345", "registration.name_invalid"),
     ("saya", "registration.name_empty")],
)  # fmt: skip
def test_bad_new_names_are_asked_again(new, key):
    ctx = make_ctx((SITI, BUDI), consented=True, name="Siti Aminah", area="SKM-KLR")
    step = idle_say(f"ganti nama Budi jadi {new}", ctx)
    assert step.state.step == "rename" and as_dicts(step.events) == ()
    assert step.replies == (CAT.t(key, name=new if key.endswith("exists") else ""),)
    step = say(step.state, "Bagus", ctx)
    assert as_dicts(step.events)[0]["value"] == "Bagus"


def test_the_contact_renames_herself():
    ctx = make_ctx((BUDI,), consented=True, name="abdi", area="SKM-KLR")
    step = idle_say("ganti nama saya jadi Euis", ctx)
    assert as_dicts(step.events) == (
        {"type": "contact_registered", "name": "Euis", "area_code": "SKM-KLR"},
    )


def test_birth_date_correction_in_one_message():
    ctx = make_ctx((SITI, BUDI), consented=True, name="Siti Aminah", area="SKM-KLR")
    step = idle_say("ganti tanggal lahir Budi jadi 12-04-2025", ctx)
    assert as_dicts(step.events) == (
        {
            "type": "person_updated",
            "person_id": 2,
            "field": "birth_date",
            "value": "2025-04-12",
            "estimated": False,
        },
    )


def test_a_visit_date_change_is_not_a_birth_date_correction():
    ctx = make_ctx((SITI, BUDI), consented=True, name="Siti Aminah", area="SKM-KLR")
    from flows.registration import correction

    assert correction(State(), Message("ganti tanggal kunjungan jadi kamis"), ctx) is None


# ----------------------------------------------------------------------------- issue #10, point 2


@pytest.mark.parametrize(
    ("text", "kind", "problem"),
    [
        ("lengkap", "complete", None),
        ("semua sesuai umur", "complete", None),
        ("sudah semua", "complete", None),
        ("wis lengkap", "complete", None),
        ("belum pernah", "never", None),
        ("teu acan", "never", None),
        ("tidak tahu", "unknown", None),
        ("gatau", "unknown", None),
        ("teu terang", "unknown", None),
        ("ora ngerti", "unknown", None),
        ("BCG, polio 1, DPT 1", "list", None),
        ("hb0 bcg opv1", "list", None),
        ("belum lengkap", "unclear", "partial"),
        ("bcg dan vaksin xyz", "list", "unknown_word"),
        ("bcg 31-02-2026", "list", "bad_date"),
        ("wkwk", "unclear", "unclear"),
    ],
)
def test_kia_book_answers(text, kind, problem):
    from flows.kia_book import parse

    answer = parse(text)
    assert (answer.kind, answer.problem) == (kind, problem)


@pytest.mark.parametrize(
    ("text", "doses"),
    [
        # the field trial's answer, refused before as "kali belum kami kenali"
        (
            "bcg atos, polio 3 kali, dpt 2 kali, campak teu acan",
            ["BCG", "OPV1", "OPV2", "OPV3", "DPT1", "DPT2"],
        ),
        ("polio 3x, dpt 2 x", ["OPV1", "OPV2", "OPV3", "DPT1", "DPT2"]),
        ("dpt dua kali", ["DPT1", "DPT2"]),
        ("dpt udah 2, polio baru 1", ["DPT1", "DPT2", "OPV1"]),  # third trial
        ("cuma hb0 pas lahir di bidan", ["HB0"]),
        (
            "bcg, polio 4x, dpt 3x, campak sakali",
            ["BCG", "OPV1", "OPV2", "OPV3", "OPV4", "DPT1", "DPT2", "DPT3", "MR1"],
        ),  # fmt: skip
        ("bcg, polio 1 2 3", ["BCG", "OPV1", "OPV2", "OPV3"]),
        (  # fourth trial: 'Maaf, "sm" belum kami kenali'
            "udh hb0 sm bcg, polio 1 2, dpt 1",
            ["HB0", "BCG", "OPV1", "OPV2", "DPT1"],
        ),
    ],
)
def test_kia_book_n_times_is_the_first_n_doses(text, doses):
    from flows.kia_book import parse

    answer = parse(text)
    assert answer.problem is None
    assert [f"{s.code}{s.number or ''}" for s in answer.said] == doses


def test_kia_answers_leave_the_right_rows(chat, rt):
    from bot.models import DoseRecord

    for text in ["daftar", "ya", "Euis", "sukamaju", "kaler", "1", "2", "Asep", "L"]:
        chat.send(text)
    chat.send("umur 5 bulan")
    chat.send("bcg, polio 1 2")
    for text in ["2", "Nur", "P", "umur 3 bulan"]:
        chat.send(text)
    reply = chat.send("gak tau")
    assert reply["replies"][0] == CAT.t("registration.kia_unknown", name="Nur")
    asep, nur = _persons(rt)
    with rt.session_factory() as s:
        recorded = {(d.item, d.source) for d in s.execute(select(DoseRecord)).scalars()}
        alert = s.execute(select(Alert).where(Alert.kind == "kia_check")).scalar_one()
        pending = set(
            s.execute(
                select(Reminder.item).where(
                    Reminder.person_id == nur.id, Reminder.status == "pending"
                )
            ).scalars()
        )
    assert recorded == {
        ("BCG", "kia_estimate"),
        ("OPV1", "kia_estimate"),
        ("OPV2", "kia_estimate"),
    }
    assert (alert.person_id, alert.status, alert.urgency) == (nur.id, "open", "routine")
    assert not pending & {"BCG", "OPV1", "DPT1", "PCV1", "RV1"}  # they wait for the check

    # Until the check, Nur's past doses are not called late anywhere: the CLI's due list marks
    # them, and the kader's morning digest lists the check (a report line), not 5 late doses.
    from datetime import time, timedelta
    from zoneinfo import ZoneInfo

    from scheduler.daily import kader_digests
    from scheduler.reminders import due_report
    from tests.conftest import sent_to

    tz = ZoneInfo(rt.settings["timezone"])
    today = rt.clock.now().astimezone(tz).date()
    with rt.session_factory() as s:
        held = {r["item"]: r["status"] for r in due_report(s, today, rt.settings)}
        morning = datetime.combine(today + timedelta(days=1), time(7, 30), tz)
        kader_digests(s, morning, {**rt.settings, "digest": {"hour": "07:00", "top": 50}})
        s.commit()
    assert held["BCG"] == held["OPV1"] == "awaits_check"
    (digest,) = (m for m in sent_to(rt, "+6281100000001") if "JADWAL" in m and alert.ref in m)
    assert f"- {asep.name} (no {asep.id}):" in digest
    assert f"- {nur.name} (no {nur.id}):" not in digest  # only the check, in the report line

    # The kader checks the book and closes the task: Nur's doses are reminded at once, not at
    # the next planning run.
    kader = chat.client.post(
        "/simulator/send",
        json={"from": "+6281100000001", "text": f"SELESAI {alert.ref} sudah dicek, belum ada"},
    ).get_json()
    assert alert.ref in kader["replies"][0]
    with rt.session_factory() as s:
        pending = set(
            s.execute(
                select(Reminder.item).where(
                    Reminder.person_id == nur.id, Reminder.status == "pending"
                )
            ).scalars()
        )
    assert {"BCG", "OPV1"} <= pending


@pytest.mark.parametrize("answer", ["1", "campak 1", "MR 1", "yg ke 1"])
def test_which_dose_question_keeps_the_rest_of_the_list(chat, rt, answer):
    """'campak' said without a number for a 3-year-old (MR1 and MR2 reached): the number is
    asked, and the answer records it with everything else said before."""
    from bot.models import DoseRecord

    for text in ["daftar", "ya", "Euis", "sukamaju", "kaler", "1", "2", "Asep", "L"]:
        chat.send(text)
    chat.send("umur 3 tahun")
    reply = chat.send("bcg, polio 1 2 3 4, dpt 1 2 3, campak")
    assert "yang ke berapa" in reply["replies"][0]
    reply = chat.send(answer)
    assert reply["replies"][0].startswith("Tersimpan dari Buku KIA Asep")
    with rt.session_factory() as s:
        recorded = {d.item for d in s.execute(select(DoseRecord)).scalars()}
    assert recorded == {"BCG", "OPV1", "OPV2", "OPV3", "OPV4", "DPT1", "DPT2", "DPT3", "MR1"}


@pytest.mark.parametrize(
    ("text", "numbers"),
    [("1", (1,)), ("ke 2", (2,)), ("1 2", (1, 2)), ("1-2", (1, 2)), ("campak 1", ()), ("wkwk", ())],
)
def test_numbers_for_a_which_dose_question(text, numbers):
    from flows.kia_book import numbers_for

    assert tuple(s.number for s in numbers_for(text, "MR")) == numbers


# ----------------------------------------------------------------------------- desa + dusun
# Found in the field trial: "sukamaju, kaler" lost its dusun, "2 cirumput" was asked again.

PLACES = (*AREAS, AreaInfo("MKS-GNT", "Ganting", "dusun", "MKS"))
DESA = tuple(a for a in PLACES if a.level == "desa")


@pytest.mark.parametrize(
    ("text", "code"),
    [
        # a desa and one of its dusun, either order, comma/space/dash, level words, typos
        ("sukamaju, kaler", "SKM-KLR"),
        ("Sukamaju kaler", "SKM-KLR"),
        ("kaler, sukamaju", "SKM-KLR"),
        ("kaler sukamaju", "SKM-KLR"),
        ("Kaler - Sukamaju", "SKM-KLR"),
        ("sukamju, kalerr", "SKM-KLR"),
        ("desa sukamaju dusun kidul", "SKM-KDL"),
        ("ds. Sukamaju dsn. Kidul", "SKM-KDL"),
        ("di sukamaju, kampung kidul", "SKM-KDL"),
        ("mekarsari cirumput", "MKS-CRM"),
        ("cirumput mekarsari", "MKS-CRM"),
        ("ganting, mekar sari", "MKS-GNT"),
        # the number from the list, then a dusun of that desa
        ("2 cirumput", "MKS-CRM"),
        ("2. Cirumput", "MKS-CRM"),
        ("2, cirumput", "MKS-CRM"),
        ("dua cirumput", "MKS-CRM"),
        ("1 kaler", "SKM-KLR"),
        ("1 kidull", "SKM-KDL"),
        # a dusun alone (one desa has it)
        ("cirumput", "MKS-CRM"),
        ("Cirumpt", "MKS-CRM"),
        ("dusun ganting", "MKS-GNT"),
        ("kaler", "SKM-KLR"),
        # deeper still: the RW of that dusun
        ("sukamaju kaler rw 2", "SKM-KLR-02"),
        # only the desa: as before
        ("1", "SKM"),
        ("2", "MKS"),
        ("dua", "MKS"),
        ("sukamaju", "SKM"),
        ("desa sukamaju", "SKM"),
        ("mekar sari", "MKS"),
        ("mekarsary", "MKS"),
        # Kidul is Sukamaju's (and "south"): the desa named, never the other desa's dusun
        ("kidul mekarsari", "MKS"),
    ],
)
def test_an_area_answer_names_the_desa_and_its_dusun(text, code):
    from flows.answers import match_place

    found = match_place(text, DESA, PLACES)
    assert found is not None and found.code == code


@pytest.mark.parametrize(
    "text",
    [
        "1 cirumput",  # Cirumput is in Mekarsari, not Sukamaju: asked again, not guessed
        "3 kaler",
        "jakarta",
        "tolong cepat",
        "",
    ],
)
def test_an_area_answer_that_does_not_fit_is_not_placed(text):
    from flows.answers import match_place

    assert match_place(text, DESA, PLACES) is None


def test_registration_desa_and_dusun_in_one_answer_asks_for_the_rw_next():
    ctx = make_ctx(consented=True)
    steps = talk(ctx, "daftar", "Siti", "sukamaju, kaler", intent="register")
    assert steps[-1].state.step == "area"
    assert steps[-1].replies[0].startswith("RW berapa di Kaler?")
    steps = talk(ctx, "rw 2", state=steps[-1].state)
    assert event(steps[-1], "contact_registered")["area_code"] == "SKM-KLR-02"


@pytest.mark.parametrize(("answer", "code"), [("2 cirumput", "MKS-CRM"), ("cirumput", "MKS-CRM")])
def test_registration_number_and_dusun_is_that_dusun(answer, code):
    ctx = make_ctx(consented=True)
    steps = talk(ctx, "daftar", "Siti", answer, intent="register")
    assert event(steps[-1], "contact_registered")["area_code"] == code
