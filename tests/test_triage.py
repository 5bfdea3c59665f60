"""Danger-sign triage (flows/triage*.py + flows/rules/danger_signs.yml): no app fixtures needed.

.venv/bin/python -m pytest --noconftest -p no:cacheprovider tests/test_triage.py -q
"""

from __future__ import annotations

import builtins
import copy
import io
from pathlib import Path

import pytest
import yaml

from flows import triage as triage_module
from flows import triage_rules, triage_text
from flows.events import as_dicts
from flows.triage import EMERGENCY, ROUTINE, TriageInput, example_input, triage
from flows.triage_rules import (
    ADVICE_HOSPITAL_TEXT,
    ADVICE_KEYS,
    ADVICE_MAX_CHARS,
    ADVICE_REQUIRED_TEXT,
    DEFAULT_RULES_PATH,
    LIFE_STAGES,
    SYMPTOM_CODES,
    RulesError,
    compile_rules,
    iter_rule_examples,
    load_rules,
)
from flows.triage_text import normalise_text, read_age_days

ROOT = Path(__file__).resolve().parent.parent
HELDOUT = ROOT / "tests" / "data" / "danger_heldout.yml"
# A second set written after the rules existed and run once before any change (first run:
# 73/80 emergencies caught, 1/80 routine flagged); the misses were fixed with general vocabulary.
PROBE = ROOT / "tests" / "data" / "danger_probe.yml"
BLIND = ROOT / "tests" / "data" / "danger_blind.yml"  # written without reading the rules
# Written apart from the rules for issue #11 (first run 114/155 caught, 11.9 % false alarms);
# its misses were then fixed with general vocabulary, so it now guards against regressions.
FRESH = ROOT / "tests" / "data" / "danger_fresh.yml"
# Written after those fixes and run once to judge (94/110 caught, 9.9 % false alarms); its misses
# were fixed with general vocabulary (labour, electric shock, sprayed pesticide, Sundanese and
# Javanese words), so it too guards against regressions now.
JUDGE = ROOT / "tests" / "data" / "danger_judge.yml"
# Written after the judge set's fixes, run once to judge (95/105 caught, 3.7 % false alarms), then
# its misses fixed with general vocabulary too.
FINAL = ROOT / "tests" / "data" / "danger_final.yml"
# Written after the trials' fixes, run once to judge (79/90 caught, 5.7 % false alarms), then fixed.
LAST = ROOT / "tests" / "data" / "danger_last.yml"
# Written 2026-12-04 by a writer who read neither the rules nor the earlier sets, run once to
# judge after the field trials' fixes: 56/60 emergencies caught, 5/40 routine flagged (12.5 %).
# Its misses (a newborn's cycling legs, Javanese hot-oil burns, first-day jaundice "lahir td
# subuh", "ngabisin obat sirup sebotol") and two false alarms ("ora ono getih", "wis tau stroke
# 5 taun kepungkur") were then fixed with general vocabulary: a regression guard from here on.
# Three false alarms remain (7.5 %, the issue's target is 5 %): a newborn straining at stool,
# noisy breathing said not to be fast, a question about heart-attack signs.
SIXTH = ROOT / "tests" / "data" / "danger_sixth.yml"
# Set 7 (2026-12-06, unseen when first run): 51/55 and 22.2 % false alarms on its first run;
# three false alarms left after the fixes (6.7 %): tingling asked about as a stroke sign, noisy
# breathing from a runny nose, a low fever (37.5) with engorged breasts after childbirth.
SEVENTH = ROOT / "tests" / "data" / "danger_seventh.yml"
CATALOG = ROOT / "bot" / "messages" / "id" / "danger.yml"
RULES = load_rules()
RAW_RULES = yaml.safe_load(DEFAULT_RULES_PATH.read_text(encoding="utf-8"))


def run(text: str, **kw) -> object:
    """Triage one message with optional TriageInput fields."""
    return triage(TriageInput(text, **kw), RULES)


def is_emergency(text: str, **kw) -> bool:
    return run(text, **kw).urgency == EMERGENCY


# ---------------------------------------------------------------------------------------------
# Loader and validation
# ---------------------------------------------------------------------------------------------


def test_rules_load_and_are_cached():
    assert load_rules() is load_rules() is load_rules(DEFAULT_RULES_PATH)
    assert len(RULES.rules) >= 30
    assert len({r.id for r in RULES.rules}) == len(RULES.rules)


