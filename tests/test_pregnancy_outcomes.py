"""How a pregnancy ended: the rules file, the gestational-age lines and the words for a loss."""

from __future__ import annotations

import copy
from datetime import date

import pytest
import yaml

from flows.pregnancy_outcomes import (
    RULES_PATH,
    Gestation,
    compile_rules,
    gestation_weeks,
    is_loss_age,
    is_preterm,
    is_very_preterm,
    load_rules,
    parse_gestation,
    says_ended,
    says_loss,
)


@pytest.fixture(scope="module")
def data() -> dict:
    return yaml.safe_load(RULES_PATH.read_text(encoding="utf-8"))


def test_rules_file_validates_and_cites_a_source_for_each_line(data):
    rules = compile_rules(data)
    assert (rules.loss_before, rules.very_preterm_before, rules.preterm_before) == (20, 32, 37)
    for key in ("preterm_source", "very_preterm_source", "loss_source"):
        assert data[key]["who"] and all(u.startswith("https://") for u in data[key]["urls"])


def _broken(data: dict, change) -> dict:
    bad = copy.deepcopy(data)
    change(bad)
    return bad


@pytest.mark.parametrize(
    "change, problem",
    [
        (lambda d: d.update(schema=2), "schema"),
        (lambda d: d.update(preterm_before_weeks="37"), "preterm_before_weeks"),
        (lambda d: d.update(preterm_before_weeks=True), "preterm_before_weeks"),
        (lambda d: d.update(loss_before_weeks=50), "loss_before_weeks"),
        (lambda d: d.update(loss_before_weeks=33), "below very_preterm"),
        (lambda d: d.update(very_preterm_before_weeks=38), "below preterm"),
        (lambda d: d.pop("loss_source"), "loss_before_weeks: needs a source"),
        (lambda d: d["preterm_source"].pop("urls"), "preterm_before_weeks: needs a source"),
        (lambda d: d.update(loss_words=[]), "loss_words"),
        (lambda d: d.update(loss_words=["Keguguran"]), "lowercase"),
        (lambda d: d.update(term_words=["aterm", "aterm"]), "duplicates"),
        (lambda d: d.update(stillbirth_weeks=22), "unknown key"),
    ],
)
def test_bad_rules_are_refused_with_the_problem_named(data, change, problem):
    with pytest.raises(ValueError, match=problem):
        compile_rules(_broken(data, change), "test.yml")


def test_every_problem_is_listed_at_once(data):
    bad = _broken(data, lambda d: d.update(schema=3, loss_words="keguguran"))
    with pytest.raises(ValueError) as raised:
        compile_rules(bad)
    assert "schema" in str(raised.value) and "loss_words" in str(raised.value)


def test_a_non_mapping_is_refused():
    with pytest.raises(ValueError, match="mapping"):
        compile_rules(["schema", 1])


@pytest.mark.parametrize(
    "start, ended, weeks",
    [
        ("2026-01-01", "2026-01-01", 0),
        ("2026-01-01", "2026-01-07", 0),
        ("2026-01-01", "2026-01-08", 1),
        ("2026-01-01", "2026-09-16", 36),  # 258 days: 36 completed weeks, preterm
        ("2026-01-01", "2026-09-17", 37),  # 259 days: term
        ("2026-01-01", "2025-12-31", None),  # ended before it began
        ("2025-01-01", "2026-01-01", None),  # 52 weeks: not a pregnancy on record
    ],
)
def test_gestation_weeks_counts_completed_weeks(start, ended, weeks):
    assert gestation_weeks(date.fromisoformat(start), date.fromisoformat(ended)) == weeks


def test_gestation_weeks_unknown_without_hpht():
    assert gestation_weeks(None, date(2026, 1, 1)) is None


@pytest.mark.parametrize(
    "weeks, preterm, very_preterm, loss_age",
    [
        (None, False, False, False),
        (12, True, True, True),
        (19, True, True, True),
        (20, True, True, False),
        (31, True, True, False),
        (32, True, False, False),
        (36, True, False, False),
        (37, False, False, False),
        (40, False, False, False),
    ],
)
def test_the_gestational_age_lines(weeks, preterm, very_preterm, loss_age):
    assert is_preterm(weeks) is preterm
    assert is_very_preterm(weeks) is very_preterm
    assert is_loss_age(weeks) is loss_age


@pytest.mark.parametrize(
    "text, expected",
    [
        ("36 minggu", Gestation(36, True)),
        ("38 mgg", Gestation(38, False)),
        ("kira2 40 minggu", Gestation(40, False)),
        ("8 bulan", Gestation(34, True, estimated=True)),
        ("9 bln", Gestation(39, False, estimated=True)),
        ("prematur, 7 bulan", Gestation(30, True, estimated=True)),
        ("prematur", Gestation(None, True)),
        ("blm cukup bulan", Gestation(None, True)),  # not read as "cukup bulan"
        ("belum cukup bulan", Gestation(None, True)),
        ("cukup bulan", Gestation(None, False)),
        ("lahir duluan", Gestation(None, True)),
        ("durung wayahe", Gestation(None, True)),
        ("ga tau", None),
        ("", None),
        ("3 minggu", None),  # not a gestational age at birth
        ("60 minggu", None),
        ("2 tahun", None),
    ],
)
def test_parse_gestation(text, expected):
    assert parse_gestation(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "bu bidan sy keguguran td pagi",
        "istri saya keguguran",
        "kandungan saya gugur kemarin",
        "abdi kaluron",
        "kula keluron bu",
        "KEGUGURAN",
        "mbak janinku ora berkembang, wingi wis dikuret nang rs",
        "kandunganku wis ilang",
        "kata dokter janinnya tidak berkembang",
    ],
)
def test_a_loss_said_of_now(text):
    assert says_loss(text)


@pytest.mark.parametrize(
    "text",
    [
        "tahun lalu sy pernah keguguran, skrg hamil lagi",
        "tanda keguguran apa ya?",
        "apakah flek itu tanda keguguran?",
        "alhamdulillah tidak keguguran",
        "dulu pernah dikuret tahun 2019, sekarang hamil lagi",
        "sy hamil 3 bulan mau periksa",
        "anak saya lahir kemarin",
        "",
    ],
)
def test_not_a_loss(text):
    assert not says_loss(text)


@pytest.mark.parametrize(
    ("text", "ended"),
    [
        ("ya allah mbak aku wis ora meteng, ojo dikirimi pengingat meteng maneh", True),
        ("sy sudah tidak hamil lagi bu", True),
        ("abdi tos teu kakandungan", True),
        ("saya tidak hamil", False),  # never was: not an end
        ("sy hamil 3 bulan", False),
        ("dulu pernah dikuret tahun 2019", False),
    ],
)
def test_an_end_not_yet_told_apart(text, ended):
    assert says_ended(text) is ended


def test_rules_are_loaded_once():
    assert load_rules() is load_rules()
