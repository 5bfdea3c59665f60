"""Table tests of the pure planner against the national schedules."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given as for_all
from hypothesis import settings
from hypothesis import strategies as st

from scheduler.planner import (
    DONE,
    DUE,
    EXPIRED,
    OVERDUE,
    UPCOMING,
    Given,
    PersonFacts,
    PlanItem,
    add_months,
    age_in_months,
    edd_from_hpht,
    expand_posyandu,
    hpht_from_edd,
    plan,
    pregnancy_start,
)
from scheduler.rules import DOSE_ITEMS, default_rules, load_rules

D = date.fromisoformat
FAR = 4000  # horizon long enough to list every dose of the schedule


def doses(birth: str, on: str, given=(), horizon: int = 60, **facts) -> dict[str, PlanItem]:
    person = PersonFacts(birth_date=D(birth), **facts)
    records = [Given(item, D(when)) for item, when in given]
    return {i.item: i for i in plan(person, records, D(on), horizon_days=horizon)}


# --------------------------------------------------------------------------- date helpers


@pytest.mark.parametrize(
    "start, months, expected",
    [
        ("2024-01-31", 1, "2024-02-29"),
        ("2023-01-31", 1, "2023-02-28"),
        ("2025-08-31", 1, "2025-09-30"),
        ("2025-08-30", 6, "2026-02-28"),
        ("2024-08-31", 18, "2026-02-28"),
        ("2024-02-29", 12, "2025-02-28"),
        ("2024-02-29", 48, "2028-02-29"),
        ("2025-03-31", -1, "2025-02-28"),
        ("2025-12-15", 1, "2026-01-15"),
        ("2025-01-15", -13, "2023-12-15"),
        ("2025-05-10", 0, "2025-05-10"),
    ],
)
def test_add_months_clamps_to_month_end(start, months, expected):
    assert add_months(D(start), months) == D(expected)


@pytest.mark.parametrize(
    "birth, on, months",
    [
        ("2025-01-31", "2025-02-27", 0),
        ("2025-01-31", "2025-02-28", 1),
        ("2024-02-29", "2025-02-28", 12),
        ("2025-01-15", "2025-08-14", 6),
        ("2025-01-15", "2025-08-15", 7),
        ("2021-03-01", "2026-02-01", 59),
    ],
)
def test_age_in_months(birth, on, months):
    assert age_in_months(D(birth), D(on)) == months


def test_edd_and_hpht_are_280_days_apart():
    assert edd_from_hpht(D("2026-01-01")) == D("2026-10-08")
    assert hpht_from_edd(D("2026-10-08")) == D("2026-01-01")
    assert pregnancy_start(PersonFacts(edd=D("2026-10-08"))) == D("2026-01-01")
    both = PersonFacts(hpht=D("2026-01-05"), edd=D("2026-10-08"))
    assert pregnancy_start(both) == D("2026-01-05")  # HPHT wins when both are known
    assert pregnancy_start(PersonFacts()) is None


# --------------------------------------------------------------------------- national schedule

SCHEDULE = [
    # birth at a month end
    ("2025-01-31", "HB0", "2025-01-31", "2025-02-07"),
    ("2025-01-31", "BCG", "2025-02-28", None),
    ("2025-01-31", "OPV1", "2025-02-28", "2030-01-30"),
    ("2025-01-31", "DPT1", "2025-03-31", "2030-01-30"),
    ("2025-01-31", "OPV2", "2025-03-31", "2030-01-30"),
    ("2025-01-31", "PCV1", "2025-03-31", "2030-01-30"),
    ("2025-01-31", "RV1", "2025-03-31", "2025-08-29"),
    ("2025-01-31", "DPT2", "2025-04-30", "2030-01-30"),
    ("2025-01-31", "RV3", "2025-05-31", "2025-08-29"),
    ("2025-01-31", "IPV1", "2025-05-31", "2030-01-30"),
    ("2025-01-31", "MR1", "2025-10-31", "2030-01-30"),
    ("2025-01-31", "IPV2", "2025-10-31", "2030-01-30"),
    ("2025-01-31", "PCV3", "2026-01-31", "2027-01-30"),
    ("2025-01-31", "DPT4", "2026-07-31", "2030-01-30"),
    ("2025-01-31", "MR2", "2026-07-31", "2030-01-30"),
    ("2025-08-31", "BCG", "2025-09-30", None),
    ("2025-08-31", "DPT1", "2025-10-31", "2030-08-30"),
    ("2025-08-31", "DPT2", "2025-11-30", "2030-08-30"),
    ("2025-08-31", "DPT3", "2025-12-31", "2030-08-30"),
    ("2025-08-31", "RV3", "2025-12-31", "2026-03-29"),
    ("2025-08-31", "MR1", "2026-05-31", "2030-08-30"),
    ("2025-08-31", "PCV3", "2026-08-31", "2027-08-30"),
    ("2025-08-31", "DPT4", "2027-02-28", "2030-08-30"),
    ("2025-08-30", "BCG", "2025-09-30", None),
    ("2025-08-30", "RV1", "2025-10-30", "2026-03-29"),
    ("2025-08-30", "DPT4", "2027-02-28", "2030-08-29"),
    # leap day
    ("2024-02-29", "HB0", "2024-02-29", "2024-03-07"),
    ("2024-02-29", "BCG", "2024-03-29", None),
    ("2024-02-29", "DPT1", "2024-04-29", "2029-02-27"),
    ("2024-02-29", "RV2", "2024-05-29", "2024-09-27"),
    ("2024-02-29", "PCV3", "2025-02-28", "2026-02-27"),
    ("2024-02-29", "DPT4", "2025-08-29", "2029-02-27"),
]


@pytest.mark.parametrize("birth, item, due_from, expires_on", SCHEDULE)
def test_national_schedule_due_dates_and_limits(birth, item, due_from, expires_on):
    got = doses(birth, birth, horizon=FAR)[item]
    assert got.status in (UPCOMING, DUE)
    assert got.due_from == D(due_from)
    assert got.expires_on == (None if expires_on is None else D(expires_on))


def test_full_schedule_without_je_has_20_doses():
    got = doses("2025-01-31", "2025-01-31", horizon=FAR)
    assert "JE" not in got
    assert len([code for code in got if code in DOSE_ITEMS]) == 20


@pytest.mark.parametrize(
    "item, on, status",
    [
        ("DPT1", "2025-03-30", UPCOMING),
        ("DPT1", "2025-03-31", DUE),
        ("DPT1", "2025-04-29", DUE),
        ("DPT1", "2025-04-30", OVERDUE),
        ("DPT1", "2030-01-30", OVERDUE),
        ("DPT1", "2030-01-31", None),  # no longer tracked after 59 months
        ("RV1", "2025-08-29", OVERDUE),
        ("RV1", "2025-08-30", EXPIRED),
        ("HB0", "2025-01-31", DUE),
        ("HB0", "2025-02-01", DUE),
        ("HB0", "2025-02-02", OVERDUE),
        ("HB0", "2025-02-08", EXPIRED),
    ],
)
def test_dose_status_boundaries(item, on, status):
    got = doses("2025-01-31", on).get(item)
    assert (got.status if got else None) == status


@pytest.mark.parametrize("horizon, listed", [(58, False), (59, True)])
def test_upcoming_only_within_horizon(horizon, listed):
    # DPT1 is due on 31 Mar 2025, 59 days after 31 Jan 2025
    assert ("DPT1" in doses("2025-01-31", "2025-01-31", horizon=horizon)) is listed


def test_recorded_dose_is_done_immediately_even_if_early():
    got = doses("2025-01-15", "2025-02-01", given=[("DPT1", "2025-02-01")])
    assert got["DPT1"].status == DONE
    assert "2025-02-01" in got["DPT1"].reason


def test_records_after_the_planning_date_are_ignored():
    got = doses("2025-01-15", "2025-04-20", given=[("DPT1", "2025-05-01")])
    assert got["DPT1"].status == OVERDUE


def test_unknown_recorded_items_are_ignored():
    got = doses("2025-01-15", "2025-04-01", given=[("XYZ", "2025-03-01"), ("DPT1", "2025-03-15")])
    assert got["DPT1"].status == DONE


@pytest.mark.parametrize(
    "opv1, opv2, opv3_due",
    [
        ("2025-03-20", "2025-04-01", "2025-04-29"),  # OPV2 12 days after OPV1: early but counts
        ("2025-02-15", "2025-02-25", "2025-04-15"),  # early OPV2, age still decides OPV3
        ("2025-02-15", "2025-04-10", "2025-05-08"),
    ],
)
def test_premature_dose_counts_and_next_dose_counts_from_it(opv1, opv2, opv3_due):
    got = doses("2025-01-15", opv2, given=[("OPV1", opv1), ("OPV2", opv2)], horizon=FAR)
    assert got["OPV2"].status == DONE
    assert got["OPV3"].due_from == D(opv3_due)


def test_premature_dose_is_flagged_in_the_reason():
    got = doses("2025-01-15", "2025-04-01", given=[("OPV1", "2025-03-20"), ("OPV2", "2025-04-01")])
    assert "earlier than 4 weeks after OPV1" in got["OPV2"].reason
    got = doses("2025-01-15", "2025-04-20", given=[("OPV1", "2025-02-15"), ("OPV2", "2025-03-15")])
    assert "earlier" not in got["OPV2"].reason


# Only the first dose of each series is overdue; the next ones are upcoming 4 weeks apart from
# today (OPV4 and IPV2 are further than the 60-day horizon).
REGISTERED_AT_7_MONTHS = {
    "HB0": EXPIRED,
    "RV1": EXPIRED,
    "RV2": EXPIRED,
    "RV3": EXPIRED,
    "BCG": OVERDUE,
    "OPV1": OVERDUE,
    "OPV2": UPCOMING,
    "OPV3": UPCOMING,
    "OPV4": None,
    "DPT1": OVERDUE,
    "DPT2": UPCOMING,
    "DPT3": UPCOMING,
    "PCV1": OVERDUE,
    "PCV2": UPCOMING,
    "IPV1": OVERDUE,
    "MR1": UPCOMING,
    "IPV2": None,
    "PCV3": None,
    "DPT4": None,
    "MR2": None,
    "JE": None,
    "KN1": None,
}


@pytest.mark.parametrize("item, status", sorted(REGISTERED_AT_7_MONTHS.items()))
def test_child_registered_at_7_months_with_nothing_recorded(item, status):
    got = doses("2025-01-15", "2025-08-20", registered_on=D("2025-08-20")).get(item)
    assert (got.status if got else None) == status


def test_rv_expiry_reason_names_the_age_limit():
    got = doses("2025-01-15", "2025-08-20")
    assert got["RV3"].reason == "RV3 not offered after 6 months 29 days"


def test_rv_cannot_follow_a_late_previous_dose():
    # RV2 at 6 months 10 days: RV3 would be due 4 weeks later, after 6 months 29 days
    got = doses("2025-01-15", "2025-07-25", given=[("RV1", "2025-06-01"), ("RV2", "2025-07-25")])
    assert got["RV3"].status == EXPIRED
    assert got["RV3"].due_from == D("2025-08-22")
    assert "too late" in got["RV3"].reason


def test_rv_not_planned_for_children_born_before_the_national_rollout():
    assert "RV1" not in doses("2023-05-15", "2023-07-15")
    assert doses("2023-05-16", "2023-07-16")["RV1"].status == DUE


@pytest.mark.parametrize(
    "ipv1, ipv2_due",
    [
        ("2025-05-15", "2025-10-15"),  # on time: 9 months decides
        ("2025-07-01", "2025-11-01"),  # late IPV1: 4 months after it
        ("2025-08-31", "2025-12-31"),
        ("2025-10-31", "2026-02-28"),
    ],
)
def test_ipv2_at_least_4_months_after_ipv1(ipv1, ipv2_due):
    got = doses("2025-01-15", ipv1, given=[("IPV1", ipv1)], horizon=FAR)
    assert got["IPV2"].due_from == D(ipv2_due)


@pytest.mark.parametrize(
    "pcv2, pcv3_due",
    [
        ("2025-04-15", "2026-01-15"),
        ("2025-11-20", "2026-01-15"),  # exactly 8 weeks
        ("2025-12-01", "2026-01-26"),
        ("2026-01-10", "2026-03-07"),
    ],
)
def test_pcv3_at_least_8_weeks_after_pcv2(pcv2, pcv3_due):
    given = [("PCV1", "2025-03-15"), ("PCV2", pcv2)]
    got = doses("2025-01-15", pcv2, given=given, horizon=FAR)
    assert got["PCV3"].due_from == D(pcv3_due)


def test_pcv3_still_offered_until_24_months_then_expired():
    given = [("PCV1", "2025-03-15"), ("PCV2", "2025-04-15")]
    assert doses("2025-01-15", "2027-01-14", given=given)["PCV3"].status == OVERDUE
    assert doses("2025-01-15", "2027-01-15", given=given)["PCV3"].status == EXPIRED


def test_pcv_catch_up_started_after_12_months():
    given = [("PCV1", "2026-02-01")]  # first PCV at 12 months: 2 doses 8 weeks apart, no PCV3
    got = doses("2025-01-15", "2026-02-01", given=given, horizon=FAR)
    assert got["PCV2"].due_from == D("2026-03-29")
    assert "PCV3" not in got
    got = doses("2025-01-15", "2027-03-01", given=[("PCV1", "2027-03-01")])
    assert "PCV2" not in got and "PCV3" not in got  # after 24 months a single dose


@pytest.mark.parametrize(
    "dpt3, dpt4_due",
    [
        ("2025-05-15", "2026-07-15"),
        ("2025-08-31", "2026-08-31"),
        ("2025-09-30", "2026-09-30"),
    ],
)
def test_dpt4_at_least_12_months_after_dpt3(dpt3, dpt4_due):
    got = doses("2025-01-15", dpt3, given=[("DPT3", dpt3)], horizon=FAR)
    assert got["DPT4"].due_from == D(dpt4_due)


@pytest.mark.parametrize(
    "mr1, mr2_due",
    [
        ("2025-10-15", "2026-07-15"),
        ("2026-02-28", "2026-08-28"),
        ("2026-03-31", "2026-09-30"),
    ],
)
def test_mr2_at_least_6_months_after_mr1(mr1, mr2_due):
    got = doses("2025-01-15", mr1, given=[("MR1", mr1)], horizon=FAR)
    assert got["MR2"].due_from == D(mr2_due)


def test_mr2_window_18_to_24_months():
    given = [("MR1", "2025-10-15")]
    assert doses("2025-01-15", "2027-02-14", given=given)["MR2"].status == DUE
    assert doses("2025-01-15", "2027-02-15", given=given)["MR2"].status == OVERDUE


@pytest.mark.parametrize("endemic, expected", [(True, DUE), (False, None)])
def test_je_only_in_endemic_areas(endemic, expected):
    got = doses("2025-01-15", "2025-11-20", je_endemic=endemic).get("JE")
    assert (got.status if got else None) == expected
    if got:
        assert got.due_from == D("2025-11-15")


# --------------------------------------------------------------------------- pregnancy


def anc(on: str, horizon: int = 60, given=(), **facts) -> dict[str, PlanItem]:
    facts.setdefault("sex", "P")
    person = PersonFacts(**facts)
    records = [Given(item, D(when)) for item, when in given]
    items = plan(person, records, D(on), horizon_days=horizon)
    return {i.item: i for i in items if i.item.startswith("ANC")}


HPHT = D("2026-01-01")  # EDD 2026-10-08


@pytest.mark.parametrize(
    "item, status, due_from",
    [
        ("ANC1", EXPIRED, "2026-01-01"),
        ("ANC2", DUE, "2026-04-02"),
        ("ANC3", UPCOMING, "2026-05-14"),
        ("ANC4", UPCOMING, "2026-06-25"),
        ("ANC5", None, None),
        ("ANC6", None, None),
    ],
)
def test_pregnancy_registered_mid_way(item, status, due_from):
    got = anc("2026-05-01", hpht=HPHT, registered_on=D("2026-05-01")).get(item)
    assert (got.status if got else None) == status
    if got:
        assert got.due_from == D(due_from)


def test_anc_window_closed_before_registration_is_expired_not_overdue():
    got = anc("2026-05-01", hpht=HPHT, registered_on=D("2026-05-01"))["ANC1"]
    assert got.reason.startswith("ANC1 window closed before registration")
    for registered in (D("2026-01-20"), None):
        got = anc("2026-05-01", hpht=HPHT, registered_on=registered)
        # missed while registered: no longer made up once ANC2's window has begun
        assert got["ANC1"].status == EXPIRED and "ANC2 is the visit due now" in got["ANC1"].reason
        assert got["ANC2"].status == DUE
    # the last visit has no later one: it stays overdue until the pregnancy ends
    got = anc((HPHT + timedelta(weeks=40)).isoformat(), hpht=HPHT, registered_on=D("2026-01-20"))
    assert got["ANC6"].status in (DUE, OVERDUE)


@pytest.mark.parametrize(
    "registered, status",
    [("2026-04-01", DUE), ("2026-04-02", EXPIRED)],  # ANC1 window (weeks 0-12) ends 1 Apr
)
def test_registration_on_the_last_day_of_a_window(registered, status):
    got = anc(registered, hpht=HPHT, registered_on=D(registered))["ANC1"]
    assert got.status == status


def test_anc_from_edd_equals_anc_from_hpht():
    from_hpht = anc("2026-05-01", hpht=HPHT, registered_on=D("2026-05-01"))
    from_edd = anc("2026-05-01", edd=D("2026-10-08"), registered_on=D("2026-05-01"))
    assert from_hpht == from_edd


def test_anc_doctor_visits_and_trimesters_in_the_reason():
    got = anc("2026-01-01", horizon=400, hpht=HPHT)
    assert len(got) == 6
    doctor = {code for code, item in got.items() if "doctor" in item.reason}
    assert doctor == {"ANC1", "ANC5"}
    assert "trimester 2, weeks 13-18" in got["ANC2"].reason
    assert got["ANC6"].due_from == D("2026-09-03")  # 35 weeks


def test_anc_split_2_1_3():
    rules = load_rules(anc_split="2-1-3")
    person = PersonFacts(sex="P", hpht=HPHT)
    got = {i.item: i for i in plan(person, [], HPHT, rules=rules, horizon_days=400)}
    assert got["ANC2"].due_from == D("2026-03-05")  # 9 weeks
    assert "trimester 1" in got["ANC2"].reason


def test_anc_expires_when_the_baby_is_born():
    got = anc("2026-09-25", hpht=HPHT, delivery_date=D("2026-09-20"))
    assert got["ANC6"].status == EXPIRED
    assert got["ANC6"].expires_on == D("2026-09-19")
    assert "pregnancy ended" in got["ANC6"].reason


def test_anc_visits_whose_window_begins_after_the_birth_are_not_listed():
    """Born at 30 weeks: ANC5 and ANC6 were never due; listed as missed ("Lewat batas", with
    dates after the birth) they misled the bidan (field trial)."""
    born = HPHT + timedelta(weeks=30)
    got = anc((born + timedelta(days=5)).isoformat(), hpht=HPHT, delivery_date=born)
    assert got["ANC4"].status == EXPIRED  # its window had begun
    assert "ANC5" not in got and "ANC6" not in got


def test_missed_antenatal_visits_do_not_pile_up_at_term():
    """Trial: at 39 weeks JADWAL listed ANC3, ANC4 and ANC5 "sudah lewat" and ANC6 due."""
    got = anc((HPHT + timedelta(weeks=39)).isoformat(), hpht=HPHT)
    open_items = {k: v.status for k, v in got.items() if v.status in (DUE, OVERDUE)}
    assert open_items == {"ANC6": got["ANC6"].status}
    assert all(got[f"ANC{n}"].status == EXPIRED for n in range(1, 6))
    assert "ANC6 is the visit due now" in got["ANC3"].reason
    # mid-pregnancy with ANC1 missed: ANC2 is the one to go to
    got = anc((HPHT + timedelta(weeks=14)).isoformat(), hpht=HPHT)
    assert got["ANC1"].status == EXPIRED and got["ANC2"].status == DUE


def test_anc_attended_is_done():
    got = anc("2026-05-01", hpht=HPHT, given=[("ANC1", "2026-02-10")])
    assert got["ANC1"].status == DONE


def test_no_anc_for_men_or_without_pregnancy_dates():
    assert anc("2026-05-01", sex="L", hpht=HPHT) == {}
    assert anc("2026-05-01", birth_date=D("1990-01-01")) == {}


# --------------------------------------------------------------------------- postnatal


@pytest.mark.parametrize(
    "on, kn1, kn2, kn3",
    [
        ("2026-03-10", DUE, UPCOMING, UPCOMING),
        ("2026-03-12", DUE, UPCOMING, UPCOMING),
        ("2026-03-13", EXPIRED, DUE, UPCOMING),  # KN1 missed: KN2 is the visit now
        ("2026-03-17", EXPIRED, DUE, UPCOMING),
        ("2026-03-18", EXPIRED, EXPIRED, DUE),
        ("2026-04-07", EXPIRED, EXPIRED, DUE),
        ("2026-04-08", EXPIRED, EXPIRED, EXPIRED),
    ],
)
def test_kn_windows_from_the_delivery_date(on, kn1, kn2, kn3):
    got = doses("2026-03-10", on)  # the newborn's birth date is the delivery date
    assert (got["KN1"].status, got["KN2"].status, got["KN3"].status) == (kn1, kn2, kn3)


def test_kn_window_dates():
    got = doses("2026-03-10", "2026-03-10")
    assert [got[k].due_from for k in ("KN1", "KN2", "KN3")] == [
        D("2026-03-10"),
        D("2026-03-13"),
        D("2026-03-18"),
    ]
    assert {got[k].expires_on for k in ("KN1", "KN2", "KN3")} == {D("2026-04-07")}
    assert got["KN3"].overdue_from is None


def test_kn_visit_recorded_is_done():
    got = doses("2026-03-10", "2026-03-20", given=[("KN2", "2026-03-14")])
    assert got["KN2"].status == DONE


def kf(on: str, **facts) -> dict[str, PlanItem]:
    person = PersonFacts(sex="P", delivery_date=D("2026-03-10"), **facts)
    return {i.item: i for i in plan(person, [], D(on)) if i.item.startswith("KF")}


@pytest.mark.parametrize(
    "on, statuses",
    [
        ("2026-03-11", (DUE, UPCOMING, UPCOMING, UPCOMING)),
        ("2026-04-10", (EXPIRED, EXPIRED, EXPIRED, DUE)),  # missed ones: KF4 is the visit
        ("2026-04-21", (EXPIRED, EXPIRED, EXPIRED, DUE)),
        ("2026-04-22", (EXPIRED, EXPIRED, EXPIRED, EXPIRED)),
    ],
)
def test_kf_windows_from_the_delivery_date(on, statuses):
    got = kf(on)
    assert tuple(got[f"KF{i}"].status for i in range(1, 5)) == statuses


def test_a_lost_pregnancy_ends_anc_and_plans_no_kf_visits():
    lost = D("2026-03-10")  # week 9 of the pregnancy from HPHT 2026-01-01
    person = PersonFacts(sex="P", hpht=HPHT, delivery_date=lost, pregnancy_lost=True)
    got = {i.item: i for i in plan(person, [], D("2026-03-11"), horizon_days=400)}
    assert not [code for code in got if code.startswith("KF")]
    assert all(got[c].status == EXPIRED for c in got if c.startswith("ANC"))
    assert kf("2026-03-11")["KF1"].status == DUE  # the same dates after a birth: KF1 is due


def test_kf_windows_closed_before_registration_are_expired():
    got = kf("2026-03-20", registered_on=D("2026-03-20"))
    assert (got["KF1"].status, got["KF2"].status, got["KF3"].status) == (EXPIRED, EXPIRED, DUE)
    assert "before registration" in got["KF2"].reason


# --------------------------------------------------------------------------- under-fives


def recurring(item: str, birth: str, on: str, given=(), horizon: int = 60, **facts):
    person = PersonFacts(birth_date=D(birth), **facts)
    records = [Given(code, D(when)) for code, when in given]
    items = plan(person, records, D(on), horizon_days=horizon)
    return {i.occurrence: i for i in items if i.item == item}


@pytest.mark.parametrize(
    "birth, on, occurrence, capsule",
    [
        ("2025-02-01", "2025-08-10", "2025-08", "blue"),  # 6 months on 1 Aug
        ("2025-02-15", "2025-08-10", "2025-08", None),  # 5 months on 1 Aug
        ("2025-02-15", "2026-02-10", "2026-02", "blue"),  # 11 months on 1 Feb
        ("2025-02-01", "2026-02-10", "2026-02", "red"),  # 12 months
        ("2021-03-01", "2026-02-10", "2026-02", "red"),  # 59 months
        ("2021-02-01", "2026-02-10", "2026-02", None),  # 60 months
    ],
)
def test_vitamin_a_capsule_by_age(birth, on, occurrence, capsule):
    got = recurring("VITA", birth, on).get(occurrence)
    if capsule is None:
        assert got is None
    else:
        assert got.status == DUE
        assert f"{capsule} capsule" in got.reason
        dose = "100,000 IU" if capsule == "blue" else "200,000 IU"
        assert dose in got.reason


def test_vitamin_a_only_in_february_and_august():
    got = recurring("VITA", "2024-06-15", "2026-06-01", horizon=366)
    assert sorted(got) == ["2025-08", "2026-02", "2026-08", "2027-02"]
    assert {k: v.status for k, v in got.items()} == {
        "2025-08": EXPIRED,
        "2026-02": EXPIRED,
        "2026-08": UPCOMING,
        "2027-02": UPCOMING,
    }
    assert recurring("VITA", "2024-06-15", "2026-05-10") == {}


def test_vitamin_a_month_window_and_done():
    got = recurring("VITA", "2024-06-15", "2026-08-20", given=[("VITA", "2026-08-11")])
    item = got["2026-08"]
    assert (item.status, item.due_from, item.expires_on) == (DONE, D("2026-08-01"), D("2026-08-31"))
    got = recurring("VITA", "2024-06-15", "2026-09-05")
    assert got["2026-08"].status == EXPIRED


@pytest.mark.parametrize(
    "rule, start, end, expected",
    [
        ({"nth": 2, "weekday": 1}, "2026-03-01", "2026-05-31",
         ["2026-03-10", "2026-04-14", "2026-05-12"]),
        ({"nth": 2, "weekday": 1}, "2026-03-11", "2026-04-14", ["2026-04-14"]),
        ({"nth": -1, "weekday": 4}, "2026-02-01", "2026-02-28", ["2026-02-27"]),
        ({"nth": 5, "weekday": 0}, "2026-03-01", "2026-04-30", ["2026-03-30"]),
        ({"nth": 1, "weekday": 6}, "2025-12-01", "2026-01-31", ["2025-12-07", "2026-01-04"]),
        ({"dates": ["2026-03-03", "2026-03-03", "2026-04-07", "2026-06-02"]}, "2026-03-01",
         "2026-04-30", ["2026-03-03", "2026-04-07"]),
        ([D("2026-04-07"), "2026-03-03"], "2026-03-01", "2026-04-30", ["2026-03-03", "2026-04-07"]),
    ],
)  # fmt: skip
def test_expand_posyandu(rule, start, end, expected):
    assert expand_posyandu(rule, D(start), D(end)) == tuple(D(x) for x in expected)


@pytest.mark.parametrize(
    "rule", [{"nth": 0, "weekday": 1}, {"nth": 2, "weekday": 7}, {"nth": 2}, "2026-03-03"]
)
def test_expand_posyandu_rejects_bad_rules(rule):
    with pytest.raises(ValueError):
        expand_posyandu(rule, D("2026-01-01"), D("2026-12-31"))


def test_weighing_at_each_posyandu_day():
    on = D("2026-03-10")
    days = expand_posyandu({"nth": 2, "weekday": 1}, D("2025-12-01"), D("2026-06-30"))
    got = recurring(
        "WEIGH", "2025-06-01", "2026-03-10", given=[("WEIGH", "2026-02-20")], posyandu_days=days
    )
    assert {k: v.status for k, v in got.items()} == {
        "2026-01-13": EXPIRED,
        "2026-02-10": DONE,  # weighed elsewhere in the same month
        "2026-03-10": DUE,
        "2026-04-14": UPCOMING,
    }
    assert got["2026-04-14"].due_from == D("2026-04-14")
    assert all(on - timedelta(60) <= v.due_from <= on + timedelta(60) for v in got.values())


def test_no_weighing_after_59_months_or_without_posyandu_days():
    days = (D("2026-03-10"),)
    assert recurring("WEIGH", "2021-03-10", "2026-03-10", posyandu_days=days) == {}
    assert recurring("WEIGH", "2021-03-11", "2026-03-10", posyandu_days=days) != {}
    assert recurring("WEIGH", "2025-06-01", "2026-03-10") == {}


# --------------------------------------------------------------------------- CKG


@pytest.mark.parametrize(
    "on, given, occurrence, status",
    [
        ("2026-04-10", (), "2026", UPCOMING),
        ("2026-05-03", (), "2026", DUE),
        ("2026-06-02", (), "2026", DUE),
        ("2026-06-03", (), "2026", OVERDUE),
        ("2026-12-31", (), "2026", OVERDUE),
        ("2026-07-01", (("CKG", "2026-06-10"),), "2026", DONE),
        ("2027-01-15", (), "2026", EXPIRED),
        ("2027-04-10", (("CKG", "2026-06-10"),), "2027", UPCOMING),
    ],
)
def test_ckg_yearly_from_the_birthday(on, given, occurrence, status):
    got = recurring("CKG", "1990-05-03", on, given=given)
    assert got[occurrence].status == status


def test_ckg_one_occurrence_per_year_and_window():
    got = recurring("CKG", "1990-05-03", "2027-04-10", given=[("CKG", "2026-06-10")])
    assert list(got) == ["2027"]
    item = got["2027"]
    assert (item.due_from, item.overdue_from, item.expires_on) == (
        D("2027-05-03"),
        D("2027-06-03"),
        D("2027-12-31"),
    )
    assert "adults" in item.reason


@pytest.mark.parametrize(
    "birth, on, listed, words",
    [
        ("2020-05-03", "2026-05-03", True, "children"),  # 6 years: CKG Ulang Tahun
        ("2015-05-03", "2026-05-03", False, None),  # 11 years: CKG Sekolah at school
        ("2009-05-03", "2026-05-03", False, None),  # 17 years
        ("2008-05-03", "2026-05-03", True, "adults"),  # 18 years
        ("1950-05-03", "2026-05-03", True, "elderly"),
        ("1990-05-03", "2024-05-03", False, None),  # before the programme started
    ],
)
def test_ckg_streams_by_age(birth, on, listed, words):
    got = recurring("CKG", birth, on)
    assert bool(got) is listed
    if listed:
        assert words in got[on[:4]].reason


def test_ckg_dates_around_programme_start_and_leap_day():
    assert recurring("CKG", "1990-01-20", "2025-02-10")["2025"].due_from == D("2025-02-10")
    assert recurring("CKG", "2000-02-29", "2027-02-28")["2027"].due_from == D("2027-02-28")


# --------------------------------------------------------------------------- general


def test_adult_gets_only_ckg():
    person = PersonFacts(birth_date=D("1980-03-20"), sex="L", je_endemic=True)
    assert {i.item for i in plan(person, [], D("2026-03-20"))} == {"CKG"}


def test_output_is_sorted_and_deterministic():
    person = PersonFacts(birth_date=D("2025-01-15"), registered_on=D("2025-08-20"))
    first = plan(person, [], D("2025-08-20"))
    assert first == plan(person, [], D("2025-08-20"))
    assert [i.due_from for i in first] == sorted(i.due_from for i in first)


def test_plan_items_are_frozen_and_well_formed():
    person = PersonFacts(birth_date=D("2025-01-15"), sex="P", hpht=D("2026-01-01"))
    items = plan(person, [Given("BCG", D("2025-02-20"))], D("2026-03-01"), horizon_days=400)
    for item in items:
        assert item.status in {UPCOMING, DUE, OVERDUE, EXPIRED, DONE}
        assert item.reason and item.occurrence
        if item.overdue_from is not None:
            assert item.overdue_from > item.due_from
    with pytest.raises(AttributeError):
        items[0].status = DONE  # type: ignore[misc]


def _active(got: dict[str, PlanItem]) -> set[str]:
    return {code for code, item in got.items() if item.status in (DUE, OVERDUE)}


def test_four_month_old_with_nothing_recorded_gets_one_dose_per_series():
    """The issue: OPV1-4, DPT1-3, PCV1-2 and RV1-3 were all "due" at once."""
    got = doses("2026-07-22", "2026-11-22")
    assert _active(got) == {"BCG", "OPV1", "DPT1", "PCV1", "RV1", "IPV1"}
    for later, first in [("OPV2", "OPV1"), ("DPT2", "DPT1"), ("PCV2", "PCV1"), ("RV2", "RV1")]:
        assert got[later].status == UPCOMING
        assert got[later].waits_for == first
        assert got[later].due_from == D("2026-12-20")  # first dose today at the earliest + 4 weeks
    assert (got["DPT3"].waits_for, got["DPT3"].due_from) == ("DPT2", D("2027-01-17"))
    assert "once DPT2 is recorded" in got["DPT3"].reason


def test_after_dpt1_is_recorded_dpt2_counts_from_it_and_dpt3_from_dpt2():
    """The issue: DPT2 was offered the next day, and DPT3 three days after DPT2."""
    given = [("DPT1", "2026-11-20")]
    got = doses("2026-07-22", "2026-11-21", given=given)
    dpt2, dpt3 = got["DPT2"], got["DPT3"]
    assert (dpt2.status, dpt2.due_from, dpt2.waits_for) == (UPCOMING, D("2026-12-18"), None)
    assert dpt2.reason == "DPT2 due 4 weeks after DPT1 (2026-11-20)"
    assert (dpt3.status, dpt3.due_from, dpt3.waits_for) == (UPCOMING, D("2027-01-15"), "DPT2")
    assert dpt3.due_from - dpt2.due_from == timedelta(weeks=4)
    # the day DPT2 becomes possible it is due, DPT3 still waits
    got = doses("2026-07-22", "2026-12-18", given=given)
    assert got["DPT2"].status == DUE and got["DPT3"].status == UPCOMING


ON_TIME = [("OPV1", "2025-02-15"), ("DPT1", "2025-03-15"), ("OPV2", "2025-03-15")]


@pytest.mark.parametrize(
    "given, on, item, status, due_from",
    [
        # on time: each next dose at its age, the previous one given at its age
        (ON_TIME, "2025-04-15", "DPT2", DUE, "2025-04-15"),
        (ON_TIME, "2025-04-15", "OPV3", DUE, "2025-04-15"),
        (ON_TIME + [("DPT2", "2025-04-15")], "2025-04-16", "DPT3", UPCOMING, "2025-05-15"),
        # late: DPT1 at 5 months -> DPT2 4 weeks later, due for a month, then overdue
        ([("DPT1", "2025-06-20")], "2025-07-17", "DPT2", UPCOMING, "2025-07-18"),
        ([("DPT1", "2025-06-20")], "2025-07-18", "DPT2", DUE, "2025-07-18"),
        ([("DPT1", "2025-06-20")], "2025-08-18", "DPT2", OVERDUE, "2025-07-18"),
        ([("DPT1", "2025-06-20")], "2025-08-18", "DPT3", UPCOMING, "2025-09-15"),
        # catch-up (imunisasi kejar): IPV1 at 30 months, IPV2 4 months later, within 59 months
        ([("IPV1", "2027-07-10")], "2027-11-10", "IPV2", DUE, "2027-11-10"),
        # catch-up: PCV1 at 13 months -> PCV2 8 weeks later, no PCV3
        ([("PCV1", "2026-02-20")], "2026-04-17", "PCV2", DUE, "2026-04-17"),
        # catch-up: rotavirus started at 5 months, RV3 cannot fit before 6 months 29 days
        ([("RV1", "2025-06-25")], "2025-07-23", "RV2", DUE, "2025-07-23"),
        ([("RV1", "2025-06-25")], "2025-07-23", "RV3", EXPIRED, "2025-08-20"),
        ([("RV1", "2025-06-15")], "2025-07-13", "RV3", UPCOMING, "2025-08-10"),  # just fits
        # DPT4 booster 12 months after DPT3, even when the age (18 months) came first
        (
            [("DPT1", "2025-05-01"), ("DPT2", "2025-06-01"), ("DPT3", "2026-01-10")],
            "2026-07-15",
            "DPT4",
            UPCOMING,
            "2027-01-10",
        ),
    ],
)
def test_series_on_time_late_and_catch_up(given, on, item, status, due_from):
    got = doses("2025-01-15", on, given=given, horizon=FAR)
    assert (got[item].status, got[item].due_from) == (status, D(due_from))
    if item == "PCV2":
        assert "PCV3" not in got


def test_out_of_order_a_later_dose_recorded_without_the_earlier_one():
    # DPT2 recorded, DPT1 never: the series goes on from DPT2, DPT1 is not offered any more
    got = doses("2025-01-15", "2025-05-20", given=[("DPT2", "2025-04-20")], horizon=FAR)
    assert got["DPT1"].status == EXPIRED
    assert "DPT2 was given 2025-04-20" in got["DPT1"].reason
    assert "Buku KIA" in got["DPT1"].reason
    assert got["DPT2"].status == DONE and "DPT1 not recorded" in got["DPT2"].reason
    assert (got["DPT3"].status, got["DPT3"].due_from) == (DUE, D("2025-05-18"))
    assert got["DPT3"].waits_for is None


def test_out_of_order_dates_count_from_the_latest_dose_given():
    # DPT2 written with a date before DPT1's: flagged, and DPT3 counts from the later date
    given = [("DPT1", "2025-05-01"), ("DPT2", "2025-04-01")]
    got = doses("2025-01-15", "2025-05-10", given=given, horizon=FAR)
    assert "earlier than 4 weeks after DPT1" in got["DPT2"].reason
    assert got["DPT3"].due_from == D("2025-05-29")


def test_out_of_order_gap_in_the_middle_of_a_series():
    given = [("OPV1", "2025-02-15"), ("OPV3", "2025-05-01")]
    got = doses("2025-01-15", "2025-05-10", given=given, horizon=FAR)
    assert got["OPV2"].status == EXPIRED and "OPV3 was given" in got["OPV2"].reason
    assert (got["OPV4"].status, got["OPV4"].due_from) == (UPCOMING, D("2025-05-29"))
    assert got["OPV4"].waits_for is None


def test_doses_recorded_after_the_planning_date_do_not_unlock_the_next_dose():
    got = doses("2025-01-15", "2025-03-20", given=[("DPT1", "2025-03-25")])
    assert got["DPT1"].status == DUE
    assert got["DPT2"].waits_for == "DPT1"


# --------------------------------------------------------------------------- property

RULES = default_rules()
SERIES_DOSES = [item for s in RULES.series for item in s.doses]


@st.composite
def histories(draw):
    birth = draw(st.dates(min_value=date(2018, 1, 1), max_value=date(2026, 12, 31)))
    on = birth + timedelta(days=draw(st.integers(min_value=0, max_value=16 * 366)))
    items = draw(st.lists(st.sampled_from(SERIES_DOSES + ["HB0", "BCG"]), unique=True))
    records = []
    for item in items:
        # dates from the birth to a little after the planning date (those are ignored)
        offset = draw(st.integers(min_value=0, max_value=(on - birth).days + 30))
        records.append(Given(item, birth + timedelta(days=offset)))
    person = PersonFacts(
        birth_date=birth,
        sex=draw(st.sampled_from(["L", "P", None])),
        je_endemic=draw(st.booleans()),
        kelas_1_year=draw(st.one_of(st.none(), st.integers(birth.year + 5, birth.year + 8))),
    )
    return person, records, on, draw(st.sampled_from([60, FAR]))


def _interval_after(rule, previous_on: date, birth: date):
    interval = rule.min_interval
    late = rule.late_from_age
    if late is not None and previous_on >= late.apply(birth):
        interval = rule.late_min_interval
    return interval.apply(previous_on)


@settings(max_examples=100, deadline=None, database=None)  # bounded, nothing written
@for_all(histories())
def test_property_nothing_before_the_minimum_interval_and_one_dose_per_series_due(case):
    person, records, on, horizon = case
    given = {g.item: g.on for g in records if g.on <= on}
    items = {i.item: i for i in plan(person, records, on, horizon_days=horizon)}
    for series in RULES.series:
        active = [c for c in series.doses if c in items and items[c].status in (DUE, OVERDUE)]
        assert len(active) <= 1, (series.name, active)
        for code in series.doses:  # never planned below the minimum age (WHO), whatever was given
            item, youngest = items.get(code), RULES.earliest_by_age(code, person.birth_date)
            if item is not None and youngest is not None and item.status != DONE:
                assert item.due_from >= youngest[0], (code, item, youngest)
        for before, code in zip(series.doses, series.doses[1:], strict=False):
            item = items.get(code)
            if item is None or item.status in (DONE, EXPIRED):
                continue
            rule = RULES.get(code)
            if before in given:  # never earlier than the interval after the dose given
                assert item.due_from >= _interval_after(rule, given[before], person.birth_date)
            elif before in items and items[before].status != EXPIRED:
                # the previous dose is still to come: this one counts from its earliest date
                earliest = max(items[before].due_from, on)
                assert item.waits_for == before or rule.campaign
                assert item.due_from >= _interval_after(rule, earliest, person.birth_date)
            if item.waits_for is not None:
                assert item.status == UPCOMING and item.due_from > on
                assert item.waits_for in series.doses and item.waits_for not in given
            if item.status in (DUE, OVERDUE) and before in items:
                assert items[before].status in (DONE, EXPIRED), (code, items[before])


# --------------------------------------------------------------------------- school (BIAS)


def school(birth: str, on: str, given=(), sex="P", horizon: int = 60, **facts):
    got = doses(birth, on, given=given, horizon=horizon, sex=sex, **facts)
    return {k: v for k, v in got.items() if k in ("MR3", "DT", "TD1", "TD2", "HPV")}


@pytest.mark.parametrize(
    "birth, item, due_from, expires_on",
    [
        # born before 1 July: 7 on 1 July 2026 -> kelas 1 in 2026/27
        ("2019-03-10", "MR3", "2026-08-01", "2027-06-30"),
        ("2019-03-10", "DT", "2026-11-01", "2027-06-30"),
        ("2019-03-10", "TD1", "2027-11-01", "2028-06-30"),
        ("2019-03-10", "TD2", "2030-11-01", "2031-06-30"),
        ("2019-03-10", "HPV", "2030-08-01", "2035-03-09"),  # offered until 15 years
        ("2019-07-01", "MR3", "2026-08-01", "2027-06-30"),  # 7 on that very day
        # born after 1 July: still 6 on 1 July 2026 -> kelas 1 in 2027/28
        ("2019-07-02", "MR3", "2027-08-01", "2028-06-30"),
        ("2019-09-10", "TD2", "2031-11-01", "2032-06-30"),
    ],
)
def test_bias_doses_by_age_in_august_and_november(birth, item, due_from, expires_on):
    got = school(birth, birth, horizon=6000)[item]
    assert (got.due_from, got.expires_on) == (D(due_from), D(expires_on))
    assert got.due_from.month in (8, 11) and got.due_from.day == 1


@pytest.mark.parametrize(
    "on, status",
    [
        ("2026-07-31", UPCOMING),
        ("2026-08-01", DUE),
        ("2026-08-31", DUE),
        ("2026-09-01", OVERDUE),  # the BIAS session was missed: catch up at the puskesmas
        ("2027-06-30", OVERDUE),
        ("2027-07-01", EXPIRED),  # the school year is over
    ],
)
def test_bias_window_is_the_campaign_month_then_the_school_year(on, status):
    assert school("2019-03-10", on)["MR3"].status == status


def test_known_grade_wins_over_the_age():
    got = school("2019-09-10", "2025-08-05", kelas_1_year=2025)
    assert (got["MR3"].status, got["MR3"].due_from) == (DUE, D("2025-08-01"))
    assert "kelas 1)" in got["MR3"].reason and "by age" not in got["MR3"].reason
    assert "by age 7" in school("2019-03-10", "2026-08-05")["MR3"].reason


def test_hpv_only_for_girls_and_a_single_dose():
    assert "HPV" in school("2015-03-10", "2026-08-05", sex="P")
    assert "HPV" not in school("2015-03-10", "2026-08-05", sex="L")
    assert "HPV" not in school("2015-03-10", "2026-08-05", sex=None)
    got = school("2015-03-10", "2027-08-05", sex="P")
    assert got["HPV"].status == OVERDUE  # kelas 6: catch-up, no second dose
    got = school("2015-03-10", "2027-08-05", given=[("HPV", "2026-08-10")])
    assert got["HPV"].status == DONE
    assert school("2015-03-10", "2030-03-10")["HPV"].status == OVERDUE  # 15 years
    assert "HPV" not in school("2015-03-10", "2031-03-10")  # 16: no longer tracked


def test_school_doses_planned_without_the_earlier_doses_recorded():
    # a 7-year-old registered with no records at all: the whole class gets MR and DT
    got = school("2019-03-10", "2026-08-05")
    assert got["MR3"].status == DUE and got["MR3"].waits_for is None
    assert "planned by grade" in got["MR3"].reason


def test_school_dose_still_respects_the_interval_after_a_recorded_dose():
    # MR2 given late, on 20 July 2026: MR3 no earlier than 4 weeks later
    got = school("2019-03-10", "2026-08-05", given=[("MR2", "2026-07-20")])
    assert (got["MR3"].status, got["MR3"].due_from) == (UPCOMING, D("2026-08-17"))
    got = school("2019-03-10", "2027-11-05", given=[("DT", "2027-10-20")])
    assert (got["TD1"].status, got["TD1"].due_from) == (UPCOMING, D("2027-11-17"))


def test_later_doses_of_a_held_series_wait_for_the_book_check_too():
    """Third trial: with the KIA book unknown ("lupa"), JADWAL said "Polio tetes 2 mulai Sabtu
    2 Jan": a date that means nothing while polio 1 may be in the book."""
    got = doses("2026-01-20", "2026-11-22", book_check_from=D("2026-11-22"))
    assert got["OPV1"].awaits_check
    later = [i for i in got.values() if i.waits_for in {"OPV1", "DPT1", "PCV1"}]
    assert later and all(i.awaits_check for i in later)
    fresh = doses("2026-01-20", "2026-11-22")  # without a pending check: dated as before
    assert not fresh["OPV2"].awaits_check and fresh["OPV2"].waits_for == "OPV1"


