"""The shipped schedule YAML loads, is sourced, and broken files are rejected with clear errors."""

from __future__ import annotations

import copy
import dataclasses
import re
from datetime import date
from pathlib import Path

import pytest
import yaml

from scheduler.rules import (
    ITEM_CODES,
    RULES_DIR,
    SCHOOL_DOSE_ITEMS,
    DoseRule,
    RuleError,
    VisitRule,
    default_rules,
    iter_sources,
    load_rules,
    parse_offset,
)

REFERENCE = Path(__file__).resolve().parents[2] / "shared" / "reference" / "ilp-health-facts.md"
SHIPPED_FILES = (
    "adult.yml",
    "antenatal.yml",
    "immunization.yml",
    "postnatal.yml",
    "school.yml",
    "td_women.yml",
    "under_five.yml",
)


@pytest.fixture(scope="module")
def rules():
    return load_rules()


# --------------------------------------------------------------------------- shipped data


def test_shipped_files_load_and_cover_every_item_code_once(rules):
    assert rules.files == SHIPPED_FILES
    assert sorted(rule.item for rule in rules) == sorted(ITEM_CODES)
    assert len(rules) == len(ITEM_CODES) == 48


def test_default_rules_are_loaded_once():
    assert default_rules() is default_rules()


def test_every_rule_has_a_source_with_regulation_and_urls(rules):
    for rule in rules:
        assert rule.source.regulation.strip(), rule.item
        assert rule.source.urls, rule.item
        for url in rule.source.urls:
            assert re.match(r"https?://\S+$", url), (rule.item, url)


def test_every_source_url_comes_from_the_reference_file(rules):
    if not REFERENCE.exists():
        pytest.skip("shared reference file not available")
    text = REFERENCE.read_text(encoding="utf-8")
    missing = {(item, u) for item, src in iter_sources(rules) for u in src.urls if u not in text}
    assert not missing


@pytest.mark.parametrize(
    "item",
    ["HB0", "MR1", "MR2", "HPV", "CKG"]
    + [f"ANC{i}" for i in range(1, 7)]
    + [f"KF{i}" for i in range(1, 5)],
)
def test_unconfirmed_items_are_flagged_with_a_note(rules, item):
    rule = rules.get(item)
    assert rule.confidence == "unconfirmed"
    assert rule.unconfirmed
    assert len(rule.note) > 20


@pytest.mark.parametrize(
    "item", ["RV3", "IPV2", "PCV3", "DPT4", "OPV2", "DPT3", "KN1", "KN3", "VITA", "WEIGH"]
)
def test_sourced_items_are_confirmed(rules, item):
    assert rules.get(item).confidence == "confirmed"


SERIES = {
    "OPV": ("OPV1", "OPV2", "OPV3", "OPV4"),
    "DPT-HB-Hib": ("DPT1", "DPT2", "DPT3", "DPT4"),
    "PCV": ("PCV1", "PCV2", "PCV3"),
    "RV": ("RV1", "RV2", "RV3"),
    "IPV": ("IPV1", "IPV2"),
    "MR": ("MR1", "MR2", "MR3"),
    "DT-Td": ("DT", "TD1", "TD2"),
    "Td-WUS": ("T1", "T2", "T3", "T4", "T5"),
}


def test_every_multi_dose_antigen_is_a_series(rules):
    assert {s.name: s.doses for s in rules.series} == SERIES
    single = {r.item for r in rules.doses if r.series is None}
    assert single == {"HB0", "BCG", "JE", "HPV"}  # HPV: one dose from 2025 (school.yml)
    for series in rules.series:
        assert rules.get(series.doses[0]).after is None
        for before, item in zip(series.doses, series.doses[1:], strict=False):
            assert rules.get(item).after == before
            assert rules.get(item).series == series.name
            assert rules.series_of(item) is series


