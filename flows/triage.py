"""Pure danger-sign triage: decides whether a message describes an emergency.

The clinical content lives in ``flows/rules/danger_signs.yml`` (rules, vocabulary, sources and
examples); the Indonesian advice texts are catalog entries in ``bot/messages/id/danger.yml``
(keys in ``ADVICE_KEYS``). This module only normalises text, infers the life stage and evaluates
the rules. ``triage`` does no I/O; ``load_rules`` reads and validates the YAML file once and
caches the compiled result.

Design choices (see the YAML header for the rule language):

* Words and NLU symptom codes are both used; a code counts unless the text mentions the same
  sign only in negated or excluded form ("tidak kejang", "dulu pernah step").
* The life stage is the union of the given stage, the stage implied by the age, and stages
  implied by words in the text ("hamil", "bayi umur 5 hari"), so a wrong or missing stage
  never hides a danger sign.
* Negation is only honoured in simple forms ("gak ada darah", "tidak kejang", "flek tidak ada");
  anything less clear is treated as a danger sign.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType
from typing import Any

import yaml

DEFAULT_RULES_PATH = Path(__file__).resolve().parent / "rules" / "danger_signs.yml"

LIFE_STAGES: tuple[str, ...] = (
    "pregnant",
    "postpartum",
    "newborn",
    "infant",
    "child",
    "school_age",
    "adult",
    "elderly",
)

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

EMERGENCY = "emergency"
ROUTINE = "routine"
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
_MACRO_RE = re.compile(r"<([A-Z][A-Z0-9_]*)>")
_PROXIMITY_RE = re.compile(r"\s+~(\d*)\s+")
_CONDITION_RE = re.compile(r"^(age_days|temp)\s*(<=|>=|<|>)\s*(\d+(?:\.\d+)?)$")
_DEFAULT_GAP = 4
# Max words allowed between the parts of "A ~ B"; never crosses a clause break ("#").
_GAP_WORD = r"[^\s#]+"


class RulesError(ValueError):
    """Raised when the danger-sign YAML file is malformed; lists every problem found."""


@dataclass(frozen=True)
class TriageInput:
    """One inbound message plus whatever the NLU and the user profile know."""

    text: str
    symptoms: tuple[str, ...] = ()
    life_stage: str | None = None
    age_days: int | None = None
    weeks_pregnant: int | None = None
    temperature_c: float | None = None


@dataclass(frozen=True)
class TriageResult:
    """Outcome of ``triage``; ``matched`` is ordered most severe first."""

    urgency: str
    matched: tuple[str, ...]
    advice_key: str | None
    reason: str
    # "age" when a sign is an emergency only at some ages and the age is unknown: the caller
    # asks once (urgency stays routine until then); ``pending`` lists the rules that wait on it
    ask: str | None = None
    pending: tuple[str, ...] = ()
    stages: tuple[str, ...] = ()  # the life stages the message and the profile point to


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
        rx = _compile_patterns(patterns, macros, f"stage_cues.{stage}", errors)
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
            key: _compile_patterns(raw_context[key], macros, f"context.{key}", errors)
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


def _expand_macros(pattern: str, macros: Mapping[str, str]) -> str:
    for _ in range(3):  # macros may use macros, up to three levels deep
        new = _MACRO_RE.sub(lambda m: f"(?:{macros.get(m.group(1), m.group(0))})", pattern)
        if new == pattern:
            break
        pattern = new
    return pattern


def _split_alternatives(pattern: str) -> list[str]:
    """Split a pattern on the "|" that are not inside parentheses or brackets."""
    parts, depth, start, escaped = [], 0, 0, False
    for i, ch in enumerate(pattern):
        if escaped:
            escaped = False
        elif ch == "\\":
            escaped = True
        elif ch in "([":
            depth += 1
        elif ch in ")]":
            depth -= 1
        elif ch == "|" and depth == 0:
            parts.append(pattern[start:i])
            start = i + 1
    parts.append(pattern[start:])
    return parts


def _pattern_to_regex(pattern: str, macros: Mapping[str, str]) -> str:
    """Turn one YAML pattern ("A ~ B | C", macros) into a regex fragment.

    Top-level "|" separates alternatives; "~" binds tighter, inside one alternative."""
    branches = []
    for branch in _split_alternatives(pattern.strip()):
        parts = _PROXIMITY_RE.split(branch.strip())
        # re.split with one group yields [part, gap, part, gap, part ...]
        out = f"(?:{_expand_macros(parts[0], macros)})"
        for i in range(1, len(parts), 2):
            gap = int(parts[i]) if parts[i] else _DEFAULT_GAP
            out += rf"(?:\s+{_GAP_WORD}){{0,{gap}}}?\s+(?:{_expand_macros(parts[i + 1], macros)})"
        branches.append(out)
    return branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"


def _compile_patterns(
    patterns: Any, macros: Mapping[str, str], where: str, errors: list[str]
) -> re.Pattern[str] | None:
    if not isinstance(patterns, list) or not patterns:
        errors.append(f"{where}: must be a non-empty list of patterns")
        return None
    fragments = []
    for pattern in patterns:
        if not isinstance(pattern, str) or not pattern.strip():
            errors.append(f"{where}: empty or non-string pattern {pattern!r}")
            continue
        fragment = _pattern_to_regex(pattern, macros)
        missing = _MACRO_RE.findall(fragment)
        if missing:
            errors.append(f"{where}: unknown macro(s) {sorted(set(missing))} in {pattern!r}")
            continue
        try:
            re.compile(fragment)
        except re.error as exc:
            errors.append(f"{where}: bad pattern {pattern!r}: {exc}")
            continue
        if re.compile(fragment).fullmatch(""):
            errors.append(f"{where}: pattern {pattern!r} matches the empty string")
            continue
        fragments.append(fragment)
    if not fragments:
        return None
    return re.compile(r"(?<![\w])(?:" + "|".join(fragments) + r")(?![\w])")


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
        regex = _compile_patterns(spec["patterns"], macros, f"{where}.patterns", errors)
    elif not symptoms:
        errors.append(f"{where}: needs 'patterns' and/or 'symptoms'")
    exclude = None
    if "exclude" in spec:
        exclude = _compile_patterns(spec["exclude"], macros, f"{where}.exclude", errors)
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


# --------------------------------------------------------------------------------------------
# Text normalisation
# --------------------------------------------------------------------------------------------

_APOSTROPHES = re.compile(r"['\u2018\u2019`\u00b4]")
_DECIMAL = re.compile(r"(\d)[.,](\d)")
_CLAUSE = re.compile(r"[.!?;,:\n\r\u3002\uff0c\u061f\u060c]+")
_NON_WORD = re.compile(r"[^\w#]+")
_STRETCH = re.compile(r"([a-z])\1{2,}")
_DOUBLE = re.compile(r"([a-z])\1+")
_REDUP = re.compile(r"\b([a-z]{2,})2\b")
_DIGIT_ALPHA = re.compile(r"(?<=\d)(?=[a-z])|(?<=[a-z])(?=\d)")
_MULTI_HASH = re.compile(r"#(?:\s+#)+")

# a number right after these is a duration or a count, not a temperature ("panas 3 hari")
_NOT_TEMP = (
    r"(?![.,]?\d)(?!\s*(?:x\b|kali|hari|hr\b|minggu|mgg|mg\b|bulan|bln|tahun|thn|th\b|jam|"
    r"menit|mnt|detik|days?|weeks?|months?|years?|hours?|minutes?|times))"
)
_TEMP_CONTEXT = re.compile(
    r"(?:suhu|demam|panas|temp|temperature|fever|muriang|meriang|anget|hangat|badan\w*)"
    r"\D{0,12}?(?<!\d)(3[3-9]|4[0-3])(?:[.,](\d{1,2}))?" + _NOT_TEMP
)
_TEMP_UNIT = re.compile(
    r"(?<!\d)(3[3-9]|4[0-3])(?:[.,](\d{1,2}))?\s*(?:°|º|derajat|drjt|celsius|celcius|c\b)"
)

_AGE_ANCHOR = (
    r"(?:bayi\w*|baby|babys|orok\w*|anak\w*|balita|batita|dedek\w*|adek\w*|adik\w*|"
    r"dede(?:nya|na|ne)?|(?<!sudah )(?<!masih )ade(?:nya|na|ne)?|"
    r"newborn|infant|son|daughter|kid|child|toddler|bocah\w*|budak|ponakan\w*|"
    r"keponakan\w*|cucu\w*|umur\w*|usia\w*|lahir|lair|aged|age)"
)
_AGE_FILL = (
    r"(?:saya|aku|ku|kami|abdi|kula|my|our|is|was|just|only|baru|lahir|lair|umur\w*|"
    r"usia\w*|nya|yang|si|kecil|sudah|masih|sekitar|around|about|nembe|mentas|anyar|"
    r"lagi|bayi\w*|baby|old|kurang|lebih|dari)"
)
_WORD_NUMBERS = {
    "se": 1,
    "satu": 1,
    "dua": 2,
    "tiga": 3,
    "empat": 4,
    "lima": 5,
    "enam": 6,
    "tujuh": 7,
    "delapan": 8,
    "sembilan": 9,
    "sepuluh": 10,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
}
_AGE_NUM = (
    r"(\d+(?:_\d+)?|satu|dua|tiga|empat|lima|enam|tujuh|delapan|sembilan|sepuluh|"
    r"one|two|three|four|five|six|seven|eight|nine|ten)"
)
_AGE_UNIT = (
    r"(hari|hr|hri|poe|dino|dinten|days?|minggu|mgg|mg|pekan|weeks?|wks?|bulan|bln|sasi|"
    r"wulan|months?|mo|mos|tahun|thn|th|taun|warsa|years?|yrs?|yo|y)"
)
# "hamil umur 7 bulan" is the pregnancy's age, not the person's
_NOT_PREGNANCY = r"(?<!hamil )(?<!kandungan )(?<!kehamilan )(?<!meteng )(?<!pregnant )"
_AGE_RE = re.compile(
    rf"\b{_NOT_PREGNANCY}{_AGE_ANCHOR}(?:\s+{_AGE_FILL}){{0,3}}\s+"
    rf"(?:{_AGE_NUM}\s+{_AGE_UNIT}|s[ea](hari|minggu|bulan|tahun|poe|taun|sasi))\b"
    rf"|\b{_AGE_NUM}\s+{_AGE_UNIT}\s+old\b"
)
_UNIT_DAYS = {
    "hari": 1,
    "hr": 1,
    "hri": 1,
    "poe": 1,
    "dino": 1,
    "dinten": 1,
    "day": 1,
    "days": 1,
    "minggu": 7,
    "mgg": 7,
    "mg": 7,
    "pekan": 7,
    "week": 7,
    "weeks": 7,
    "wk": 7,
    "wks": 7,
    "bulan": 30.44,
    "bln": 30.44,
    "sasi": 30.44,
    "wulan": 30.44,
    "month": 30.44,
    "months": 30.44,
    "mo": 30.44,
    "mos": 30.44,
    "tahun": 365.25,
    "thn": 365.25,
    "th": 365.25,
    "taun": 365.25,
    "warsa": 365.25,
    "year": 365.25,
    "years": 365.25,
    "yr": 365.25,
    "yrs": 365.25,
    "yo": 365.25,
    "y": 365.25,
}


def normalise_text(text: str, rules: DangerRules | None = None) -> tuple[str, ...]:
    """Return the normalised spellings of ``text`` that patterns are matched against.

    Lowercase, punctuation removed (clause breaks kept as ``#``), reduplication ("kejang2")
    expanded, digits split from letters ("8bln"), abbreviations expanded, and letters
    stretched 3+ times squeezed to two and to one ("kejaaang" -> "kejaang", "kejang").
    """
    rules = rules or load_rules()
    return _normalise(text, rules)[0]


_CONTROL_CHARS = re.compile(
    r"[\x00-\x1f\x7f-\x9f\u00ad\u061c\u180e\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff]"
)


def _control_replacement(match: re.Match[str]) -> str:
    ch = match.group()
    if ch in "\n\r\u2028\u2029":
        return "\n"
    return "" if unicodedata.category(ch) == "Cf" else " "


def _clean(text: Any) -> str:
    if not isinstance(text, str):
        text = "" if text is None else str(text)
    text = unicodedata.normalize("NFKC", text).casefold()
    # line breaks stay clause breaks; format characters (zero-width joiners, RTL marks, soft
    # hyphens) vanish so "kej\u200bang" is still one word; other control characters are spaces
    return _CONTROL_CHARS.sub(_control_replacement, text)


def _normalise(text: Any, rules: DangerRules) -> tuple[tuple[str, ...], str]:
    raw = _clean(text)
    s = _APOSTROPHES.sub("", raw)
    s = _DECIMAL.sub(r"\1_\2", s)
    s = _CLAUSE.sub(" # ", s)
    s = _NON_WORD.sub(" ", s)
    bases = [s]
    if _STRETCH.search(s):
        bases = [_STRETCH.sub(r"\1\1", s), _STRETCH.sub(r"\1", s)]
        bases.append(_DOUBLE.sub(r"\1", bases[1]))
    variants: list[str] = []
    for base in bases:
        base = _REDUP.sub(r"\1 \1", base)
        base = _DIGIT_ALPHA.sub(" ", base)
        words = [rules.abbreviations.get(w, w) for w in base.split()]
        joined = _MULTI_HASH.sub("#", " ".join(words)).strip(" #")
        if joined not in variants:
            variants.append(joined)
    return tuple(variants), raw


def _text_temperatures(raw: str) -> list[float]:
    temps = []
    for rx in (_TEMP_CONTEXT, _TEMP_UNIT):
        for m in rx.finditer(raw):
            value = float(m.group(1) + ("." + m.group(2) if m.group(2) else ""))
            temps.append(value)
    return temps


def _text_age_days(variant: str) -> int | None:
    m = _AGE_RE.search(variant)
    if not m:
        return None
    num, unit, se_unit, num2, unit2 = m.groups()
    if se_unit:
        num, unit = (
            "1",
            {
                "hari": "hari",
                "poe": "hari",
                "minggu": "minggu",
                "bulan": "bulan",
                "sasi": "bulan",
            }.get(se_unit, "tahun"),
        )
    elif num2:
        num, unit = num2, unit2
    if num is None or unit is None:
        return None
    value = _WORD_NUMBERS.get(num)
    if value is None:
        value = float(num.replace("_", "."))
    return int(round(float(value) * _UNIT_DAYS[unit]))


def read_age_days(text: str, rules: DangerRules | None = None) -> int | None:
    """The age a short answer gives ("3 minggu", "umur 2 bulan", "5 hari"), in days."""
    rules = rules or load_rules()
    variants, _ = _normalise(text, rules)
    for variant in variants:
        for candidate in (variant, "umur " + variant):
            days = _text_age_days(candidate)
            if days is not None:
                return days
    return None


def _stage_for_age(age_days: int) -> str:
    """Life stage by age alone, with the bounds of ``flows.lifestage.life_stage``."""
    years = age_days / 365.25
    if age_days <= 28:
        return "newborn"
    if years < 1:
        return "infant"
    if years < 6:
        return "child"
    if years < 18:
        return "school_age"
    if years < 60:
        return "adult"
    return "elderly"


# --------------------------------------------------------------------------------------------
# Evaluation
# --------------------------------------------------------------------------------------------

_POSITIVE, _NEGATED, _ABSENT = 1, 2, 0
_COORDINATORS = frozenset({"atau", "ataupun", "maupun", "dan", "sama", "or", "nor", "and"})


class _Evaluation:
    """Per-message matching state: concept results are computed lazily and cached."""

    __slots__ = ("rules", "variants", "codes", "cache", "asks", "general")

    def __init__(
        self,
        rules: DangerRules,
        variants: tuple[str, ...],
        codes: frozenset[str],
        asks: bool = False,
    ):
        self.rules = rules
        self.variants = variants
        self.codes = codes
        self.cache: dict[str, bool] = {}
        self.asks = asks  # the raw text has a question mark
        self.general: dict[str, bool] = {}

    def concept(self, name: str) -> bool:
        hit = self.cache.get(name)
        if hit is None:
            hit = self._concept(self.rules.concepts[name])
            self.cache[name] = hit
        return hit

    def _concept(self, concept: Concept) -> bool:
        status = _ABSENT
        if concept.regex is not None:
            for variant in self.variants:
                found = self._text_status(concept, variant)
                if found == _POSITIVE:
                    return True
                status = max(status, found)
        if concept.symptoms & self.codes:
            # trust the NLU unless the text only ever mentions this sign negated
            return status != _NEGATED
        return False

    def _text_status(self, concept: Concept, s: str) -> int:
        status = _ABSENT
        excluded: list[tuple[int, int]] | None = None
        assert concept.regex is not None
        for m in concept.regex.finditer(s):
            if concept.exclude is not None:
                if excluded is None:
                    excluded = [x.span() for x in concept.exclude.finditer(s)]
                start, end = m.span()
                if any(a < end and start < b for a, b in excluded):
                    status = _NEGATED  # mentioned, but in an excluded sense
                    continue
            if concept.negatable and self._negated(s, m.start(), m.end(), concept.regex):
                status = _NEGATED
                continue
            if concept.contextual and self._not_happening(s, m.start(), m.end()):
                status = _NEGATED  # past, resolved, or a question about the sign in general
                continue
            return _POSITIVE
        return status

    def _not_happening(self, s: str, start: int, end: int) -> bool:
        """The sign at s[start:end] is history in its clause, or the message asks in general."""
        ctx = self.rules.context
        if self._general_question(s):
            return True
        left = s.rfind("#", 0, start) + 1
        right = s.find("#", end)
        clause = s[left : right if right >= 0 else len(s)]
        if ctx.handled is not None and ctx.handled.search(clause):
            return True
        if ctx.history is None or not ctx.history.search(clause):
            return False
        return not (ctx.present is not None and ctx.present.search(clause))

    def _general_question(self, s: str) -> bool:
        """ "kalau bayi kuning bahaya gak", "tanda bahaya hamil apa aja": nobody has the sign."""
        hit = self.general.get(s)
        if hit is None:
            hit = _general_question(self.rules.context, s, self.asks)
            self.general[s] = hit
        return hit

    def _negated(self, s: str, start: int, end: int, regex: re.Pattern[str]) -> bool:
        negations = self.rules.negations
        fillers = self.rules.negation_fillers
        words = s[start:end].split()
        # a negation inside the match that the pattern did not need ("mata gak kabur" matched
        # by "mata ~ kabur"): without it the words still match, so it negates the sign
        for i in range(1, len(words) - 1 + 1):
            if words[i] in negations and regex.fullmatch(" ".join(words[:i] + words[i + 1 :])):
                return True
        before = s[max(0, start - 80) : start].split()
        first = words[0] if words else ""
        skipped = 0
        coordinated = False
        for word in reversed(before):
            if word in negations:
                return True
            if word == first:  # reduplication: "gak kejang kejang"
                continue
            if word in _COORDINATORS and not coordinated:
                # "gak ada keluar air atau darah": the negation covers both sides of "atau"
                coordinated = True
                skipped = -1  # the other item of the pair is passed over
                continue
            if (word in fillers or skipped < 0) and skipped < 3:
                skipped += 1
                continue
            break
        after = s[end : end + 30].split()[:2]
        if after and after[0] in negations:
            return len(after) == 1 or after[1] in ("ada", "#")
        return False


def _general_question(ctx: MessageContext, s: str, asks: bool) -> bool:
    if ctx.question is None or (ctx.present is not None and ctx.present.search(s)):
        return False
    if not (asks or ctx.question.search(s)):
        return False
    head = " ".join(s.split()[:3])
    if ctx.conditional is not None and ctx.conditional.search(head):
        return True
    general = ctx.general is not None and bool(ctx.general.search(s))
    info = ctx.info is not None and bool(ctx.info.search(s))
    if general and info:
        return True  # "tanda tanda stroke apa saja, buat jaga jaga mbah"
    if not (general or info):
        return False
    return not (ctx.personal is not None and ctx.personal.search(s))


def _condition_holds(cond: Condition, ev: _Evaluation, age: int | None, temps: list[float]) -> bool:
    """Whether one condition of a rule alternative holds for this message."""
    if cond.kind == "concept":
        return ev.concept(cond.name)
    if cond.kind == "not_concept":
        return not ev.concept(cond.name)
    if cond.kind == "age_unknown":
        return age is None
    if cond.kind == "age_days":
        return age is not None and _compare(age, cond.op, cond.value)
    if cond.kind == "temp":
        return any(_compare(t, cond.op, cond.value) for t in temps)
    return False


def _compare(left: float, op: str, right: float) -> bool:
    if op == "<":
        return left < right
    if op == "<=":
        return left <= right
    if op == ">":
        return left > right
    return left >= right


def _infer_stages(
    inp: TriageInput, variants: tuple[str, ...], rules: DangerRules, text_age: int | None
) -> set[str]:
    """Union of the given stage, the stages implied by ages, and the stages cued by words."""
    stages: set[str] = set()
    if inp.life_stage in LIFE_STAGES:
        stages.add(inp.life_stage)
    if inp.weeks_pregnant is not None and inp.weeks_pregnant > 0:
        stages.add("pregnant")
    for age in (inp.age_days, text_age):
        if isinstance(age, int) and age >= 0:
            stages.add(_stage_for_age(age))
    for stage, rx in rules.stage_cues:
        if stage not in stages and any(rx.search(v) for v in variants):
            stages.add(stage)
    return stages


def triage(inp: TriageInput, rules: DangerRules | None = None) -> TriageResult:
    """Classify one message as "emergency" or "routine" using the danger-sign rules."""
    rules = rules or load_rules()
    variants, raw = _normalise(inp.text, rules)
    codes = frozenset(c for c in (inp.symptoms or ()) if isinstance(c, str))
    text_age = next((a for a in map(_text_age_days, variants) if a is not None), None)
    age = inp.age_days if isinstance(inp.age_days, int) and inp.age_days >= 0 else text_age
    temps = _text_temperatures(raw)
    if isinstance(inp.temperature_c, (int, float)) and not isinstance(inp.temperature_c, bool):
        temps.append(float(inp.temperature_c))
    stages = _infer_stages(inp, variants, rules, text_age)
    ev = _Evaluation(rules, variants, codes, asks="?" in raw)

    fired: list[Rule] = []
    waiting: list[Rule] = []  # fired only because the age is unknown
    for rule in rules.rules:
        if not (
            rule.applies_to_any_stage or rule.stages & stages or (not stages and rule.when_unknown)
        ):
            continue
        pending = False
        for alt in rule.alternatives:
            if all(_condition_holds(c, ev, age, temps) for c in alt):
                if any(c.kind == "age_unknown" for c in alt):
                    pending = True
                    continue
                fired.append(rule)
                break
        else:
            if pending:
                waiting.append(rule)

    if not fired and waiting:
        waiting.sort(key=lambda r: (-r.priority, r.order))
        return TriageResult(
            ROUTINE,
            (),
            waiting[0].advice_key,  # the advice should it turn out to be an emergency
            "An emergency at some ages; the age is unknown: ask it.",
            ask="age",
            pending=tuple(r.id for r in waiting),
            stages=tuple(sorted(stages)),
        )
    if not fired:
        stage_note = f" (life stage: {', '.join(sorted(stages))})" if stages else ""
        return TriageResult(
            ROUTINE, (), None, f"No danger sign matched{stage_note}.", stages=tuple(sorted(stages))
        )
    fired.sort(key=lambda r: (-r.priority, r.order))
    top = fired[0]
    titles = "; ".join(r.title for r in fired[:3])
    more = f" (+{len(fired) - 3} more)" if len(fired) > 3 else ""
    return TriageResult(
        EMERGENCY,
        tuple(r.id for r in fired),
        top.advice_key,
        f"Danger sign: {titles}{more}.",
        stages=tuple(sorted(stages)),
    )


def present_symptoms(
    text: str, codes: Iterable[str], rules: DangerRules | None = None
) -> tuple[str, ...]:
    """The NLU symptom codes without those the text only mentions negated or as history
    ("tp ga kejang, ga sesak" keeps fever, drops convulsion and breathlessness)."""
    rules = rules or load_rules()
    variants, raw = _normalise(text, rules)
    ev = _Evaluation(rules, variants, frozenset(), asks="?" in raw)
    kept = []
    for code in codes:
        found = {
            ev._text_status(c, v)
            for c in rules.concepts.values()
            if code in c.symptoms and c.regex is not None
            for v in variants
        }
        if _NEGATED in found and _POSITIVE not in found:
            continue
        kept.append(code)
    return tuple(kept)


def happening(text: str, phrases: Iterable[str], rules: DangerRules | None = None) -> bool:
    """One of `phrases` (whole words) is said of now in `text`: not negated, not history ("tahun
    lalu"), not a general question, by the same context rules as the danger signs."""
    rules = rules or load_rules()
    alternatives = "|".join(re.escape(p.lower()) for p in sorted(phrases, key=len, reverse=True))
    if not alternatives:
        return False
    concept = Concept(
        "phrases", re.compile(rf"\b(?:{alternatives})\b"), None, frozenset(), negatable=True
    )
    variants, raw = _normalise(text, rules)
    ev = _Evaluation(rules, variants, frozenset(), asks="?" in raw)
    return any(ev._text_status(concept, v) == _POSITIVE for v in variants)


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


def example_input(example: Mapping[str, Any]) -> TriageInput:
    """Build a ``TriageInput`` from a YAML example mapping."""
    return TriageInput(
        text=example["text"],
        symptoms=tuple(example.get("symptoms") or ()),
        life_stage=example.get("life_stage"),
        age_days=example.get("age_days"),
        weeks_pregnant=example.get("weeks_pregnant"),
        temperature_c=example.get("temperature_c"),
    )
