"""The one dose service (bot/doses.py): minimum ages (WHO), with the catalog's reply naming the
rule, on a real database; the intervals and the other checks are in tests/test_kader.py."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from bot import doses
from bot.catalog import load_catalog
from bot.clock import to_db
from bot.db import transaction
from bot.models import Contact, DoseRecord, Person

NOW = datetime(2026, 11, 22, 3, 0, tzinfo=timezone.utc)
TODAY = date(2026, 11, 22)


def add_child(
    rt, birth: date, sex: str = "L", estimated: bool = False, phone: str = "+6281234567301"
) -> int:
    with transaction(rt.session_factory) as s:
        contact = Contact(phone=phone, channel="simulator", created_at=to_db(NOW))
        s.add(contact)
        s.flush()
        child = Person(
            contact_id=contact.id,
            name="Adik",
            sex=sex,
            birth_date=birth,
            birth_date_estimated=estimated,
            created_at=to_db(NOW),
            updated_at=to_db(NOW),
        )
        s.add(child)
        s.flush()
        return child.id


def record(rt, person_id: int, *items: tuple[str, str], source: str = "kader") -> list[str]:
    """Record the items in one call; the codes now on file."""
    with transaction(rt.session_factory) as s:
        person = s.get(Person, person_id)
        given = [doses.Given(i, date.fromisoformat(d), source) for i, d in items]
        doses.record(s, person, given, TODAY, NOW, rt.settings)
    with rt.session_factory() as s:
        rows = s.execute(select(DoseRecord.item).where(DoseRecord.person_id == person_id))
        return sorted(rows.scalars())


BIRTH = date(2026, 1, 10)


@pytest.mark.parametrize(
    ("items", "expected"),
    [
        # MR1 at 59 days: WHO's 9 months
        (
            [("MR1", "2026-03-10")],
            "MR1 tanggal 2026-03-10 terlalu dini: umur anak saat itu baru 59 hari, padahal MR1 "
            "paling cepat umur 9 bulan (usia minimal WHO), yaitu 2026-10-10.",
        ),
        ([("MR1", "2026-10-09")], "paling cepat umur 9 bulan"),  # one day short
        ([("DPT1", "2026-02-20")], "DPT1 paling cepat umur 6 minggu (usia minimal WHO)"),
        ([("PCV1", "2026-02-20")], "PCV1 paling cepat umur 6 minggu"),
        ([("RV1", "2026-02-20")], "RV1 paling cepat umur 6 minggu"),
        ([("IPV1", "2026-04-10")], "IPV1 paling cepat umur 14 minggu"),
        ([("OPV2", "2026-02-20")], "OPV2 paling cepat umur 6 minggu"),  # after the 0-1 month dose
        # a later dose inherits the first dose's minimum age through the intervals
        (
            [("DPT2", "2026-03-10")],
            "DPT1 paling cepat umur 6 minggu (usia minimal WHO) dan tiap dosis berikutnya ada "
            "jarak minimalnya, jadi DPT2 paling cepat 2026-03-21.",
        ),
        ([("MR2", "2026-11-01")], "jadi MR2 paling cepat 2027-04-10"),
        # all or nothing: the good dose in the same call is not recorded either
        ([("BCG", "2026-02-10"), ("MR1", "2026-03-10")], "MR1 tanggal 2026-03-10 terlalu dini"),
        # the interval text is Indonesian too
        ([("DPT1", "2026-04-01"), ("DPT2", "2026-04-20")], "DPT2 paling cepat 4 minggu"),
    ],
)
def test_dose_below_its_minimum_age_is_refused_naming_the_rule(rt, items, expected):
    child = add_child(rt, BIRTH)
    with pytest.raises(doses.DoseRefused) as refused:
        record(rt, child, *items)
    assert expected in refused.value.text(load_catalog("id"))
    with rt.session_factory() as s:
        assert s.execute(select(DoseRecord)).first() is None


@pytest.mark.parametrize(
    ("item", "on"),
    [
        ("OPV1", "2026-02-10"),  # the national 0-1 month dose: no minimum age
        ("HB0", "2026-01-10"),
        ("DPT1", "2026-02-21"),  # 6 weeks exactly
        ("IPV1", "2026-04-18"),  # 14 weeks exactly
        ("MR1", "2026-10-10"),  # 9 months exactly
    ],
)
def test_dose_at_its_minimum_age_is_recorded(rt, item, on):
    child = add_child(rt, BIRTH)
    assert record(rt, child, (item, on)) == [item]


def test_an_estimated_birth_date_does_not_refuse_the_books_dates(rt):
    """'3 taun' gave 2023-12-04; the Buku KIA has BCG before that day and DPT1 37 days after
    it: recorded as written (the guess is what is wrong); the intervals still apply."""
    guessed = add_child(rt, date(2023, 12, 4), estimated=True)
    given = [("BCG", "2023-11-30"), ("OPV1", "2024-01-10"), ("DPT1", "2024-01-10")]
    assert record(rt, guessed, *given) == ["BCG", "DPT1", "OPV1"]
    with pytest.raises(doses.DoseRefused, match="too_soon"):
        record(rt, guessed, ("DPT2", "2024-01-20"))
    told = add_child(rt, date(2023, 12, 4), phone="+6281234567302")
    with pytest.raises(doses.DoseRefused, match="too_young"):
        record(rt, told, ("DPT1", "2024-01-10"))


def test_a_childs_dose_is_refused_for_an_adult_but_a_late_catch_up_is_recorded(rt):
    adult = add_child(rt, date(1996, 5, 1), sex="P")
    with pytest.raises(doses.DoseRefused, match="not_for_person"):
        record(rt, adult, ("HB0", "2026-11-20"))
    four = add_child(rt, date(2022, 12, 1), phone="+6281234567303")
    assert record(rt, four, ("DPT1", "2026-11-20")) == ["DPT1"]  # imunisasi kejar at 47 months


def test_the_residents_own_word_is_never_refused(rt):
    """SUDAH (self_report) records what the resident says; the bidan checks the book."""
    child = add_child(rt, BIRTH)
    assert record(rt, child, ("MR1", "2026-03-10"), source="self_report") == ["MR1"]


def add_mother(rt, phone: str = "+6281234567302") -> int:
    """A pregnant woman whose birth date nobody gave."""
    return add_woman(rt, phone, name="Euis", birth_date=None, hpht=date(2026, 5, 20))


@pytest.mark.parametrize("item", ["BCG", "HB0", "OPV1", "KN1"])
def test_an_infant_item_for_a_mother_without_a_birth_date_is_refused(rt, item):
    mother = add_mother(rt)
    with pytest.raises(doses.DoseRefused) as refused:
        record(rt, mother, (item, "2026-11-20"))
    assert refused.value.reason == "not_for_person"
    assert "tidak cocok untuk Euis" in refused.value.text(load_catalog("id"))
    assert record(rt, mother, ("ANC4", "2026-11-20")) == ["ANC4"]  # her own check is fine


@pytest.mark.parametrize(
    ("birth", "estimated", "on", "refused"),
    [
        (date(2026, 2, 1), False, "2026-11-20", True),  # RV1 at 9.5 months: after 6m29d
        (date(2026, 2, 1), False, "2026-08-30", False),  # 6 months 29 days: the last day
        (date(2026, 2, 1), False, "2026-08-31", True),
        (date(2026, 4, 10), True, "2026-11-20", False),  # "7 bulan", 10 days past: rounding
        (date(2026, 4, 1), True, "2026-11-20", True),  # "7 bulan" at least: past the limit
        (date(2026, 1, 20), True, "2026-11-20", True),  # an estimate, far past
    ],
)
def test_rotavirus_past_its_upper_age_is_refused(rt, birth, estimated, on, refused):
    child = add_child(rt, birth, estimated=estimated)
    if not refused:
        assert record(rt, child, ("RV1", on)) == ["RV1"]
        return
    with pytest.raises(doses.DoseRefused) as exc:
        record(rt, child, ("RV1", on))
    assert exc.value.reason == "too_old"
    assert "RV1 hanya diberikan sampai umur 6 bulan 29 hari" in exc.value.text(load_catalog("id"))


def test_a_later_dose_without_the_previous_one_is_refused_for_a_kader(rt):
    child = add_child(rt, date(2025, 11, 1))
    with pytest.raises(doses.DoseRefused) as exc:
        record(rt, child, ("IPV2", "2026-11-20"))
    assert exc.value.reason == "previous_missing"
    text = exc.value.text(load_catalog("id"))
    assert "IPV2 belum bisa dicatat: IPV1 untuk Adik belum tercatat" in text
    # both in one message, or the earlier one first: recorded
    assert record(rt, child, ("IPV1", "2026-03-01"), ("IPV2", "2026-11-20")) == ["IPV1", "IPV2"]


@pytest.mark.parametrize("source", ["import", "kia_book", "self_report"])
def test_a_later_dose_alone_is_kept_from_a_register_or_the_parent(rt, source):
    child = add_child(rt, date(2025, 11, 1))
    assert record(rt, child, ("IPV2", "2026-11-20"), source=source) == ["IPV2"]


@pytest.mark.parametrize(
    ("birth", "refused"),
    [
        (date(2026, 4, 22), True),  # "7 bulan" on 22-11: MR1 2 months too young
        (date(2026, 3, 12), False),  # "8 bulan": she may be a month older, 9 months by now
    ],
)
def test_the_minimum_age_holds_for_an_estimated_birth_date_with_a_months_doubt(rt, birth, refused):
    """Trial: "IMUN neng siti mr1" for a "7 bln" child was recorded, MR2 planned from it."""
    child = add_child(rt, birth, estimated=True)
    if not refused:
        assert record(rt, child, ("MR1", "2026-11-20")) == ["MR1"]
        return
    with pytest.raises(doses.DoseRefused) as exc:
        record(rt, child, ("MR1", "2026-11-20"))
    assert exc.value.reason == "too_young"


def add_woman(
    rt, phone: str, name: str = "Yuyun", birth_date: date | None = date(1998, 1, 1), **dates
) -> int:
    with transaction(rt.session_factory) as s:
        contact = Contact(phone=phone, channel="simulator", created_at=to_db(NOW))
        s.add(contact)
        s.flush()
        woman = Person(
            contact_id=contact.id,
            name=name,
            sex="P",
            birth_date=birth_date,
            created_at=to_db(NOW),
            updated_at=to_db(NOW),
            **dates,
        )
        s.add(woman)
        s.flush()
        return woman.id


@pytest.mark.parametrize(
    ("dates", "item", "on", "reason"),
    [
        ({"hpht": date(2026, 5, 1)}, "KF1", "2026-11-20", "not_after_birth"),  # still pregnant
        ({}, "ANC1", "2026-11-20", "not_in_pregnancy"),  # no pregnancy on record
        ({"hpht": date(2026, 1, 1), "delivery_date": date(2026, 10, 1)}, "ANC5", "2026-11-20",
         "not_in_pregnancy"),  # after the birth
        ({"hpht": date(2026, 1, 1), "delivery_date": date(2026, 11, 21)}, "KF2", "2026-11-21",
         "visit_too_early"),  # KF2 on the day of the birth
    ],
)  # fmt: skip
def test_a_visit_is_recorded_only_when_it_can_have_happened(rt, dates, item, on, reason):
    """Third trial: ANC5 the day after the birth, KF1 in pregnancy were recorded."""
    woman = add_woman(rt, "+6281234567310", **dates)
    with pytest.raises(doses.DoseRefused) as exc:
        record(rt, woman, (item, on))
    assert exc.value.reason == reason


def test_newborn_visits_wait_for_their_window_and_school_doses_for_school_age(rt):
    baby = add_child(rt, date(2026, 11, 21))
    with pytest.raises(doses.DoseRefused) as exc:
        record(rt, baby, ("KN3", "2026-11-22"))  # KN3 is day 8-28
    assert exc.value.reason == "visit_too_early"
    assert record(rt, baby, ("KN1", "2026-11-22")) == ["KN1"]
    girl = add_child(rt, date(2026, 6, 1), sex="P", phone="+6281234567311")
    with pytest.raises(doses.DoseRefused) as exc:
        record(rt, girl, ("HPV", "2026-11-20"))  # a 5-month-old: HPV is kelas 5
    assert exc.value.reason == "not_for_person"


def test_pcv2_after_a_late_pcv1_waits_eight_weeks_as_the_plan_says(rt):
    """Third trial: JADWAL said PCV2 on 30 Jan (8 weeks, PCV1 given after 12 months) while
    IMUN took it from 2 Jan (4 weeks)."""
    child = add_child(rt, date(2025, 3, 1))
    assert record(rt, child, ("PCV1", "2026-09-20")) == ["PCV1"]  # at 18 months
    with pytest.raises(doses.DoseRefused) as exc:
        record(rt, child, ("PCV2", "2026-10-25"))  # 5 weeks later
    assert "PCV2 paling cepat 8 minggu setelah PCV1" in exc.value.text(load_catalog("id"))
    assert record(rt, child, ("PCV2", "2026-11-20")) == ["PCV1", "PCV2"]  # 8 weeks 4 days


@pytest.mark.parametrize(("days", "kept"), [(27, True), (24, True), (23, False)])
def test_a_register_keeps_a_dose_given_up_to_four_days_early(rt, days, kept):
    child = add_child(rt, date(2026, 1, 10))
    opv1 = date(2026, 2, 10)
    second = (opv1 + timedelta(days=days)).isoformat()
    items = (("OPV1", opv1.isoformat()), ("OPV2", second))
    if kept:
        assert record(rt, child, *items, source="import") == ["OPV1", "OPV2"]
    else:
        with pytest.raises(doses.DoseRefused):
            record(rt, child, *items, source="import")
    with pytest.raises(doses.DoseRefused):  # a kader's new record has no grace
        record(rt, add_child(rt, date(2026, 1, 10), phone="+6281234567309"), *items)


def test_je_only_where_it_is_endemic(rt):
    """Third trial: `IMUN 6 JE` was recorded in Mekarsari, which is not a JE area."""
    from bot.models import Area

    child = add_child(rt, date(2025, 6, 1))
    with transaction(rt.session_factory) as s:
        area = s.execute(select(Area).where(Area.code == "MKS")).scalar_one()
        assert not area.je_endemic
        s.get(Person, child).area_id = area.id
    with pytest.raises(doses.DoseRefused) as exc:
        record(rt, child, ("JE", "2026-11-20"))
    assert exc.value.reason == "not_je_area"  # fourth trial: it said "jenis kelamin atau umur"
    assert "hanya diberikan di daerah endemis JE" in exc.value.text(load_catalog("id"))
    with transaction(rt.session_factory) as s:
        s.execute(select(Area).where(Area.code == "MKS")).scalar_one().je_endemic = True
    assert record(rt, child, ("JE", "2026-11-20")) == ["JE"]


def refusal(rt, person_id: int, *items: tuple[str, str], source: str = "kader") -> str:
    """The catalog text of the refusal of recording `items`."""
    with pytest.raises(doses.DoseRefused) as exc:
        record(rt, person_id, *items, source=source)
    return exc.value.text(load_catalog("id"))


def test_one_antenatal_visit_a_day_and_visits_in_their_order(rt):
    """Fourth trial: ANC3, ANC6 and ANC4 on one day were all recorded (K6 at 100 % for a
    woman with four checks), and ANC3 was recorded after ANC5."""
    woman = add_woman(rt, "+6281234567320", hpht=date(2026, 4, 1))
    assert record(rt, woman, ("ANC5", "2026-11-10"), source="dashboard") == ["ANC5"]
    text = refusal(rt, woman, ("ANC6", "2026-11-10"), source="dashboard")
    assert text.startswith("ANC6 tidak bisa dicatat tanggal 2026-11-10: ANC5 sudah tercatat")
    text = refusal(rt, woman, ("ANC3", "2026-11-20"), source="dashboard")
    assert "ANC3 tanggal 2026-11-20 tidak cocok dengan urutannya: ANC5 tercatat 2026-11-10" in text
    assert record(rt, woman, ("ANC6", "2026-11-20"), source="dashboard") == ["ANC5", "ANC6"]


def test_the_familys_estimated_visits_do_not_block_a_real_one(rt):
    woman = add_woman(rt, "+6281234567321", hpht=date(2026, 4, 1))
    assert record(rt, woman, ("ANC1", "2026-06-20"), source="kia_estimate") == ["ANC1"]
    assert record(rt, woman, ("ANC2", "2026-06-20"), source="dashboard") == ["ANC1", "ANC2"]


@pytest.mark.parametrize("source", ["kader", "dashboard", "import"])
def test_a_series_dose_on_the_day_of_another_or_against_their_order_is_refused(rt, source):
    """Fourth trial: OPV3 imported without OPV2; "imun polio 2" then "polio4" on the same day
    recorded both, OPV4 checked only against OPV3."""
    child = add_child(rt, BIRTH, phone=f"+62812345673{len(source):02d}")
    record(rt, child, ("OPV1", "2026-03-10"), ("OPV3", "2026-06-10"), source="import")
    text = refusal(rt, child, ("OPV2", "2026-07-20"), source=source)
    assert "OPV2 tanggal 2026-07-20 tidak cocok dengan urutannya: OPV3 tercatat 2026-06-10" in text
    assert record(rt, child, ("OPV2", "2026-05-01"), source=source) == ["OPV1", "OPV2", "OPV3"]
    text = refusal(rt, child, ("OPV4", "2026-06-10"), source=source)
    assert "OPV3 sudah tercatat pada hari yang sama" in text


def test_opv4_waits_its_interval_after_the_latest_polio_dose_on_record(rt):
    child = add_child(rt, BIRTH, phone="+6281234567330")
    record(rt, child, ("OPV1", "2026-03-10"), ("OPV3", "2026-06-10"), source="import")
    record(rt, child, ("OPV2", "2026-06-01"), source="import")
    record(rt, child, ("OPV4", "2026-07-08"), source="import")  # 4 weeks after OPV3
    child2 = add_child(rt, BIRTH, phone="+6281234567331")
    record(rt, child2, ("OPV1", "2026-03-10"), ("OPV3", "2026-04-10"), source="import")
    with transaction(rt.session_factory) as s:  # a late OPV2 recorded after OPV3 (old data)
        s.add(
            DoseRecord(
                person_id=child2,
                item="OPV2",
                occurrence="1",
                given_on=date(2026, 11, 1),
                source="import",
                created_at=to_db(NOW),
            )
        )
    text = refusal(rt, child2, ("OPV4", "2026-11-15"), source="kader")
    assert "OPV4 paling cepat 4 minggu setelah OPV2 (2026-11-01)" in text


def test_a_refusal_for_an_age_told_in_months_states_the_age_the_family_gave(rt):
    """Fourth trial: "umur anak saat itu baru 184 hari" for a child told "5 bulan" (153 days):
    the month's doubt allowed for the age shifted the stated age and earliest date."""
    child = add_child(rt, date(2026, 6, 22), estimated=True, phone="+6281234567332")
    text = refusal(rt, child, ("MR1", "2026-11-20"))
    assert "umur anak saat itu baru 151 hari" in text
    assert "yaitu 2027-03-22" in text