def test_the_split_modules_names_stay_importable_from_flows_triage():
    """flows.triage still exports what it exported before the rule compiler and the text
    normaliser moved to their own modules, as the very same objects."""
    homes = {**vars(triage_rules), **vars(triage_text)}
    assert len(triage_module.__all__) == 28
    for name in triage_module.__all__:
        value = getattr(triage_module, name)
        assert name not in homes or value is homes[name], name


def test_every_rule_is_documented_and_usable():
    families = {r.advice_key for r in RULES.rules}
    assert families == ADVICE_KEYS, "every advice family has at least one rule"
    for rule in RULES.rules:
        assert rule.sources, rule.id
        for src in rule.sources:
            assert src["document"].strip(), rule.id
            assert src.get("url") or rule.confidence == "unconfirmed", rule.id
            if src["grade"] == "U":
                assert rule.confidence == "unconfirmed", rule.id
        assert rule.examples and rule.negatives, rule.id
        assert rule.stages <= {*LIFE_STAGES, "any"}, rule.id
    for concept in RULES.concepts.values():
        assert concept.symptoms <= SYMPTOM_CODES


def _broken(mutate) -> dict:
    data = copy.deepcopy(RAW_RULES)
    mutate(data)
    return data


def _rule(data: dict, rule_id: str) -> dict:
    return next(r for r in data["rules"] if r["id"] == rule_id)


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda d: d["rules"].append(copy.deepcopy(d["rules"][0])), "duplicate id"),
        (lambda d: _rule(d, "stroke").pop("source"), "'source' is required"),
        (lambda d: _rule(d, "stroke").update(stages=["toddler"]), "unknown life stage"),
        (lambda d: _rule(d, "stroke").update(advice_key="danger.nope"), "advice_key"),
        (lambda d: _rule(d, "stroke").pop("advice_key"), "'advice_key' is required"),
        (lambda d: _rule(d, "stroke").update(when=["no_such_concept"]), "unknown concept"),
        (lambda d: _rule(d, "stroke").update(when=["age_days < 60"]), "needs at least one sign"),
        (lambda d: _rule(d, "stroke").update(examples=[]), "'examples' must be"),
        (lambda d: d["concepts"]["fever"].update(symptoms=["flu"]), "unknown symptom code"),
        (lambda d: d["concepts"]["fever"].update(patterns=["demam("]), "bad pattern"),
        (lambda d: d["concepts"]["fever"].update(patterns=["<NOPE>"]), "unknown macro"),
        (lambda d: d["concepts"]["fever"].update(patterns=["x?"]), "empty string"),
        (
            lambda d: _rule(d, "stroke").update(
                source=[{"document": "x", "url": "https://x.id", "grade": "U"}]
            ),
            "requires confidence: unconfirmed",
        ),
        (
            lambda d: _rule(d, "stroke").update(source=[{"document": "x", "grade": "B"}]),
            "without url",
        ),
        (
            lambda d: _rule(d, "stroke")["examples"].append({"text": "x", "life_stage": "teen"}),
            "unknown life_stage",
        ),
    ],
)
def test_validation_rejects_broken_rules(mutate, message):
    with pytest.raises(RulesError, match=message):
        compile_rules(_broken(mutate))


def test_load_rules_reports_unreadable_files(tmp_path):
    with pytest.raises(RulesError, match="cannot read"):
        load_rules(tmp_path / "missing.yml")
    bad = tmp_path / "bad.yml"
    bad.write_text("rules: [\n")
    with pytest.raises(RulesError, match="invalid YAML"):
        load_rules(bad)


# ---------------------------------------------------------------------------------------------
# Advice texts (catalog)
# ---------------------------------------------------------------------------------------------


def test_advice_texts_exist_and_fit():
    texts = yaml.safe_load(CATALOG.read_text(encoding="utf-8"))["danger"]
    assert {f"danger.{k}" for k in texts} == ADVICE_KEYS
    for key, text in texts.items():
        assert len(text) <= ADVICE_MAX_CHARS, key
        assert text.rstrip().endswith((ADVICE_REQUIRED_TEXT, ADVICE_HOSPITAL_TEXT)), key
        assert text.isascii(), f"{key}: keep advice GSM-7 friendly (no emoji)"
    assert "temani" in texts["suicide"]


def test_every_rule_has_a_label_a_kader_reads():
    labels = yaml.safe_load(CATALOG.read_text(encoding="utf-8"))["danger_sign"]
    assert set(labels) == {r.id for r in RULES.rules}
    for rule_id, label in labels.items():
        assert label.strip() and len(label) <= 120, rule_id
        assert "_" not in label, f"{rule_id}: no internal codes in a worker's label"


