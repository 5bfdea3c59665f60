"""The danger-sign rules: flows/rules/danger_signs.yml loaded, validated and compiled."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType
from typing import Any

import yaml

from flows.lifestage import STAGES
from flows.triage_patterns import compile_patterns

DEFAULT_RULES_PATH = Path(__file__).resolve().parent / "rules" / "danger_signs.yml"

LIFE_STAGES: tuple[str, ...] = STAGES  # the stages of flows.lifestage, in its order

SYMPTOM_CODES: frozenset[str] = frozenset(
    {
        "fever",
        "diarrhoea",
        "convulsion",
        "bleeding",
        "shortness_of_breath",
        "cough",
        "runny_nose",
        "vomiting",
        "headache",
        "chest_pain",
        "abdominal_pain",
        "rash",
        "weakness",
        "unconscious",
        "not_feeding",
        "jaundice",
        "swelling",
        "blurred_vision",
        "dizziness",
        "ruptured_membranes",
        "reduced_fetal_movement",
        "cold_body",
        "slurred_speech",
        "facial_droop",
        "one_sided_weakness",
        "high_blood_pressure",
        "toothache",
        "itching",
        "sore_throat",
        "poisoning",
        "snake_bite",
        "suicidal",
        "injury",
    }
)

# Catalog keys (bot/messages/id/danger.yml) a rule may name as its advice.
ADVICE_KEYS: frozenset[str] = frozenset(
    f"danger.{name}"
    for name in (
        "pregnancy",
        "postpartum",
        "newborn",
        "child",
        "stroke",
        "heart",
        "breathing",
        "unconscious",
        "bleeding",
        "poisoning",
        "snake_bite",
        "suicide",
        "convulsion",
        "dengue",
        "head_injury",
        "fall",
        "spine",
        "choking",
        "animal_bite",
        "confusion",
        "burn",
        "drowning",
        "labour",
        "general",
    )
)
ADVICE_MAX_CHARS = 300
ADVICE_REQUIRED_TEXT = "Segera ke puskesmas/IGD terdekat atau telepon 119."
# Where the puskesmas cannot help in time, the advice ends by sending to the hospital instead
# (stroke: Kemenkes "SeGeRa Ke RS", reference section 5).
ADVICE_HOSPITAL_TEXT = "Segera ke IGD rumah sakit terdekat atau telepon 119."
RULE_FAMILIES = frozenset({"pregnancy", "postpartum", "newborn", "child", "adult", "any"})
SOURCE_GRADES = frozenset({"A", "B", "C", "U"})

_ID_RE = re.compile(r"^[a-z][a-z0-9_]*$")
_CONDITION_RE = re.compile(r"^(age_days|temp)\s*(<=|>=|<|>)\s*(\d+(?:\.\d+)?)$")


class RulesError(ValueError):
    """Raised when the danger-sign YAML file is malformed; lists every problem found."""


@dataclass(frozen=True)
class Concept:
    """A named sign: text patterns and/or NLU symptom codes that express it."""

    name: str
    regex: re.Pattern[str] | None
    exclude: re.Pattern[str] | None
    symptoms: frozenset[str]
    negatable: bool
    contextual: bool = True  # False: history and general questions do not cancel it


@dataclass(frozen=True)
class MessageContext:
    """Patterns that say a sign is past, resolved or asked about in general (not happening)."""

    handled: re.Pattern[str] | None = None  # same clause: "sudah dibawa ke RS" (even "tadi")
    history: re.Pattern[str] | None = None  # same clause: "dulu", "sudah sembuh", "tahun lalu"
    present: re.Pattern[str] | None = None  # cancels both: "sekarang", "tadi", "dari kemarin"
    question: re.Pattern[str] | None = None  # "bahaya gak", "apa", "gimana", "?"
    conditional: re.Pattern[str] | None = None  # a message opening with "kalau", "jika"
    general: re.Pattern[str] | None = None  # "tanda bahaya", "ciri ciri", "cara mencegah"
    info: re.Pattern[str] | None = None  # "apa saja", "pertolongan pertama": asks in general
    personal: re.Pattern[str] | None = None  # "anak saya", "istri", "bayiku": about someone


@dataclass(frozen=True)
class Condition:
    """One requirement inside a rule alternative."""

    kind: str  # "concept" | "not_concept" | "age_days" | "temp" | "age_unknown"
    name: str = ""
    op: str = ""
    value: float = 0.0


@dataclass(frozen=True)
class Rule:
    """A validated danger-sign rule."""

    id: str
    title: str
    family: str
    advice_key: str
    priority: int
    stages: frozenset[str]
    when_unknown: bool
    alternatives: tuple[tuple[Condition, ...], ...]
    sources: tuple[Mapping[str, Any], ...]
    confidence: str | None
    examples: tuple[Mapping[str, Any], ...]
    negatives: tuple[Mapping[str, Any], ...]
    order: int

    @property
    def applies_to_any_stage(self) -> bool:
        return "any" in self.stages


@dataclass(frozen=True, eq=False)
class DangerRules:
    """Compiled, validated rule set (see ``load_rules``)."""

    version: int
    path: str
    rules: tuple[Rule, ...]
    concepts: Mapping[str, Concept]
    abbreviations: Mapping[str, str]
    negations: frozenset[str]
    negation_fillers: frozenset[str]
    stage_cues: tuple[tuple[str, re.Pattern[str]], ...]
    context: MessageContext = MessageContext()

    def rule(self, rule_id: str) -> Rule:
        for rule in self.rules:
            if rule.id == rule_id:
                return rule
        raise KeyError(rule_id)


# --------------------------------------------------------------------------------------------
# Loading and validation
# --------------------------------------------------------------------------------------------

_TOP_KEYS = {"version", "macros", "normalise", "stage_cues", "context", "concepts", "rules"}
_CONTEXT_KEYS = (
    "handled",
    "history",
    "present",
    "question",
    "conditional",
    "general",
    "info",
    "personal",
)
_RULE_KEYS = {
    "id",
    "title",
    "family",
    "advice_key",
    "priority",
    "stages",
    "when_unknown",
    "when",
    "source",
    "confidence",
    "note",
    "examples",
    "negatives",
}
_CONCEPT_KEYS = {"patterns", "symptoms", "exclude", "negatable", "context", "note"}
_SOURCE_KEYS = {"document", "url", "grade"}
_EXAMPLE_KEYS = {
    "text",
    "life_stage",
    "age_days",
    "symptoms",
    "weeks_pregnant",
    "temperature_c",
    "note",
}


def load_rules(path: Path | None = None) -> DangerRules:
    """Read, validate and compile the rules file (cached per resolved path)."""
    resolved = Path(path).resolve() if path is not None else DEFAULT_RULES_PATH
    return _load_rules_cached(str(resolved))


@lru_cache(maxsize=8)
def _load_rules_cached(path: str) -> DangerRules:
    try:
        with open(path, encoding="utf-8") as handle:
            data = yaml.safe_load(handle)
    except OSError as exc:
        raise RulesError(f"cannot read rules file {path}: {exc}") from exc
    except yaml.YAMLError as exc:
        raise RulesError(f"invalid YAML in {path}: {exc}") from exc
    return compile_rules(data, path=path)


def compile_rules(data: Any, path: str = "<memory>") -> DangerRules:
    """Validate an already-parsed rules document and compile it."""
    errors: list[str] = []
    if not isinstance(data, dict):
        raise RulesError(f"{path}: top level must be a mapping")
    for key in sorted(set(data) - _TOP_KEYS):
        errors.append(f"unknown top-level key {key!r}")
    version = data.get("version")
    if not isinstance(version, int):
        errors.append("'version' must be an integer")
        version = 0

    macros = _validate_str_map(data.get("macros") or {}, "macros", errors)
    norm = data.get("normalise") or {}
    if not isinstance(norm, dict):
        errors.append("'normalise' must be a mapping")
        norm = {}
    abbreviations = _validate_str_map(norm.get("abbreviations") or {}, "abbreviations", errors)
    negations = _validate_word_list(norm.get("negations"), "normalise.negations", errors)
    fillers = _validate_word_list(
        norm.get("negation_fillers"), "normalise.negation_fillers", errors
    )

    stage_cues: list[tuple[str, re.Pattern[str]]] = []
    cues = data.get("stage_cues") or {}
    if not isinstance(cues, dict):
        errors.append("'stage_cues' must be a mapping")
        cues = {}
    for stage, patterns in cues.items():
        if stage not in LIFE_STAGES:
            errors.append(f"stage_cues: unknown life stage {stage!r}")
            continue
        rx = compile_patterns(patterns, macros, f"stage_cues.{stage}", errors)
        if rx is not None:
            stage_cues.append((stage, rx))

    raw_context = data.get("context") or {}
    if not isinstance(raw_context, dict):
        errors.append("'context' must be a mapping")
        raw_context = {}
    for key in sorted(set(raw_context) - set(_CONTEXT_KEYS)):
        errors.append(f"context: unknown key {key!r}")
    context = MessageContext(
        **{
            key: compile_patterns(raw_context[key], macros, f"context.{key}", errors)
            for key in _CONTEXT_KEYS
            if key in raw_context
        }
    )

    concepts: dict[str, Concept] = {}
    raw_concepts = data.get("concepts") or {}
    if not isinstance(raw_concepts, dict) or not raw_concepts:
        errors.append("'concepts' must be a non-empty mapping")
        raw_concepts = {}
    for name, spec in raw_concepts.items():
        concept = _compile_concept(name, spec, macros, errors)
        if concept is not None:
            concepts[name] = concept

    rules: list[Rule] = []
    raw_rules = data.get("rules")
    if not isinstance(raw_rules, list) or not raw_rules:
        errors.append("'rules' must be a non-empty list")
        raw_rules = []
    seen: set[str] = set()
    for index, spec in enumerate(raw_rules):
        rule = _compile_rule(index, spec, concepts, seen, errors)
        if rule is not None:
            rules.append(rule)

    # a concept used as "not X" is a reassurance ("sudah normal", "masih mau makan"): the
    # history/question context must not cancel it (that would cancel the reassurance)
    negated = {
        c.name for r in rules for alt in r.alternatives for c in alt if c.kind == "not_concept"
    }
    for name in negated & set(concepts):
        concepts[name] = replace(concepts[name], contextual=False)

    if errors:
        raise RulesError(f"{path}: {len(errors)} problem(s):\n- " + "\n- ".join(errors))
    return DangerRules(
        version=version,
        path=path,
        rules=tuple(rules),
        concepts=MappingProxyType(concepts),
        abbreviations=MappingProxyType(abbreviations),
        negations=negations,
        negation_fillers=fillers,
        stage_cues=tuple(stage_cues),
        context=context,
    )


def _validate_str_map(value: Any, where: str, errors: list[str]) -> dict[str, str]:
    if not isinstance(value, dict):
        errors.append(f"'{where}' must be a mapping")
        return {}
    out: dict[str, str] = {}
    for key, val in value.items():
        if not isinstance(key, str) or not isinstance(val, str):
            errors.append(f"{where}: {key!r} must map a string to a string")
            continue
        out[key] = val
    return out


def _validate_word_list(value: Any, where: str, errors: list[str]) -> frozenset[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        errors.append(f"'{where}' must be a non-empty list of words")
        return frozenset()
    return frozenset(value)


def _compile_concept(
    name: Any, spec: Any, macros: Mapping[str, str], errors: list[str]
) -> Concept | None:
    where = f"concepts.{name}"
    if not isinstance(name, str) or not _ID_RE.match(name):
        errors.append(f"{where}: concept names must be snake_case")
        return None
    if not isinstance(spec, dict):
        errors.append(f"{where}: must be a mapping")
        return None
    for key in sorted(set(spec) - _CONCEPT_KEYS):
        errors.append(f"{where}: unknown key {key!r}")
    symptoms = spec.get("symptoms") or []
    if not isinstance(symptoms, list):
        errors.append(f"{where}.symptoms: must be a list")
        symptoms = []
    for code in symptoms:
        if code not in SYMPTOM_CODES:
            errors.append(f"{where}: unknown symptom code {code!r}")
    regex = None
    if "patterns" in spec:
        regex = compile_patterns(spec["patterns"], macros, f"{where}.patterns", errors)
    elif not symptoms:
        errors.append(f"{where}: needs 'patterns' and/or 'symptoms'")
    exclude = None
    if "exclude" in spec:
        exclude = compile_patterns(spec["exclude"], macros, f"{where}.exclude", errors)
    negatable = spec.get("negatable", True)
    if not isinstance(negatable, bool):
        errors.append(f"{where}.negatable: must be true or false")
        negatable = True
    contextual = spec.get("context", True)
    if not isinstance(contextual, bool):
        errors.append(f"{where}.context: must be true or false")
        contextual = True
    return Concept(name, regex, exclude, frozenset(symptoms), negatable, contextual)


def _parse_condition(
    item: Any, concepts: Mapping[str, Concept], where: str, errors: list[str]
) -> Condition | None:
    if not isinstance(item, str) or not item.strip():
        errors.append(f"{where}: condition must be a non-empty string, got {item!r}")
        return None
    item = item.strip()
    if item == "age_unknown":
        return Condition("age_unknown")
    if item.startswith("not "):
        name = item[4:].strip()
        if name not in concepts:
            errors.append(f"{where}: unknown concept {name!r} in {item!r}")
            return None
        return Condition("not_concept", name=name)
    match = _CONDITION_RE.match(item)
    if match:
        return Condition(match.group(1), op=match.group(2), value=float(match.group(3)))
    if item not in concepts:
        errors.append(f"{where}: unknown concept or condition {item!r}")
        return None
    return Condition("concept", name=item)


def _normalise_example(item: Any, where: str, errors: list[str]) -> Mapping[str, Any] | None:
    if isinstance(item, str):
        item = {"text": item}
    if not isinstance(item, dict) or not isinstance(item.get("text"), str):
        errors.append(f"{where}: example must be a string or a mapping with 'text'")
        return None
    for key in sorted(set(item) - _EXAMPLE_KEYS):
        errors.append(f"{where}: unknown key {key!r}")
    stage = item.get("life_stage")
    if stage is not None and stage not in LIFE_STAGES:
        errors.append(f"{where}: unknown life_stage {stage!r}")
    for code in item.get("symptoms") or []:
        if code not in SYMPTOM_CODES:
            errors.append(f"{where}: unknown symptom code {code!r}")
    return MappingProxyType(dict(item))


def _compile_rule(
    index: int,
    spec: Any,
    concepts: Mapping[str, Concept],
    seen: set[str],
    errors: list[str],
) -> Rule | None:
    where = f"rules[{index}]"
    if not isinstance(spec, dict):
        errors.append(f"{where}: must be a mapping")
        return None
    rule_id = spec.get("id")
    if not isinstance(rule_id, str) or not _ID_RE.match(rule_id):
        errors.append(f"{where}: 'id' must be snake_case, got {rule_id!r}")
        return None
    where = f"rule {rule_id!r}"
    if rule_id in seen:
        errors.append(f"{where}: duplicate id")
    seen.add(rule_id)
    for key in sorted(set(spec) - _RULE_KEYS):
        errors.append(f"{where}: unknown key {key!r}")

    title = spec.get("title")
    if not isinstance(title, str) or not title.strip():
        errors.append(f"{where}: 'title' (short English explanation) is required")
        title = rule_id
    family = spec.get("family")
    if family not in RULE_FAMILIES:
        errors.append(f"{where}: 'family' must be one of {sorted(RULE_FAMILIES)}")
    advice_key = spec.get("advice_key")
    if not isinstance(advice_key, str) or not advice_key:
        errors.append(f"{where}: 'advice_key' is required")
        advice_key = ""
    elif advice_key not in ADVICE_KEYS:
        errors.append(f"{where}: advice_key {advice_key!r} is not one of {sorted(ADVICE_KEYS)}")
    priority = spec.get("priority")
    if not isinstance(priority, int) or isinstance(priority, bool) or not 0 < priority <= 100:
        errors.append(f"{where}: 'priority' must be an integer 1..100")
        priority = 1

    stages = spec.get("stages")
    if not isinstance(stages, list) or not stages:
        errors.append(f"{where}: 'stages' must be a non-empty list (or [any])")
        stages = []
    for stage in stages:
        if stage != "any" and stage not in LIFE_STAGES:
            errors.append(f"{where}: unknown life stage {stage!r}")
    if "any" in stages and len(stages) > 1:
        errors.append(f"{where}: 'any' cannot be combined with other stages")
    when_unknown = spec.get("when_unknown", False)
    if not isinstance(when_unknown, bool):
        errors.append(f"{where}: 'when_unknown' must be true or false")
        when_unknown = False

    alternatives: list[tuple[Condition, ...]] = []
    when = spec.get("when")
    if not isinstance(when, list) or not when:
        errors.append(f"{where}: 'when' must be a non-empty list of alternatives")
        when = []
    for alt in when:
        items = [alt] if isinstance(alt, str) else alt
        if not isinstance(items, list) or not items:
            errors.append(f"{where}: each 'when' alternative must be a string or a list")
            continue
        conds = [_parse_condition(c, concepts, f"{where}.when", errors) for c in items]
        if any(c is None for c in conds):
            continue
        if not any(c.kind in ("concept", "temp") for c in conds):
            errors.append(f"{where}: alternative {items!r} needs at least one sign")
            continue
        alternatives.append(tuple(c for c in conds if c is not None))

    sources = spec.get("source")
    if isinstance(sources, dict):
        sources = [sources]
    confidence = spec.get("confidence")
    if confidence is not None and confidence != "unconfirmed":
        errors.append(f"{where}: 'confidence' may only be 'unconfirmed'")
    clean_sources: list[Mapping[str, Any]] = []
    if not isinstance(sources, list) or not sources:
        errors.append(f"{where}: 'source' is required (document + url)")
        sources = []
    for src in sources:
        if not isinstance(src, dict):
            errors.append(f"{where}: each source must be a mapping")
            continue
        for key in sorted(set(src) - _SOURCE_KEYS):
            errors.append(f"{where}: unknown source key {key!r}")
        if not isinstance(src.get("document"), str) or not src["document"].strip():
            errors.append(f"{where}: source needs a 'document' name")
        url = src.get("url")
        if url is None:
            if confidence != "unconfirmed":
                errors.append(f"{where}: source without url requires confidence: unconfirmed")
        elif not isinstance(url, str) or not url.startswith(("http://", "https://")):
            errors.append(f"{where}: source url must start with http(s)://")
        grade = src.get("grade")
        if grade not in SOURCE_GRADES:
            errors.append(f"{where}: source grade must be one of {sorted(SOURCE_GRADES)}")
        elif grade == "U" and confidence != "unconfirmed":
            errors.append(f"{where}: a [U] source requires confidence: unconfirmed")
        clean_sources.append(MappingProxyType(dict(src)))

    examples = []
    for key in ("examples", "negatives"):
        items = spec.get(key)
        if not isinstance(items, list) or not items:
            errors.append(f"{where}: '{key}' must be a non-empty list")
            items = []
        parsed = [_normalise_example(e, f"{where}.{key}", errors) for e in items]
        examples.append(tuple(p for p in parsed if p is not None))

    return Rule(
        id=rule_id,
        title=title.strip(),
        family=family if isinstance(family, str) else "",
        advice_key=advice_key,
        priority=priority,
        stages=frozenset(stages),
        when_unknown=when_unknown,
        alternatives=tuple(alternatives),
        sources=tuple(clean_sources),
        confidence=confidence,
        examples=examples[0],
        negatives=examples[1],
        order=index,
    )


def iter_rule_examples(
    rules: DangerRules | None = None,
) -> Iterable[tuple[str, bool, Mapping[str, Any]]]:
    """Yield (rule_id, is_positive, example) for every example in the rules file."""
    rules = rules or load_rules()
    for rule in rules.rules:
        for example in rule.examples:
            yield rule.id, True, example
        for example in rule.negatives:
            yield rule.id, False, example
