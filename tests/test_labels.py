"""Workers and residents read Indonesian: no catalog text, and no label the code can show for a
symptom, life stage, urgency, alert status or kind, outcome, role, flow or place, reads like
English or an internal code."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import yaml

from bot import alert_lifecycle, labels
from bot.catalog import load_catalog
from bot.config import ROOT
from bot.models import ALERT_KINDS, ALERT_STATUSES, URGENCIES, WORKER_ROLES
from flows.lifestage import STAGES
from flows.registry import FLOW_STEPS
from scheduler.rules import ITEM_CODES, ITEM_ORDER

# English words (and our own status codes) that a worker must never read
ENGLISH = {
    "emergency", "routine", "referred", "registration", "snake", "bite", "suicidal", "membranes",
    "ruptured", "pending", "accepted", "done", "open", "closed", "escalated", "visited",
    "cancelled", "requested", "booked", "resolved", "symptom", "complaint", "question", "visit",
    "birth", "booking", "help", "unknown", "none", "fever", "cough", "bleeding", "convulsion",
    "diarrhoea", "vomiting", "headache", "pregnant", "postpartum", "newborn", "infant", "child",
    "adult", "elderly", "weakness", "swelling", "injury", "poisoning", "home", "other", "the",
    "and", "with", "from", "not", "feeding", "breath", "shortness", "chest", "pain",
}  # fmt: skip
SNAKE_CASE = re.compile(r"\b[a-z0-9]+(?:_[a-z0-9]+)+\b")
PLACEHOLDER = re.compile(r"\{[^{}]*\}")
DISTRICT = yaml.safe_load((ROOT / "district.yml").read_text(encoding="utf-8"))
# area codes (SKM-KLR) and place codes that are not plain words (pustu-skm; not "puskesmas")
CODES = {a["code"] for a in DISTRICT["areas"]} | {
    p["code"] for p in DISTRICT["places"] if not p["code"].isalpha()
}


def problems(text: str) -> list[str]:
    """English words, snake_case codes and district codes in `text` (placeholders removed)."""
    plain = PLACEHOLDER.sub(" ", text)
    found = [f"code {m}" for m in SNAKE_CASE.findall(plain)]
    found += [f"English {w!r}" for w in re.findall(r"[A-Za-z]+", plain) if w.lower() in ENGLISH]
    found += [f"district code {c!r}" for c in CODES if re.search(rf"\b{re.escape(c)}\b", plain)]
    return found


def test_the_check_itself_catches_the_old_words():
    assert problems("DARURAT ref 1: snake bite, ruptured membranes") != []
    assert problems("- ref 1 emergency: demam") != []
    assert problems("Butuh bantuan (registration)") != []
    assert problems("Ref 1 sudah ditutup (referred).") != []
    assert problems("- 09:00 pustu-skm ref 2") != []
    assert problems("gerak_janin") != []
    assert problems("Balas TERIMA {ref} atau TOLAK {ref} <alasan>. Kejang-kejang, HB0, KN1.") == []


def test_no_catalog_text_reads_like_english_or_a_code():
    cat = load_catalog("id")
    bad = {k: problems(v) for k, v in cat.texts.items() if problems(v)}
    assert bad == {}


def nlu_symptom_codes() -> set[str]:
    """Every symptom code the NLU can give (annotations and synonyms) or a danger rule reads."""
    annotated = re.compile(r'"entity":\s*"(symptom|person)",\s*"value":\s*"([a-z_]+)"')
    found: dict[str, set[str]] = {"symptom": set(), "person": set()}
    for path in sorted((ROOT / "nlu" / "data").glob("*.yml")):
        for entity, value in annotated.findall(path.read_text(encoding="utf-8")):
            found[entity].add(value)
    codes = found["symptom"]
    synonyms = yaml.safe_load((ROOT / "nlu" / "data" / "synonyms.yml").read_text("utf-8"))
    codes |= {item["synonym"] for item in synonyms.get("nlu") or [] if "synonym" in item}
    rules = yaml.safe_load((ROOT / "flows" / "rules" / "danger_signs.yml").read_text("utf-8"))
    for concept in (rules.get("concepts") or {}).values():
        codes |= set(concept.get("symptoms") or [])
    return codes - found["person"]


GROUPS = {
    "symptom": sorted(nlu_symptom_codes()),
    "stage": STAGES,
    "urgency": URGENCIES,
    "alert_status": ALERT_STATUSES,
    "alert_kind": ALERT_KINDS,
    "outcome": alert_lifecycle.OUTCOMES,
    "role": WORKER_ROLES,
    "flow": sorted(FLOW_STEPS),
}


def test_every_alert_kind_fits_its_column():
    from bot.models import Alert

    width = Alert.__table__.c.kind.type.length
    assert [k for k in ALERT_KINDS if len(k) > width] == []


@pytest.mark.parametrize("group", sorted(GROUPS))
def test_every_code_has_indonesian_words(group):
    cat = load_catalog("id")
    codes = GROUPS[group]
    assert codes, group
    missing = [c for c in codes if f"{group}.{c}" not in cat.texts]
    assert missing == [], f"no catalog text for {group}: {missing}"
    bad = {c: problems(labels.word(cat, group, c)) for c in codes}
    assert {c: p for c, p in bad.items() if p} == {}


def test_symptom_codes_come_from_the_nlu():
    assert {"snake_bite", "ruptured_membranes", "suicidal", "fever"} <= set(GROUPS["symptom"])


def test_unknown_codes_never_show_the_code():
    cat = load_catalog("id")
    for group in GROUPS:
        shown = labels.word(cat, group, "some_new_code")
        assert "some_new_code" not in shown and problems(shown) == []
    assert labels.symptoms(cat, ["fever", "new_thing", "other_new"]) == ["demam", "keluhan lain"]


def test_places_read_as_their_names():
    cat = load_catalog("id")
    for place in DISTRICT["places"]:
        assert labels.place(DISTRICT["places"], place["code"], cat) == place["name"]
    assert labels.place(DISTRICT["places"], "pustu-lama", cat) == "tempat belum ditentukan"


@pytest.mark.parametrize(
    ("delta", "words"),
    [
        (timedelta(seconds=20), "kurang dari 1 menit"),
        (timedelta(minutes=5, seconds=59), "5 menit"),
        (timedelta(minutes=59), "59 menit"),
        (timedelta(hours=2, minutes=40), "2 jam"),
        (timedelta(hours=24), "1 hari"),
        (timedelta(days=3, hours=5), "3 hari"),
    ],
)
def test_elapsed_time_in_words(delta, words):
    assert labels.elapsed(load_catalog("id"), delta) == words


def test_clip_cuts_at_a_word():
    text = "anak saya demam / sejak kemarin " * 20
    clipped = labels.clip(text, 100)
    assert len(clipped) <= 100 and clipped.endswith("...") and "  " not in clipped
    assert clipped[:-3].split()[-1] in text.split()
    assert labels.clip("  pendek\nsaja ") == "pendek saja"


@pytest.mark.parametrize("code", sorted(ITEM_CODES, key=ITEM_ORDER.__getitem__))
def test_every_schedule_item_has_its_name(code):
    """Reminders, 'terlambat' lines and JADWAL name every item (BIAS ones too), never a code."""
    cat = load_catalog("id")
    assert f"items.{code}" in cat.texts, f"no catalog name for {code}"
    name = cat.t(f"items.{code}")
    assert name != code and problems(name) == []


@pytest.mark.parametrize(
    ("code", "name"),
    [
        ("MR3", "Campak-Rubela (MR) kelas 1 (BIAS)"),
        ("DT", "DT kelas 1 (BIAS)"),
        ("TD1", "Td kelas 2 (BIAS)"),
        ("TD2", "Td kelas 5 (BIAS)"),
        ("HPV", "HPV kelas 5 (BIAS)"),
    ],
)
def test_bias_items_read_as_their_grade(code, name):
    assert load_catalog("id").t(f"items.{code}") == name


@pytest.mark.parametrize("n", range(1, 6))
def test_td_for_women_reads_as_the_mother_hears_it(n):
    """Not the school Td (kelas 2/5), not a bare 'T3': the dose of the woman's own series."""
    assert load_catalog("id").t(f"items.T{n}") == f"Imunisasi Td (tetanus-difteri) ke-{n}"
    assert "Buku KIA" in load_catalog("id").t("items.TSCREEN")