# ---------------------------------------------------------------------------------------------
# Every rule's own examples
# ---------------------------------------------------------------------------------------------

EXAMPLES = list(iter_rule_examples(RULES))


@pytest.mark.parametrize(
    ("rule_id", "positive", "example"),
    EXAMPLES,
    ids=[f"{rid}-{'pos' if pos else 'neg'}-{i}" for i, (rid, pos, _) in enumerate(EXAMPLES)],
)
def test_rule_examples(rule_id, positive, example):
    result = triage(example_input(example), RULES)
    if positive:
        assert result.urgency == EMERGENCY, example["text"]
        assert rule_id in result.matched, (example["text"], result.matched)
    else:
        assert rule_id not in result.matched, (example["text"], result.matched)


# ---------------------------------------------------------------------------------------------
# Held-out set: targets
# ---------------------------------------------------------------------------------------------


def _heldout() -> list[dict]:
    cases = yaml.safe_load(HELDOUT.read_text(encoding="utf-8"))["cases"]
    for extra in (PROBE, BLIND, FRESH, JUDGE, FINAL, LAST):
        cases += yaml.safe_load(extra.read_text(encoding="utf-8"))["cases"]
    return cases


def _heldout_input(case: dict) -> TriageInput:
    return TriageInput(
        case["text"],
        symptoms=tuple(case.get("symptoms") or ()),
        life_stage=case.get("life_stage"),
        age_days=case.get("age_days"),
    )


def test_heldout_set_is_big_enough():
    cases = _heldout()
    assert sum(c["urgency"] == "emergency" for c in cases) >= 120
    assert sum(c["urgency"] == "routine" for c in cases) >= 120
    assert {c["urgency"] for c in cases} == {"emergency", "routine"}


def test_heldout_recall_is_total():
    missed = [c["text"] for c in _heldout() if c["urgency"] == "emergency" and not _caught(c)]
    assert missed == []


def _caught(case: dict) -> bool:
    """An emergency is caught when triage says so, or asks the age first (then decides)."""
    result = triage(_heldout_input(case), RULES)
    return result.urgency == EMERGENCY or result.ask == "age"


@pytest.mark.parametrize("path", [FRESH, JUDGE, FINAL, LAST], ids=lambda p: p.stem)
def test_issue_targets(path):
    """Issue #11 targets on each newer set: emergency recall 100 %, false alarms <= 5 %."""
    cases = yaml.safe_load(path.read_text(encoding="utf-8"))["cases"]
    missed = [c["text"] for c in cases if c["urgency"] == "emergency" and not _caught(c)]
    routine = [c for c in cases if c["urgency"] == "routine"]
    flagged = [c["text"] for c in routine if triage(_heldout_input(c), RULES).urgency == EMERGENCY]
    assert missed == []
    assert len(flagged) / len(routine) <= 0.05, flagged


def test_sixth_set_recall_is_total_and_false_alarms_stay_where_they_are():
    cases = yaml.safe_load(SIXTH.read_text(encoding="utf-8"))["messages"]
    missed = [c["text"] for c in cases if c["urgency"] == "emergency" and not _caught(c)]
    routine = [c for c in cases if c["urgency"] == "routine"]
    flagged = [c["text"] for c in routine if triage(_heldout_input(c), RULES).urgency == EMERGENCY]
    assert missed == []
    assert len(flagged) <= 3, flagged  # 7.5 %: above the issue's 5 % (see SIXTH)


def test_seventh_set_recall_is_total_and_false_alarms_stay_where_they_are():
    cases = yaml.safe_load(SEVENTH.read_text(encoding="utf-8"))["messages"]
    assert len(cases) == 100
    missed = [c["text"] for c in cases if c["urgency"] == "emergency" and not _caught(c)]
    routine = [c for c in cases if c["urgency"] == "routine"]
    flagged = [c["text"] for c in routine if triage(_heldout_input(c), RULES).urgency == EMERGENCY]
    assert missed == []
    assert len(flagged) <= 3, flagged  # 6.7 %: above the issue's 5 % (see SEVENTH)


def test_a_facility_in_a_later_clause_is_handled_but_a_sign_after_it_is_new():
    assert not is_emergency("nenek sy kemarin dada sakit, udh dibawa ke igd dan skrg dirawat")
    assert not is_emergency("bayi sy lahir 2 hari lalu skrg masih di NICU rsud krn sesak")
    assert is_emergency("anak sy kejang kemarin, udh dibawa ke bidan, tp skrg kejang lagi")


