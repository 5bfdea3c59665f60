"""district.yml validation: every problem names the file, the key path and the problem."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml

from bot.district import DistrictError, load_district

ROOT = Path(__file__).resolve().parent.parent
RAW = yaml.safe_load((ROOT / "district.yml").read_text(encoding="utf-8"))


def _load(tmp_path: Path, data: object):
    path = tmp_path / "district.yml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return load_district(path)


def test_shipped_district_loads_as_plain_dicts():
    district = load_district(ROOT / "district.yml")
    assert district.default_area == "SKM"
    assert district.areas[1] == {"code": "SKM-KLR", "name": "Kaler", "level": "dusun",
                                 "parent": "SKM"}  # fmt: skip
    assert district.places[0]["hours"] == ["08:00", "14:00"]
    assert district.workers[0]["phone"] == "+6281100000001"


def _set(path: tuple, value: object):
    def mutate(data: dict) -> None:
        node = data
        for part in path[:-1]:
            node = node[part]
        node[path[-1]] = value

    return mutate


def _drop(path: tuple):
    def mutate(data: dict) -> None:
        node = data
        for part in path[:-1]:
            node = node[part]
        del node[path[-1]]

    return mutate


@pytest.mark.parametrize(
    ("mutate", "key", "problem"),
    [
        # a missing required key
        (_drop(("areas", 2, "name")), "areas[2].name", "required key is missing"),
        (_drop(("places", 1, "capacity")), "places[1].capacity", "required key is missing"),
        (_drop(("workers", 0, "role")), "workers[0].role", "required key is missing"),
        # a wrong type or value
        (_set(("areas", 0, "code"), ""), "areas[0].code", "non-empty text"),
        (_set(("areas", 0, "level"), "kota"), "areas[0].level", "permitted: 'desa'"),
        (_set(("areas", 0, "timezone"), "Mars/Base"), "areas[0].timezone", "unknown time zone"),
        (_set(("areas", 0, "je_endemic"), "ya"), "areas[0].je_endemic", "valid boolean"),
        (_set(("places", 0, "capacity"), 0), "places[0].capacity", "greater than or equal to 1"),
        (_set(("places", 0, "capacity"), "20"), "places[0].capacity", "valid integer"),
        (_set(("places", 0, "hours"), ["8:00"]), "places[0].hours", "[HH:MM, HH:MM]"),
        (_set(("places", 0, "days"), [1, 8]), "places[0].days[1]", "less than or equal to 7"),
        (_set(("places", 1, "kind"), "klinik"), "places[1].kind", "permitted: 'pustu'"),
        (
            _set(("places", 1, "posyandu_rule"), {"nth": 9, "weekday": 1}),
            "places[1].posyandu_rule",
            "nth must be 1-5 or -1",
        ),
        (_set(("workers", 0, "phone"), "12"), "workers[0].phone", "invalid phone"),
        (_set(("workers", 0, "role"), "dokter"), "workers[0].role", "permitted: 'kader'"),
        # an unknown key
        (_set(("places", 0, "capactiy"), 3), "places[0].capactiy", "unknown key"),
        (_set(("areas", 0, "parnet"), "SKM"), "areas[0].parnet", "unknown key"),
        (_set(("workerz",), []), "workerz", "unknown key"),
        # a cross-field or cross-entry problem
        (_set(("areas", 1, "code"), "SKM"), "areas[1].code", "duplicate code 'SKM'"),
        (_set(("areas", 1, "parent"), "SKM-KDL"), "areas[1].parent", "listed before it"),
        (_set(("default_area",), "XXX"), "default_area", "'XXX' is not an area"),
        (_set(("places", 0, "areas"), ["SKM", "XX"]), "places[0].areas", "unknown areas ['XX']"),
        (_set(("workers", 2, "areas"), ["YY"]), "workers[2].areas", "unknown areas ['YY']"),
        (_drop(("places", 0, "days")), "places[0]", "needs days, posyandu_rule or dates"),
    ],
)
def test_bad_district_names_file_key_and_problem(tmp_path, mutate, key, problem):
    data = copy.deepcopy(RAW)
    mutate(data)
    with pytest.raises(DistrictError) as info:
        _load(tmp_path, data)
    message = str(info.value)
    assert message.startswith(f"district.yml: {key}: "), message
    assert problem in message, message


def test_entry_is_named_after_its_index(tmp_path):
    data = copy.deepcopy(RAW)
    data["places"][3]["capacity"] = -1
    with pytest.raises(DistrictError, match=r"places\[3\]\.capacity: .* \(code puskesmas\)"):
        _load(tmp_path, data)


def test_unreadable_file(tmp_path):
    with pytest.raises(DistrictError, match="cannot read"):
        load_district(tmp_path / "missing.yml")