@pytest.mark.parametrize(
    "item, after, minimum, source",
    [
        ("IPV2", "IPV1", "4m", "KMK HK.01.07/MENKES/1453/2022"),
        ("PCV2", "PCV1", "4w", "KMK HK.01.07/MENKES/6780/2021"),
        ("PCV3", "PCV2", "8w", "KMK HK.01.07/MENKES/6780/2021"),
        ("DPT4", "DPT3", "12m", "Permenkes 12/2017"),
        ("MR2", "MR1", "6m", "Permenkes 12/2017"),
        ("RV2", "RV1", "4w", "KMK HK.01.07/MENKES/1139/2022"),
        ("RV3", "RV2", "4w", "KMK HK.01.07/MENKES/1139/2022"),
        # no national interval found for primary OPV / DPT-HB-Hib: WHO's summary table
        ("OPV2", "OPV1", "4w", "WHO"),
        ("OPV3", "OPV2", "4w", "WHO"),
        ("OPV4", "OPV3", "4w", "WHO"),
        ("DPT2", "DPT1", "4w", "WHO"),
        ("DPT3", "DPT2", "4w", "WHO"),
        ("MR3", "MR2", "4w", "WHO"),
        ("TD1", "DT", "4w", "T-status"),
        ("TD2", "TD1", "4w", "T-status"),
        # Td for women (reference section 1.5)
        ("T2", "T1", "4w", "T-status table"),
        ("T3", "T2", "6m", "T-status table"),
        ("T4", "T3", "1y", "T-status table"),
        ("T5", "T4", "1y", "T-status table"),
    ],
)
def test_minimum_intervals_come_from_a_cited_source(rules, item, after, minimum, source):
    rule = rules.get(item)
    assert isinstance(rule, DoseRule)
    assert rule.after == after
    assert rule.min_interval == parse_offset(minimum)
    assert source in rule.interval_source.regulation
    assert rule.interval_source.urls


@pytest.mark.parametrize(
    "item, minimum",
    [
        ("DPT1", "6w"),
        ("OPV2", "6w"),  # bOPV from 6 weeks, the national 0-1 month OPV1 (birth dose) apart
        ("PCV1", "6w"),
        ("RV1", "6w"),
        ("IPV1", "14w"),
        ("MR1", "9m"),
    ],
)
def test_minimum_ages_come_from_who_table2(rules, item, minimum):
    rule = rules.get(item)
    assert rule.min_age == parse_offset(minimum)
    assert "WHO" in rule.min_age_source.regulation
    assert (item, rule.min_age_source) in set(iter_sources([rule]))


@pytest.mark.parametrize(
    "item, birth, earliest, first",
    [
        ("OPV1", "2026-01-10", None, None),
        ("HB0", "2026-01-10", None, None),
        ("DPT1", "2026-01-10", "2026-02-21", "DPT1"),
        ("DPT2", "2026-01-10", "2026-03-21", "DPT1"),  # 6 weeks + 4 weeks
        ("OPV4", "2026-01-10", "2026-04-18", "OPV2"),
        ("IPV2", "2026-01-10", "2026-08-18", "IPV1"),  # 14 weeks + 4 months
        ("MR1", "2025-05-31", "2026-02-28", "MR1"),  # calendar months, clamped
        ("MR2", "2026-01-10", "2027-04-10", "MR1"),  # 9 months + 6 months
    ],
)
def test_earliest_by_age_chains_the_intervals(rules, item, birth, earliest, first):
    got = rules.earliest_by_age(item, date.fromisoformat(birth))
    if earliest is None:
        assert got is None
    else:
        assert (got[0], got[1]) == (date.fromisoformat(earliest), first)


def test_pcv_catch_up_interval_switches_when_pcv1_was_late(rules):
    pcv2 = rules.get("PCV2")
    assert (pcv2.late_from_age, pcv2.late_min_interval) == (parse_offset("12m"), parse_offset("8w"))


@pytest.mark.parametrize(
    "item, grade, month, sex",
    [
        ("MR3", 1, 8, None),
        ("DT", 1, 11, None),
        ("TD1", 2, 11, None),
        ("TD2", 5, 11, None),
        ("HPV", 5, 8, "P"),
    ],
)
def test_school_doses_by_grade_in_the_bias_months(rules, item, grade, month, sex):
    rule = rules.get(item)
    assert (rule.school_grade, rule.school_month, rule.sex) == (grade, month, sex)
    assert rule.campaign
    assert rule.at == parse_offset(f"{6 + grade}y")  # the usual age of the grade
    assert month in rules.school.bias_months == (8, 11)