def test_heldout_false_alarms_under_ten_percent():
    routine = [c for c in _heldout() if c["urgency"] == "routine"]
    flagged = [c["text"] for c in routine if triage(_heldout_input(c), RULES).urgency == EMERGENCY]
    assert len(flagged) / len(routine) < 0.10, flagged


# ---------------------------------------------------------------------------------------------
# Negation
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "kw"),
    [
        ("anak demam tapi tidak kejang", {"life_stage": "child"}),
        ("gak ada darah", {"life_stage": "pregnant"}),
        ("flek tidak ada, cuma mual", {"life_stage": "pregnant"}),
        ("hamil 6 bulan gak ada flek", {}),
        ("ga sesak kok, cuma batuk", {}),
        ("tidak pernah pingsan", {}),
        ("no fever, baby feeding well", {"life_stage": "newborn", "age_days": 5}),
        ("bayi 7 hari tidak demam, nyusu kuat", {}),
        ("nggak kejang2 kok bu", {}),
        ("tidak kejang", {"symptoms": ("convulsion",)}),
        ("hamil, tidak keluar darah", {"symptoms": ("bleeding",)}),
        ("demam tanpa kejang", {"life_stage": "child"}),
        ("dulu pernah step waktu kecil", {"symptoms": ("convulsion",)}),
    ],
)
def test_simple_negations_are_respected(text, kw):
    assert run(text, **kw).urgency == ROUTINE, run(text, **kw)


@pytest.mark.parametrize(
    "text",
    [
        "kejang tidak berhenti",  # negation of "berhenti", not of the sign
        "anak kejang gak berhenti berhenti",
        "suami ga napas",  # the sign itself is a negation
        "tidak sadarkan diri",
        "bayi 5 hari gak mau nyusu",
        "gak bisa napas",
        "ga tau kenapa anak kejang",
        "demam tinggi, tidak mau minum, lalu kejang",
        "nenek tidak bisa bicara tiba-tiba",
        "I don't want to live anymore",
    ],
)
def test_negation_words_that_are_part_of_the_sign_still_fire(text):
    assert is_emergency(text), run(text)


# ---------------------------------------------------------------------------------------------
# Stage-dependent decisions
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kw", "expected"),
    [
        ({"life_stage": "newborn", "age_days": 10}, EMERGENCY),
        ({"age_days": 10}, EMERGENCY),
        ({"life_stage": "infant", "age_days": 40}, EMERGENCY),  # < 2 months
        ({"life_stage": "infant", "age_days": 150}, ROUTINE),
        ({"life_stage": "child", "age_days": 900}, ROUTINE),
        ({"life_stage": "adult"}, ROUTINE),
        ({"life_stage": "elderly"}, ROUTINE),
        ({"life_stage": "pregnant"}, EMERGENCY),
        ({"weeks_pregnant": 30}, EMERGENCY),
        ({"life_stage": "postpartum"}, EMERGENCY),
        ({}, ROUTINE),
    ],
)
def test_fever_depends_on_stage(kw, expected):
    assert run("demam dari tadi", **kw).urgency == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("bayi umur 5 hari demam", EMERGENCY),
        ("bayi baru lahir panas", EMERGENCY),
        ("bayi 4 bulan demam", ROUTINE),
        ("anak 3 tahun demam", ROUTINE),
        ("saya demam", ROUTINE),
        ("lagi hamil demam", EMERGENCY),
        ("lagi meteng, awak panas", EMERGENCY),
        ("baru melahirkan 3 hari, demam", EMERGENCY),
        ("keluar flek", ROUTINE),  # cosmetic or menstrual without a pregnancy cue
        ("keluar flek, kandungan saya 3 bulan", EMERGENCY),
        ("kuning", ROUTINE),
        ("bayi baru lahir kemarin sudah kuning", EMERGENCY),
        ("anak 3 tahun tangan dingin", EMERGENCY),
        ("tangan dingin kena AC", ROUTINE),
        ("anak 3 thn step", EMERGENCY),
        ("next step apa ya", ROUTINE),
    ],
)
def test_stage_inferred_from_words(text, expected):
    assert run(text).urgency == expected, run(text)


def test_given_stage_and_text_stage_are_combined():
    # the profile says adult, but the message is clearly about a newborn
    assert is_emergency("bayi saya umur 6 hari demam", life_stage="adult", age_days=9000)
    # the text has no cue; the temperature input alone decides for a newborn
    assert is_emergency("gimana ya", life_stage="newborn", age_days=3, temperature_c=38.0)
    assert is_emergency("gimana ya", life_stage="newborn", age_days=3, temperature_c=36.0)
    assert not is_emergency("gimana ya", life_stage="newborn", age_days=3, temperature_c=37.0)
    assert not is_emergency("gimana ya", life_stage="adult", temperature_c=38.5)