# --------------------------------------------------------------------------- Td for women


def test_td_for_women_is_refused_for_a_man_and_a_child(rt):
    man = add_child(rt, date(1990, 1, 1), sex="L", phone="+6281234567340")
    for item in ("T1", "TSCREEN"):
        with pytest.raises(doses.DoseRefused) as exc:
            record(rt, man, (item, "2026-11-20"))
        assert exc.value.reason == "not_for_person", item
    girl = add_child(rt, date(2019, 3, 1), sex="P", phone="+6281234567341")
    with pytest.raises(doses.DoseRefused) as exc:
        record(rt, girl, ("T1", "2026-11-20"), source="dashboard")
    assert exc.value.reason == "not_for_person"


def test_td_for_a_pregnant_woman_keeps_its_intervals_order_and_once(rt):
    woman = add_woman(rt, "+6281234567342", hpht=date(2026, 6, 1))
    assert record(rt, woman, ("TSCREEN", "2026-07-01"), ("T1", "2026-07-01")) == ["T1", "TSCREEN"]
    text = refusal(rt, woman, ("T2", "2026-07-20"))  # 19 days: 4 weeks needed
    assert text.startswith("T2 paling cepat 4 minggu setelah T1 (2026-07-01), yaitu 2026-07-29.")
    assert refusal(rt, woman, ("T1", "2026-07-29")).startswith("T1 sudah tercatat 2026-07-01")
    assert "TSCREEN sudah tercatat" in refusal(rt, woman, ("TSCREEN", "2026-08-01"))
    text = refusal(rt, woman, ("T3", "2026-08-01"))  # T2 is not on record, T1 too recent
    assert text.startswith("T3 paling cepat 6 bulan setelah T1 (2026-07-01)")
    assert record(rt, woman, ("T2", "2026-07-29"))[-3:] == ["T1", "T2", "TSCREEN"]
    text = refusal(rt, woman, ("T3", "2026-11-20"))  # 6 months after T2
    assert "T3 paling cepat 6 bulan setelah T2 (2026-07-29), yaitu 2027-01-29." in text