def test_school_calendar_maps_grades_to_ages(rules):
    school = rules.school
    assert [school.age_for(g) for g in (1, 2, 5, 6)] == [7, 8, 11, 12]
    assert school.school_year(date(2019, 3, 10), 1) == 2026  # 7 on 1 July 2026
    assert school.school_year(date(2019, 7, 1), 1) == 2026  # 7 that very day
    assert school.school_year(date(2019, 7, 2), 1) == 2027  # still 6 on 1 July 2026
    assert school.school_year(date(2019, 3, 10), 5) == 2030
    assert set(SCHOOL_DOSE_ITEMS) == {r.item for r in rules.doses if r.campaign}


def test_hpv_follows_the_single_dose_source_and_says_so(rules):
    hpv = rules.get("HPV")
    assert hpv.until == parse_offset("15y")
    assert "single dose" in hpv.label.lower() or "single dose" in hpv.note.lower()
    assert "7756044" in " ".join(hpv.source.urls)  # Direktur Imunisasi, 17 Nov 2025
    assert "HPV2" not in ITEM_CODES
    text = (RULES_DIR / "school.yml").read_text(encoding="utf-8")
    assert "open question" in text and "newest source" in text


@pytest.mark.parametrize(
    "item, at, until",
    [
        ("HB0", "0d", "7d"),
        ("BCG", "1m", None),
        ("OPV1", "1m", "59m"),
        ("DPT1", "2m", "59m"),
        ("PCV1", "2m", "59m"),
        ("RV1", "2m", "6m29d"),
        ("RV3", "4m", "6m29d"),
        ("IPV1", "4m", "59m"),
        ("IPV2", "9m", "59m"),
        ("MR1", "9m", "59m"),
        ("JE", "10m", None),
        ("PCV3", "12m", "23m"),
        ("DPT4", "18m", "59m"),
        ("MR2", "18m", "59m"),
    ],
)
def test_recommended_ages_and_limits(rules, item, at, until):
    rule = rules.get(item)
    assert rule.at == parse_offset(at)
    assert rule.until == (None if until is None else parse_offset(until))


def test_je_is_conditional_and_rv_has_its_cohort_start(rules):
    assert rules.get("JE").only_if == "je_endemic"
    assert all(rules.get(c).only_if is None for c in ("MR1", "IPV2", "BCG"))
    assert rules.get("RV1").born_from == date(2023, 5, 16)


def test_antenatal_split_and_doctor_visits(rules):
    assert rules.anc_split == "1-2-3"
    assert set(rules.anc_splits) == {"1-2-3", "2-1-3"}
    doctors = [v.item for v in rules.visits if v.doctor]
    assert doctors == ["ANC1", "ANC5"]
    assert [rules.get(f"ANC{i}").trimester for i in range(1, 7)] == [1, 2, 2, 3, 3, 3]
    alt = load_rules(anc_split="2-1-3")
    assert [alt.get(f"ANC{i}").trimester for i in range(1, 7)] == [1, 1, 2, 3, 3, 3]


def test_unknown_anc_split_is_rejected():
    with pytest.raises(RuleError, match="3-2-1"):
        load_rules(anc_split="3-2-1")


def test_loaded_rules_are_frozen(rules):
    rule = rules.get("RV3")
    with pytest.raises(dataclasses.FrozenInstanceError):
        rule.until = None  # type: ignore[misc]
    with pytest.raises(TypeError):
        rules.by_item["RV3"] = rule  # type: ignore[index]


def test_visit_rules_use_the_right_anchor(rules):
    anchors = {v.item: v.anchor for v in rules.visits if isinstance(v, VisitRule)}
    assert {anchors[f"KN{i}"] for i in (1, 2, 3)} == {"birth"}
    assert {anchors[f"KF{i}"] for i in (1, 2, 3, 4)} == {"delivery"}
    assert {anchors[f"ANC{i}"] for i in range(1, 7)} == {"pregnancy"}