def test_pregnancy_age_is_not_the_persons_age():
    # "umur 7 bulan" after "hamil" is the pregnancy, not an infant
    assert not is_emergency("hamil umur 7 bulan lemas")


def test_advice_key_follows_priority():
    assert run("istri hamil 8 bulan kejang").advice_key == "danger.pregnancy"
    assert run("tolong anak saya kejang kejang dari tadi").advice_key == "danger.convulsion"
    assert run("istri saya hamil 8 bulan keluar darah banyak").advice_key == "danger.pregnancy"
    assert run("kakak saya nyilet tangan, darahnya banyak").advice_key == "danger.suicide"
    assert run("bayi 5 hari gak mau nyusu").advice_key == "danger.newborn"
    assert run("anak 2 tahun napas cepat").advice_key == "danger.child"
    assert run("kakek mulutnya mencong").advice_key == "danger.stroke"
    assert run("bapak angin duduk").advice_key == "danger.heart"
    assert run("dipatok ular").advice_key == "danger.snake_bite"
    result = run("bapak pingsan, kepala berdarah banyak")
    assert result.matched[0] == "unconscious" and "heavy_bleeding" in result.matched


def test_nlu_codes_fire_without_words():
    assert is_emergency("tolong", symptoms=("convulsion",))
    assert is_emergency("ini gimana", symptoms=("suicidal",))
    assert is_emergency("ini gimana", symptoms=("fever",), life_stage="newborn")
    assert not is_emergency("ini gimana", symptoms=("fever",), life_stage="adult")
    assert not is_emergency("ini gimana", symptoms=("cough", "runny_nose", "toothache"))
    assert not is_emergency("x", symptoms=("no_such_code", 42))  # type: ignore[arg-type]


# ---------------------------------------------------------------------------------------------
# Language variety and spelling
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "anakkuuu kejaaang2",
        "KEJANG!!!",
        "kej\u200bang",  # zero-width space inside the word
        "sesaaak bgt gbs napas",
        "ibu hml 8bln kluar drh",
        "orok abdi teu daek nyusu, umur 5 poe",  # Sundanese
        "abah teu eling",
        "bayine umur 5 dino ora gelem nyusu",  # Javanese
        "mbah semaput",
        "bojoku meteng, metu getih",
        "my baby is 3 days old and won't feed",  # English
        "my father's face is drooping",
    ],
)
def test_slang_regional_and_stretched_spellings(text):
    assert is_emergency(text), (text, normalise_text(text, RULES))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # misses and false alarms found on fresh messages written after the rules
        ("suami tiba-tiba ga bisa gerakin kaki kirinya", EMERGENCY),
        ("snake bit my son on the foot", EMERGENCY),
        ("I feel like ending my life", EMERGENCY),
        ("wis ora kuat urip", EMERGENCY),
        ("ibu asma kambuh parah ga bisa ngomong", EMERGENCY),
        ("bayi 2 bulan kurang demam", EMERGENCY),
        ("penglihatan mata kiri mendadak hilang", EMERGENCY),
        ("anak sy kejng", EMERGENCY),
        ("bayi sy ga mau nete", EMERGENCY),
        ("anak ketelen baterai kancing", EMERGENCY),
        ("pengen ngilang dari dunia ini", EMERGENCY),
        ("bayi biru", EMERGENCY),
        ("anak gak mau minum susu formula", ROUTINE),
        ("anak saya lemes abis main bola", ROUTINE),
        ("nyeri dada kalau batuk", ROUTINE),
        ("kaki kanan lemah sejak stroke tahun lalu", ROUTINE),
        ("kaki kanan tiba-tiba lemah, dulu pernah stroke", EMERGENCY),
        ("baju bayi warna biru muda", ROUTINE),
        ("mata kanan buram sudah lama, katarak?", ROUTINE),
        ("tadi pagi pusing tiba-tiba, sekarang sudah enakan", ROUTINE),
        ("saya telat haid 2 minggu, apakah hamil?", ROUTINE),
        ("hamil 20 minggu, gerakan janin normalnya mulai kerasa kapan ya", ROUTINE),
        ("dulu anak saya pernah kejang demam, sekarang sudah sehat", ROUTINE),
    ],
)
def test_regressions(text, expected):
    assert run(text).urgency == expected, run(text)