def test_a_dose_missing_before_a_later_one_on_record_is_a_gap_for_the_book_check():
    """Fourth trial: OPV2 missing with OPV3 recorded showed "Lewat batas" with no reason."""
    items = doses("2026-01-10", "2026-11-22", [("OPV1", "2026-02-10"), ("OPV3", "2026-04-10")])
    assert items["OPV2"].status == EXPIRED and items["OPV2"].gap_after == "OPV3"
    assert items["OPV1"].gap_after is None and items["OPV3"].status == DONE


# --------------------------------------------------------------------------- Td, pregnant women

TD = ("TSCREEN", "T1", "T2", "T3", "T4", "T5")


def td(on: str, given=(), hpht="2026-01-10", horizon: int = 60, **facts) -> dict[str, PlanItem]:
    """The Td items of a woman born 1998 who is pregnant from `hpht`."""
    facts.setdefault("sex", "P")
    got = doses("1998-03-01", on, given, horizon, hpht=D(hpht) if hpht else None, **facts)
    return {k: v for k, v in got.items() if k in TD}


def test_pregnant_woman_with_no_record_is_screened_first_never_told_she_is_late():
    """Reference 1.5/2.1: screen the T-status first. With nothing recorded, the screening is
    due from the start of the pregnancy (her first antenatal check) and no Td dose is planned,
    so nothing says "T3 terlambat" to a woman whose history is unknown."""
    for on in ("2026-01-10", "2026-03-01", "2026-07-20", "2026-10-10"):
        got = td(on)
        assert set(got) == {"TSCREEN"}, (on, got)
        item = got["TSCREEN"]
        assert (item.status, item.due_from, item.overdue_from) == (DUE, D("2026-01-10"), None)
        assert item.expires_on == D("2026-10-30")  # 41 completed weeks (41w6d), as ANC
        assert "first antenatal check" in item.reason
    assert td("2026-10-31") == {}  # the pregnancy is over: nothing