# --------------------------------------------------------------------------- offsets


@pytest.mark.parametrize(
    "text, months, days",
    [
        ("0d", 0, 0),
        ("2m", 2, 0),
        ("6m29d", 6, 29),
        ("8w", 0, 56),
        ("1y6m", 18, 0),
        ("60m-1d", 60, -1),
        ("41w", 0, 287),
    ],
)
def test_parse_offset(text, months, days):
    offset = parse_offset(text)
    assert (offset.months, offset.days) == (months, days)


@pytest.mark.parametrize("text", ["", "2", "3 monts", "2mm", "1d2m", "m2", "2m2m", 2, None])
def test_parse_offset_rejects_garbage(text):
    with pytest.raises(ValueError):
        parse_offset(text)


@pytest.mark.parametrize(
    "text, start, point, last_day",
    [
        ("6m29d", date(2025, 1, 15), date(2025, 8, 13), date(2025, 8, 13)),
        ("59m", date(2025, 1, 31), date(2029, 12, 31), date(2030, 1, 30)),
        ("12w", date(2026, 1, 1), date(2026, 3, 26), date(2026, 4, 1)),
        ("1m", date(2024, 1, 31), date(2024, 2, 29), date(2024, 3, 30)),
        ("1y", date(2024, 2, 29), date(2025, 2, 28), date(2026, 2, 27)),
        ("28d", date(2026, 3, 10), date(2026, 4, 7), date(2026, 4, 7)),
    ],
)
def test_offset_point_and_completed_age(text, start, point, last_day):
    offset = parse_offset(text)
    assert offset.apply(start) == point
    assert offset.last_day(start) == last_day


def test_offset_human_text():
    assert parse_offset("6m29d").human() == "6 months 29 days"
    assert parse_offset("1m").words == "1 month"
    assert parse_offset("8w").words == "8 weeks"


# --------------------------------------------------------------------------- broken files


def _copy_shipped(tmp_path: Path) -> dict[str, dict]:
    docs = {}
    for path in sorted(RULES_DIR.glob("*.yml")):
        docs[path.name] = yaml.safe_load(path.read_text(encoding="utf-8"))
    return docs


def _write(tmp_path: Path, docs: dict[str, dict]) -> None:
    for name, doc in docs.items():
        (tmp_path / name).write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")


def _rule(doc: dict, item: str) -> dict:
    for i, rule in enumerate(doc["rules"]):
        if rule["item"] == item:
            doc["rules"][i] = copy.deepcopy(rule)  # YAML aliases share objects
            return doc["rules"][i]
    raise KeyError(item)


def test_an_unmodified_copy_loads(tmp_path):
    _write(tmp_path, _copy_shipped(tmp_path))
    assert len(load_rules(tmp_path)) == 48


def _drop(key):
    def mutate(rule):
        del rule[key]

    return mutate


def _set(key, value):
    def mutate(rule):
        rule[key] = value

    return mutate


def _set_source(key, value):
    def mutate(rule):
        rule["source"] = dict(rule["source"], **{key: value})

    return mutate


def _drop_window(variant):
    def mutate(rule):
        rule["windows"] = {k: v for k, v in rule["windows"].items() if k != variant}

    return mutate


def _gap_in_bands(rule):
    rule["bands"] = [b for b in rule["bands"] if b["from"] != 7]