def test_normalisation():
    assert "kejang kejang" in normalise_text("KEJAAANG2!!", RULES)
    assert normalise_text("bayi 8bln, sesak", RULES)[0] == "bayi 8 bln # sesak"
    assert normalise_text("gk bs napas", RULES)[0] == "gak bisa napas"


# ---------------------------------------------------------------------------------------------
# Robustness, purity and speed
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   \n\t ",
        "\U0001f62d\U0001f64f\U0001f3fb\u2764\ufe0f",
        "\u0645\u0631\u062d\u0628\u0627 \u0643\u064a\u0641 \u062d\u0627\u0644\u0643",
        "\u4f60\u597d\uff0c\u6211\u60f3\u95ee\u4e00\u4e0b",
        "\x00\x01\x07\x1b[31m\x7f halo",
        "\u202eolah\u202c",
        "9" * 300,
        "suhu 99999999999999999999",
        "!!!???...,,,###",
        "a" * 5000,
    ],
)
def test_odd_input_is_routine_and_safe(text):
    result = run(text)
    assert result.urgency == ROUTINE
    assert result.matched == () and result.advice_key is None and result.reason


def test_odd_field_values_do_not_crash():
    assert run("demam", life_stage="martian", age_days=-5).urgency == ROUTINE
    assert run("demam", age_days=None, weeks_pregnant=0, temperature_c=float("nan")).urgency
    assert triage(TriageInput(None), RULES).urgency == ROUTINE  # type: ignore[arg-type]


def test_long_message_is_scanned_to_the_end():
    filler = "anak saya batuk pilek biasa saja dari kemarin. " * 110  # ~5,000 characters
    assert len(filler) > 4900
    assert not is_emergency(filler)
    assert is_emergency(filler + " sekarang kejang")  # its speed: bench/long_input.py


def test_result_shape():
    result = run("suami tiba2 mulutnya mencong, dada nyeri keringat dingin")
    assert result.urgency == EMERGENCY
    assert {"stroke", "heart_attack"} <= set(result.matched)
    assert result.advice_key in ADVICE_KEYS
    assert result.reason.startswith("Danger sign")
    priorities = [RULES.rule(r).priority for r in result.matched]
    assert priorities == sorted(priorities, reverse=True)


def test_triage_is_pure(monkeypatch):
    load_rules()  # loaded and cached before

    def no_io(*args, **kwargs):
        raise AssertionError("triage must not read files")

    monkeypatch.setattr(builtins, "open", no_io)
    monkeypatch.setattr(io, "open", no_io)
    monkeypatch.setattr(Path, "read_text", no_io)
    assert triage(TriageInput("bayi 3 hari kejang")).urgency == EMERGENCY
    assert triage(TriageInput("batuk pilek")).urgency == ROUTINE


# ---------------------------------------------------------------------------------------------
# Context: history, general questions, the age asked when it decides
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "anak sy udah sembuh dari kejang demam tahun lalu, mau imunisasi boleh?",
        "bayi sy kuning dulu waktu lahir sekarang udah nggak",
        "kalau bayi kuning itu bahaya gak?",
        "tanda bahaya kehamilan apa aja",
        "ciri2 DBD apa ya",
        "gimana cara pertolongan pertama luka bakar",
        "budak abdi kantos step basa alit, ayeuna mah sehat",
        "simbah kena serangan jantung taun 2019, saiki kontrol rutin",
        "hamil 8 bulan, gk ada keluar air atau darah, mau tanya jadwal usg",
        "kaki agak bengkak kalo sore, gk pusing, mata gk kabur",
        "bu, pasien nu perdarahan tadi tos dibawa ka RS",  # a kader's news: already in hospital
    ],
)
def test_history_questions_and_negations_are_not_emergencies(text):
    assert run(text, life_stage="pregnant" if "kaki" in text else None).urgency == ROUTINE


@pytest.mark.parametrize(
    "text",
    [
        "anak sy dulu pernah kejang, sekarang kejang lagi",
        "bayi saya kuning sampai telapak kaki, bahaya gak?",
        "istri hamil 8 bulan, kalau jalan keluar darah banyak",
        "dulu pernah mau bunuh diri, sekarang kepikiran lagi",
        "kalau anak sy kejang dari tadi harus gimana",
        "anak saya kejang, sudah dibawa ke puskesmas tapi disuruh pulang, sekarang kejang lagi",
    ],
)
def test_a_sign_happening_now_stays_an_emergency(text):
    assert run(text).urgency == EMERGENCY