def test_no_td_for_a_man_or_a_woman_not_pregnant():
    assert td("2026-03-01", sex="L") == {}
    assert td("2026-03-01", hpht=None) == {}


def test_screened_without_a_dose_gets_t1_at_once_then_t2_waits_for_it():
    got = td("2026-03-02", [("TSCREEN", "2026-03-02")])
    assert got["TSCREEN"].status == DONE
    assert (got["T1"].status, got["T1"].due_from) == (DUE, D("2026-03-02"))
    assert got["T1"].overdue_from == D("2026-04-02")
    assert (got["T2"].status, got["T2"].waits_for) == (UPCOMING, "T1")
    assert got["T2"].due_from == D("2026-03-30")  # T1 today at the earliest + 4 weeks
    assert "T3" not in got  # six months later: beyond the horizon


def test_t1_recorded_t2_from_four_weeks_after_it():
    got = td("2026-03-05", [("T1", "2026-03-01")])
    assert "TSCREEN" not in got  # a T dose on record: she was screened
    assert got["T1"].status == DONE
    t2 = got["T2"]
    assert (t2.status, t2.due_from, t2.waits_for) == (UPCOMING, D("2026-03-29"), None)
    assert "4 weeks after T1" in t2.reason
    assert td("2026-03-29", [("T1", "2026-03-01")])["T2"].status == DUE
    assert td("2026-04-29", [("T1", "2026-03-01")])["T2"].status == OVERDUE