BROKEN = [
    ("immunization.yml", "RV3", _drop("source"), "RV3", "source"),
    ("immunization.yml", "RV3", _set("item", "RV9"), "RV9", "unknown item code"),
    ("immunization.yml", "PCV3", _set("at", "12 monts"), "PCV3", "cannot parse offset"),
    ("immunization.yml", "IPV2", _set("until", "fifty"), "IPV2", "until"),
    ("immunization.yml", "OPV2", _set("after", {"item": "OPV1", "min": "4w"}), "OPV2", "unknown"),
    ("immunization.yml", "MR2", _drop("at"), "MR2", "needs either 'at'"),
    ("school.yml", "DT", _set("school", {"grade": 1, "month": 9}), "DT", "not a BIAS month"),
    ("school.yml", "DT", _set("at", "7y"), "DT", "needs either 'at'"),
    ("school.yml", "TD1", _drop("until"), "TD1", "until"),
    ("school.yml", "HPV", _set("sex", "F"), "HPV", "sex"),
    ("immunization.yml", "BCG", _set("until", "school_year"), "BCG", "school"),
    ("immunization.yml", "IPV2", _set("untill", "59m"), "IPV2", "unknown key"),
    ("immunization.yml", "BCG", _set("kind", "visit"), "BCG", "kind"),
    ("immunization.yml", "JE", _set("only_if", "always"), "JE", "only_if"),
    ("immunization.yml", "DPT4", _set_source("urls", ["not a url"]), "DPT4", "not a URL"),
    ("immunization.yml", "DPT4", _set_source("urls", []), "DPT4", "urls"),
    ("immunization.yml", "MR1", _set_source("regulation", " "), "MR1", "regulation"),
    ("immunization.yml", "HB0", _set("confidence", "maybe"), "HB0", "confidence"),
    ("postnatal.yml", "KF2", _drop("note"), "KF2", "note"),
    ("postnatal.yml", "KN2", _set("anchor", "conception"), "KN2", "anchor"),
    ("antenatal.yml", "ANC3", _drop_window("2-1-3"), "ANC3", "windows"),
    ("under_five.yml", "VITA", _set("months", [2, 13]), "VITA", "months"),
    ("adult.yml", "CKG", _gap_in_bands, "CKG", "bands"),
    ("adult.yml", "CKG", _set("starts_on", "someday"), "CKG", "starts_on"),
]


@pytest.mark.parametrize(
    "filename, item, mutate, rule_name, fragment",
    BROKEN,
    ids=[f"{b[1]}-{b[4]}" for b in BROKEN],
)
def test_broken_rule_is_rejected_naming_file_and_rule(
    tmp_path, filename, item, mutate, rule_name, fragment
):
    docs = _copy_shipped(tmp_path)
    mutate(_rule(docs[filename], item))
    _write(tmp_path, docs)
    with pytest.raises(RuleError) as info:
        load_rules(tmp_path)
    message = str(info.value)
    assert message.startswith(filename), message
    assert f"rule {rule_name}" in message, message
    assert fragment in message, message


def _series(doc: dict, name: str) -> dict:
    for i, series in enumerate(doc["series"]):
        if series["name"] == name:
            doc["series"][i] = copy.deepcopy(series)
            return doc["series"][i]
    raise KeyError(name)


def _drop_interval_source(series):
    del series["intervals"]["OPV3"]["source"]


def _interval_for_unknown_item(series):
    series["intervals"]["OPV9"] = {"min": "4w", "source": "who-table2"}


def _interval_for_another_series(series):
    series["intervals"]["DPT2"] = {"min": "4w", "source": "who-table2"}


def _cycle(series):
    series["doses"] = ["OPV1", "OPV2", "OPV3", "OPV1"]


def _missing_interval(series):
    del series["intervals"]["OPV4"]


def _unknown_source(series):
    series["intervals"]["OPV2"]["source"] = "somewhere"


def _dose_in_two_series(series):
    series["doses"] = ["DPT1", "DPT2", "DPT3", "DPT4", "OPV1"]
    series["intervals"]["OPV1"] = {"min": "4w", "source": "who-table2"}


def _unknown_dose(series):
    series["doses"] = ["OPV1", "OPV2", "OPV3", "OPV4", "OPV5"]
    series["intervals"]["OPV5"] = {"min": "4w", "source": "who-table2"}


def _ages_backwards(series):
    series["doses"] = ["OPV1", "OPV3", "OPV2", "OPV4"]


def _zero_interval(series):
    series["intervals"]["OPV2"]["min"] = "0d"


def _min_age_above_the_recommended_age(series):
    series["min_age"]["OPV2"]["age"] = "10w"  # OPV2 is at 2 months


def _min_age_without_source(series):
    del series["min_age"]["OPV2"]["source"]