@pytest.mark.parametrize(
    ("text", "advice"),
    [
        ("anak sy demam 4 hari gusinya berdarah", "danger.dengue"),
        ("trombosit anak sy turun terus kata dokter", "danger.dengue"),
        ("anak sy jatuh dari motor kepalanya berdarah", "danger.head_injury"),
        ("anak sy sesak dadanya cekung ke dalam", "danger.child"),  # not heart-attack advice
        ("nenek jatuh di kamar mandi gak bisa bangun", "danger.fall"),
        ("kakek tiba2 bingung gak kenal orang", "danger.confusion"),
        ("anak tersedak biji rambutan gak bisa napas", "danger.choking"),
        ("anak sy digigit anjing di muka", "danger.animal_bite"),
        ("anakku kesiram banyu umob, tangan karo sikile mlonyoh", "danger.burn"),
        ("anak tenggelam di kolam", "danger.drowning"),
        ("suami dada sakit kaya ditindih keringat dingin", "danger.heart"),
    ],
)
def test_new_signs_get_advice_for_who_is_affected(text, advice):
    result = run(text)
    assert result.urgency == EMERGENCY, text
    assert result.advice_key == advice, (text, result.matched)


def test_unknown_age_is_asked_once_instead_of_assumed():
    asked = run("bayi demam")
    assert (asked.urgency, asked.ask) == (ROUTINE, "age")
    assert "child_young_infant_fever" in asked.pending
    assert run("bayi demam", age_days=30).urgency == EMERGENCY
    assert run("bayi demam", age_days=200).urgency == ROUTINE
    assert run("bayi demam", age_days=200).ask is None
    # a firm sign needs no age
    assert run("bayi demam kejang").ask is None


@pytest.mark.parametrize(
    ("answer", "days"),
    [("3 minggu", 21), ("umur 2 bulan", 61), ("5 hari", 5), ("sabulan", 30), ("gak tau", None)],
)
def test_read_age_days(answer, days):
    assert read_age_days(answer) == days


# ---- field trial (residents): misses and the harmless messages that must stay routine --------


@pytest.mark.parametrize(
    ("text", "kw", "rule"),
    [
        # "ade"/"dede"/"adek"/"si kecil"/"orok"/"bocah" are a small child: same as "anak sy 2 th"
        ("ade muntah mencret terus dari pagi, lemes ga mau minum", {}, "child_cannot_drink"),
        ("ade muntah mencret terus dari pagi, lemes ga mau minum", {}, "child_vomits_everything"),
        (
            "anak sy 2 th muntah mencret terus dari pagi, lemes ga mau minum",
            {},
            "child_cannot_drink",
        ),
        ("dede muntah terus dari pagi, ga mau minum", {}, "child_vomits_everything"),
        ("adek muntah terus dari pagi, lemes ga mau minum", {}, "child_cannot_drink"),
        ("si kecil muntah terus dari pagi, ga mau minum", {}, "child_cannot_drink"),
        ("orok muntah terus ti isuk, teu daek nginum", {}, "child_cannot_drink"),
        ("bocah muntah terus ket esuk, ora gelem ngombe", {}, "child_cannot_drink"),
        # a swallowed object in a child
        ("anak sy ketelen kelereng, batuk batuk", {}, "choking"),
        ("ade ketelen koin, skrg susah napas", {}, "choking"),
        ("budak abdi kaleuleug kancing", {}, "choking"),
        # newborn poor feeding, with the age the household knows
        ("orokna rada koneng, nyusuna hoream", {"age_days": 1}, "newborn_not_feeding"),
        ("orokna rada koneng, nyusuna hoream", {"age_days": 1}, "newborn_jaundice"),
        ("dede ga mau nyusu", {"age_days": 3}, "newborn_not_feeding"),
        ("bayi males nyusu dari pagi", {"age_days": 9}, "newborn_not_feeding"),
        ("bayine emoh nyusu", {"age_days": 12}, "newborn_not_feeding"),
        # kept working
        ("dede panas tinggi terus step, matanya mendelik", {}, "convulsion"),
    ],
)
def test_field_trial_danger_signs(text, kw, rule):
    result = run(text, **kw)
    assert result.urgency == EMERGENCY, (text, result.reason)
    assert rule in result.matched, (text, result.matched)


