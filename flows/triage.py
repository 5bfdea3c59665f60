"""Danger-sign triage: decides whether a message describes an emergency (the public API).

The clinical content lives in ``flows/rules/danger_signs.yml`` (rules, vocabulary, sources and
examples), compiled by ``flows.triage_rules`` (its pattern language in ``flows.triage_patterns``);
the Indonesian advice texts are catalog entries in ``bot/messages/id/danger.yml`` (keys in
``ADVICE_KEYS``). Text is normalised by ``flows.triage_text``. This module infers the life stage
and evaluates the rules. ``triage`` does no I/O; ``load_rules`` reads and validates the YAML file
once and caches the compiled result. The names of the other triage modules that the rest of the
code uses stay importable from here.

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
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from flows.triage_rules import (
    ADVICE_HOSPITAL_TEXT,
    ADVICE_KEYS,
    ADVICE_MAX_CHARS,
    ADVICE_REQUIRED_TEXT,
    DEFAULT_RULES_PATH,
    LIFE_STAGES,
    RULE_FAMILIES,
    SOURCE_GRADES,
    SYMPTOM_CODES,
    Concept,
    Condition,
    DangerRules,
    MessageContext,
    Rule,
    RulesError,
    compile_rules,
    iter_rule_examples,
    load_rules,
)
from flows.triage_text import (
    normalise,
    normalise_text,
    read_age_days,
    text_age_days,
    text_temperatures,
)

__all__ = [
    "ADVICE_HOSPITAL_TEXT",
    "ADVICE_KEYS",
    "ADVICE_MAX_CHARS",
    "ADVICE_REQUIRED_TEXT",
    "DEFAULT_RULES_PATH",
    "EMERGENCY",
    "LIFE_STAGES",
    "ROUTINE",
    "RULE_FAMILIES",
    "SOURCE_GRADES",
    "SYMPTOM_CODES",
    "Concept",
    "Condition",
    "DangerRules",
    "MessageContext",
    "Rule",
    "RulesError",
    "TriageInput",
    "TriageResult",
    "compile_rules",
    "example_input",
    "happening",
    "iter_rule_examples",
    "load_rules",
    "normalise_text",
    "present_symptoms",
    "read_age_days",
    "triage",
]

EMERGENCY = "emergency"
ROUTINE = "routine"


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
        # at or taken to a facility in its clause or a later one ("dada sakit, sudah dibawa ke
        # igd"); a sign told after that clause is new ("sudah ke bidan # sekarang kejang lagi")
        if ctx.handled is not None and ctx.handled.search(s[left:]):
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
    variants, raw = normalise(inp.text, rules)
    codes = frozenset(c for c in (inp.symptoms or ()) if isinstance(c, str))
    text_age = next((a for a in map(text_age_days, variants) if a is not None), None)
    age = inp.age_days if isinstance(inp.age_days, int) and inp.age_days >= 0 else text_age
    temps = text_temperatures(raw)
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
    variants, raw = normalise(text, rules)
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
    variants, raw = normalise(text, rules)
    ev = _Evaluation(rules, variants, frozenset(), asks="?" in raw)
    return any(ev._text_status(concept, v) == _POSITIVE for v in variants)


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