def _min_age_for_another_series(series):
    series["min_age"]["DPT1"] = {"age": "6w", "source": "who-table2"}


BROKEN_SERIES = [
    ("OPV", _drop_interval_source, "missing source"),
    ("OPV", _interval_for_unknown_item, "interval for an unknown item 'OPV9'"),
    ("OPV", _interval_for_another_series, "not a dose of this series"),
    ("OPV", _cycle, "cycle: OPV1"),
    ("OPV", _missing_interval, "no minimum interval for OPV4"),
    ("OPV", _unknown_source, "unknown source 'somewhere'"),
    ("DPT-HB-Hib", _dose_in_two_series, "OPV1 is already a dose of series OPV"),
    ("OPV", _unknown_dose, "unknown item 'OPV5'"),
    ("OPV", _ages_backwards, "OPV2 (at 2m) comes after OPV3 (at 3m)"),
    ("OPV", _zero_interval, "must be positive"),
    ("OPV", _min_age_above_the_recommended_age, "OPV2 at 2m is below its minimum age"),
    ("OPV", _min_age_without_source, "min_age.OPV2: missing source"),
    ("OPV", _min_age_for_another_series, "minimum age for DPT1, which is not a dose"),
]


@pytest.mark.parametrize(
    "name, mutate, fragment", BROKEN_SERIES, ids=[b[1].__name__ for b in BROKEN_SERIES]
)
def test_broken_series_is_rejected_naming_file_and_series(tmp_path, name, mutate, fragment):
    docs = _copy_shipped(tmp_path)
    mutate(_series(docs["immunization.yml"], name))
    _write(tmp_path, docs)
    with pytest.raises(RuleError) as info:
        load_rules(tmp_path)
    message = str(info.value)
    assert message.startswith("immunization.yml: series "), message
    assert fragment in message, message


def test_a_school_dose_needs_the_school_calendar(tmp_path):
    docs = _copy_shipped(tmp_path)
    del docs["school.yml"]["school"]
    _write(tmp_path, docs)
    with pytest.raises(RuleError, match=r"^school\.yml: rule MR3: .*top-level 'school:'"):
        load_rules(tmp_path)


def test_duplicate_item_across_files_is_rejected(tmp_path):
    docs = _copy_shipped(tmp_path)
    duplicate = dict(_rule(docs["postnatal.yml"], "KN1"), track_until="3m")
    docs["under_five.yml"]["rules"].append(duplicate)
    _write(tmp_path, docs)
    with pytest.raises(RuleError, match=r"under_five\.yml: rule KN1: duplicate item"):
        load_rules(tmp_path)


def test_invalid_yaml_syntax_names_the_file(tmp_path):
    _write(tmp_path, _copy_shipped(tmp_path))
    (tmp_path / "adult.yml").write_text("rules: [\n  - item: CKG\n", encoding="utf-8")
    with pytest.raises(RuleError, match=r"^adult\.yml: invalid YAML"):
        load_rules(tmp_path)


def test_unknown_top_level_key_is_rejected(tmp_path):
    docs = _copy_shipped(tmp_path)
    docs["adult.yml"]["rulez"] = []
    _write(tmp_path, docs)
    with pytest.raises(RuleError, match=r"^adult\.yml: unknown top-level key"):
        load_rules(tmp_path)


def test_empty_directory_is_rejected(tmp_path):
    with pytest.raises(RuleError, match="no \\*.yml"):
        load_rules(tmp_path)


# --------------------------------------------------------------------------- Td for women