def test_td_counts_her_childhood_doses_and_a_new_pregnancy_is_screened_again(rt):
    woman = add_woman(rt, "+6281234567343", birth_date=date(2000, 1, 10), hpht=date(2026, 6, 1))
    childhood = [("DPT1", "2000-03-10"), ("DPT2", "2000-04-10"), ("DPT3", "2000-05-10"),
                 ("DPT4", "2001-07-10")]  # fmt: skip
    record(rt, woman, *childhood, source="import")
    # T4 follows the booster (T3, Permenkes 12/2017): no "T3 belum tercatat"
    assert "T4" in record(rt, woman, ("TSCREEN", "2026-07-01"), ("T4", "2026-07-01"))


def test_one_t_status_screening_per_pregnancy(rt):
    woman = add_woman(rt, "+6281234567344", hpht=date(2024, 1, 1))
    assert record(rt, woman, ("TSCREEN", "2024-02-01")) == ["TSCREEN"]
    with transaction(rt.session_factory) as s:  # her next pregnancy: she is screened again
        s.get(Person, woman).hpht = date(2026, 6, 1)
    assert record(rt, woman, ("TSCREEN", "2026-07-01")) == ["TSCREEN", "TSCREEN"]
    assert "TSCREEN sudah tercatat 2026-07-01" in refusal(rt, woman, ("TSCREEN", "2026-08-01"))