def test_t3_six_months_after_t2_only_while_pregnant():
    given = [("T1", "2025-01-05"), ("T2", "2025-02-10")]
    got = td("2026-02-01", given)
    assert (got["T3"].status, got["T3"].due_from) == (DUE, D("2026-01-10"))  # from HPHT
    # T2 given at 12 weeks: T3 (6 months later) falls after this pregnancy, not planned here
    late = td("2026-04-05", [("T1", "2026-03-01"), ("T2", "2026-04-03")])
    assert set(late) == {"T1", "T2"}


def test_t5_documented_nothing_more():
    given = [(f"T{n}", f"{2018 + n}-03-01") for n in range(1, 6)]
    got = td("2026-03-01", given)
    assert {k: v.status for k, v in got.items()} == {f"T{n}": DONE for n in range(1, 6)}


def test_childhood_doses_count_towards_her_t_status():
    """DPT-HB-Hib x4 = T3 (Permenkes 12/2017 Tabel 2): after the screening her next Td is T4,
    counted from the booster; with DT and Td at school (T5) nothing is planned at all."""
    child = [("DPT1", "1998-05-01"), ("DPT2", "1998-06-01"), ("DPT3", "1998-07-01"),
             ("DPT4", "1999-09-01")]  # fmt: skip
    got = td("2026-03-01", child)
    assert set(got) == {"TSCREEN", "T1", "T2", "T3"}
    assert got["TSCREEN"].status == DUE and "give T3" in got["TSCREEN"].reason
    assert {got[f"T{n}"].status for n in (1, 2, 3)} == {DONE}
    got = td("2026-03-01", child + [("TSCREEN", "2026-02-20")])
    assert (got["T4"].status, got["T4"].due_from) == (DUE, D("2026-02-20"))  # not before screening
    school = child + [("DT", "2005-11-01"), ("TD1", "2006-11-01")]
    got = td("2026-03-01", school)
    assert {k: v.status for k, v in got.items()} == {f"T{n}": DONE for n in range(1, 6)}


def test_td_ends_with_the_pregnancy():
    given = [("TSCREEN", "2026-03-01")]
    assert td("2026-08-02", given, delivery_date=D("2026-08-01")) == {
        "TSCREEN": td("2026-08-02", given, delivery_date=D("2026-08-01"))["TSCREEN"]
    }
    assert "T1" not in td("2026-08-02", given, delivery_date=D("2026-08-01"))


def test_a_screening_counts_for_its_own_pregnancy_only():
    earlier = [("TSCREEN", "2024-02-01")]  # the last pregnancy's screening, no dose recorded
    got = td("2026-03-01", earlier)
    assert (got["TSCREEN"].status, set(got)) == (DUE, {"TSCREEN"})