def test_td_for_women_is_a_screened_series_timed_from_the_pregnancy(rules):
    """Reference 1.5 / 2.1: T1-T5 for women (sex P), timed from HPHT, after the T-status
    screening; every dose, its interval, the screening and the childhood counting sourced."""
    series = rules.series_of("T1")
    assert series.name == "Td-WUS" and series.screening == "TSCREEN"
    screening = rules.get("TSCREEN")
    assert screening.kind == "screening" and screening.anchor == "pregnancy"
    assert "first antenatal check" in screening.label
    assert any("Skrining-Status-T" in u for u in screening.source.urls)
    for code in series.doses:
        rule = rules.get(code)
        assert (rule.anchor, rule.sex, rule.at) == ("pregnancy", "P", parse_offset("0w"))
        assert rule.source.urls and rule.source.regulation
        assert rule.until == parse_offset("41w")
    assert rules.get("T1").after is None and rules.get("T1").interval_source is None
    sources = {item for item, src in iter_sources([screening]) if src.urls}
    assert sources == {"TSCREEN"}
    assert "Permenkes 12/2017" in screening.counts_source.regulation
    assert [(lv.status, lv.doses, lv.need_all) for lv in series.counted] == [
        (2, ("DPT1", "DPT2", "DPT3"), True),
        (3, ("DPT4",), True),
        (4, ("DT",), True),
        (5, ("TD1", "TD2"), False),
    ]
    assert "verify" in series.counted_note  # only T3 (DPT4) is quoted in the reference


@pytest.mark.parametrize(
    "given, status, latest",
    [
        ({}, 0, None),
        ({"DPT1": "2000-03-01", "DPT2": "2000-04-01"}, 0, None),  # primary series incomplete
        ({"DPT1": "2000-03-01", "DPT2": "2000-04-01", "DPT3": "2000-05-01"}, 2, "DPT3"),
        ({"DPT1": "2000-03-01", "DPT2": "2000-04-01", "DPT3": "2000-05-01",
          "DPT4": "2001-08-01"}, 3, "DPT4"),
        # a gap stops the count: DT kelas 1 without the booster is not T4
        ({"DPT1": "2000-03-01", "DPT2": "2000-04-01", "DPT3": "2000-05-01",
          "DT": "2007-11-01"}, 2, "DPT3"),
        ({"DPT1": "2000-03-01", "DPT2": "2000-04-01", "DPT3": "2000-05-01",
          "DPT4": "2001-08-01", "DT": "2007-11-01", "TD2": "2011-11-01"}, 5, "TD2"),
    ],
)  # fmt: skip
def test_childhood_doses_count_towards_the_t_status(rules, given, status, latest):
    series = rules.series_of("T1")
    got = series.counted_status({k: date.fromisoformat(v) for k, v in given.items()})
    assert (got[0], got[2]) == (status, latest)


def _td_drop_source(doc):
    del doc["series"][0]["intervals"]["T3"]["source"]


def _td_unknown_screening(doc):
    doc["series"][0]["screening"] = "ANC1"


def _td_counted_not_a_dose(doc):
    doc["series"][0]["counted_from"]["levels"][0]["all_of"] = ["ANC1"]


def _td_counted_without_source(doc):
    del doc["series"][0]["counted_from"]["source"]


def _td_counted_backwards(doc):
    doc["series"][0]["counted_from"]["levels"][1]["status"] = 2


def _td_dose_from_birth(doc):
    doc["rules"][2]["anchor"] = "birth"  # T2 timed from birth, T1 from the pregnancy


BROKEN_TD = [
    (_td_drop_source, "series Td-WUS: intervals.T3: missing source"),
    (_td_unknown_screening, "screening: ANC1 is not a loaded screening rule"),
    (_td_counted_not_a_dose, "'ANC1' is not a dose item"),
    (_td_counted_without_source, "counted_from: missing source"),
    (_td_counted_backwards, "must be above the level before it"),
    (_td_dose_from_birth, "T2 is timed from 'birth', T1 is not"),
]


@pytest.mark.parametrize("mutate, fragment", BROKEN_TD, ids=[b[0].__name__ for b in BROKEN_TD])
def test_broken_td_file_is_rejected_naming_the_file(tmp_path, mutate, fragment):
    docs = _copy_shipped(tmp_path)
    doc = docs["td_women.yml"]
    doc["series"][0] = copy.deepcopy(doc["series"][0])
    doc["rules"] = copy.deepcopy(doc["rules"])
    mutate(doc)
    _write(tmp_path, docs)
    with pytest.raises(RuleError) as info:
        load_rules(tmp_path)
    assert str(info.value).startswith("td_women.yml: "), info.value
    assert fragment in str(info.value), info.value