@pytest.mark.parametrize(
    ("text", "kw"),
    [
        ("ade lagi belajar minum pakai gelas", {}),
        ("dede udah mau nyusu lagi alhamdulillah", {}),
        ("dede udah mau nyusu lagi alhamdulillah", {"age_days": 5}),
        ("kelereng anak sy hilang", {}),
        ("takut anak ketelen kelereng, umur berapa boleh main?", {}),
        ("anak sy ketelen koin kemarin, tadi pagi sudah keluar sama pup", {}),
        ("bayi gak males nyusu kok, kuat", {"age_days": 10}),
        ("asi sy sedikit, bayi 1 minggu nyusunya kuat", {}),
        ("demam udah ade 3 hari, masih mau makan", {"life_stage": "adult"}),
        ("ade yang tau jadwal posyandu?", {}),
    ],
)
def test_field_trial_harmless_messages_stay_routine(text, kw):
    result = run(text, **kw)
    assert result.urgency == ROUTINE, (text, result.matched)
    assert result.ask is None, (text, result.pending)


@pytest.mark.parametrize(
    ("text", "stage"),
    [
        ("ade demam", "child"),
        ("dedenya batuk", "child"),
        ("adek pilek", "child"),
        ("si kecil rewel", "child"),
        ("bocah watuk", "child"),
        ("orokna batuk", "infant"),
    ],
)
def test_small_child_words_give_the_stage(text, stage):
    assert stage in run(text).stages


def test_betawi_ade_and_the_baby_in_the_womb_are_not_a_child():
    assert "child" not in run("sudah ade 3 hari pusing").stages
    assert "child" not in run("ade yang tau obat sakit gigi?").stages
    assert "child" not in run("hamil 7 bulan dedek di perut aktif").stages
    assert read_age_days("dede 3 hari") == 3
    assert read_age_days("demam sudah ade 3 hari") is None


# ---- who the report is about: the household's only person who fits (flows/reports.py) --------


def _household_ctx(*persons):
    from datetime import datetime, timezone

    from tests.factories import resident_context

    now = datetime(2026, 11, 23, 3, 0, tzinfo=timezone.utc)  # 10:00 WIB
    return resident_context(now, area_code="SKM-KDL", household=tuple(persons), ref="100009")


def _person(pid, name, **dates):
    from flows.base import PersonInfo

    return PersonInfo(pid, name, "P", **dates)


def test_the_households_only_baby_is_used_instead_of_asking_the_age():
    from datetime import date

    from flows.base import Message, State
    from flows.reports import emergency_check

    mother = _person(1, "Euis", birth_date=date(1998, 5, 12), delivery_date=date(2026, 11, 22))
    baby = _person(2, "Bayi Ny. Euis", birth_date=date(2026, 11, 22))
    # the NLU found no person: the message's own word ("orokna") says who
    msg = Message(text="orokna rada koneng, nyusuna hoream", intent="nlu_fallback")
    step = emergency_check(State(), msg, _household_ctx(mother, baby))
    assert step is not None and step.replies[0] != ""
    report = as_dicts(step.events)[0]
    assert report["urgency"] == "emergency"
    assert report["person_id"] == 2
    assert {"newborn_jaundice", "newborn_not_feeding"} <= set(report["matched"])
    assert "tidak mau menyusu" in " ".join(report["signs"])


def test_two_babies_in_the_household_still_ask_the_age():
    from datetime import date

    from flows.base import Message, State
    from flows.reports import emergency_check

    twin_a = _person(2, "Bayi A", birth_date=date(2026, 11, 22))
    twin_b = _person(3, "Bayi B", birth_date=date(2026, 6, 1))
    msg = Message(text="orokna rada koneng, nyusuna hoream", intent="nlu_fallback")
    step = emergency_check(State(), msg, _household_ctx(twin_a, twin_b))
    assert step is not None and step.state.step == "age"


def test_ade_is_the_households_only_small_child():
    from datetime import date

    from flows.base import Message, State
    from flows.reports import emergency_check, find_person

    mother = _person(1, "Siti", birth_date=date(1995, 1, 1))
    child = _person(2, "Rara", birth_date=date(2024, 10, 1))
    ctx = _household_ctx(mother, child)
    msg = Message(text="ade muntah mencret terus dari pagi, lemes ga mau minum")
    assert find_person(msg, ctx) == child
    step = emergency_check(State(), msg, ctx)
    assert step is not None and as_dicts(step.events)[0]["person_id"] == 2
    assert as_dicts(step.events)[0]["urgency"] == "emergency"
    # Betawi "ade" (= "ada") says nobody: the contact herself, the only adult, is not guessed away
    assert find_person(Message(text="sudah ade 3 hari pusing"), _household_ctx(mother)) == mother
