"""`make nlu-evaluate`: held-out and cross-validated NLU figures in reports/nlu.{md,json}."""

from __future__ import annotations

import argparse
import contextlib
import gc
import json
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import yaml

from bot.config import ROOT

HELDOUT = ROOT / "nlu" / "heldout" / "test.yml"
# Blind sets: written by people who never read the training data (judges, never training material)
BLIND_SETS = (ROOT / "nlu" / "heldout" / "blind.yml", ROOT / "nlu" / "heldout" / "blind2.yml")
REPORT_DIR = ROOT / "reports"
FALLBACK = "nlu_fallback"
OUT_OF_SCOPE = "out_of_scope"
SEED = 42
SWEEP = (0.6, 0.7, 0.8, 0.9, 0.95)  # higher fallback thresholds to show "what if" figures for
DEFAULT_THRESHOLD = 0.3  # Rasa's FallbackClassifier default when the config sets none
# name -> (comparison, target); judged on the held-out set (cross-validation is for information)
TARGETS: dict[str, tuple[str, float]] = {
    "intent_accuracy": (">=", 0.92),
    "macro_f1": (">=", 0.90),
    "confident_error_rate": ("<=", 0.03),
}
# judged on each blind set and on all blind sets together: what residents really write
BLIND_TARGETS: dict[str, tuple[str, float]] = {
    "intent_accuracy": (">=", 0.95),
    "macro_f1": (">=", 0.93),
    "confident_error_rate": ("<=", 0.02),
}
ROBUSTNESS_CASES: tuple[tuple[str, str], ...] = (
    ("empty text", ""),
    ("emoji only", "\U0001f600\U0001f64f\U0001f912"),
    ("5,000 characters", ("anak saya demam dari kemarin bu " * 160)[:5000]),
    ("Arabic", "مرحبا كيف حالك، طفلي مريض"),
    ("Chinese", "你好，我的孩子发烧了"),
    ("control characters", "\x00\x01\x02\x1b[31m\x7f\u200b\ufeff"),
    ("phone number alone", "081234567890"),
)

EntityKey = tuple[str, str, int, int]  # (entity type, value, start, end)


@dataclass(frozen=True)
class Example:
    """One labelled message: its text, intent and entities (values canonical)."""

    text: str
    intent: str
    entities: tuple[EntityKey, ...] = ()


@dataclass(frozen=True)
class Prediction:
    """What the NLU made of one message."""

    intent: str
    confidence: float
    entities: tuple[EntityKey, ...] = ()
    seconds: float = 0.0


# --- pure metrics -------------------------------------------------------------------------------


def honest(gold: Sequence[str], pred: Sequence[str]) -> list[str]:
    """Predictions with nlu_fallback counted as out_of_scope where the message is out of scope."""
    return [
        OUT_OF_SCOPE if g == OUT_OF_SCOPE and p == FALLBACK else p
        for g, p in zip(gold, pred, strict=True)
    ]


def accuracy(gold: Sequence[str], pred: Sequence[str]) -> float:
    """Share of messages whose predicted intent equals the true one."""
    if len(gold) != len(pred):
        raise ValueError("gold and predicted labels differ in length")
    if not gold:
        return 0.0
    return sum(g == p for g, p in zip(gold, pred, strict=True)) / len(gold)


def prf(tp: int, fp: int, fn: int) -> dict[str, float]:
    """Precision, recall and F1 from counts (0.0 where undefined)."""
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "f1": f1}


def intent_report(gold: Sequence[str], pred: Sequence[str]) -> dict[str, dict[str, float]]:
    """Per-label precision, recall, F1 and support (labels seen in gold or predictions)."""
    if len(gold) != len(pred):
        raise ValueError("gold and predicted labels differ in length")
    labels = sorted(set(gold) | set(pred))
    pairs = Counter(zip(gold, pred, strict=True))
    support = Counter(gold)
    predicted = Counter(pred)
    report = {}
    for label in labels:
        tp = pairs[(label, label)]
        row: dict[str, float] = prf(tp, predicted[label] - tp, support[label] - tp)
        row["support"] = support[label]
        report[label] = row
    return report


def macro_f1(report: dict[str, dict[str, float]]) -> float:
    """Unweighted mean F1 over the true labels (labels only ever predicted are left out)."""
    scores = [row["f1"] for row in report.values() if row["support"] > 0]
    return sum(scores) / len(scores) if scores else 0.0


def confusion_pairs(gold: Sequence[str], pred: Sequence[str]) -> list[tuple[str, str, int]]:
    """(true, predicted, count) for every mistake that occurs, most frequent first."""
    mistakes = Counter((g, p) for g, p in zip(gold, pred, strict=True) if g != p)
    return sorted(((g, p, n) for (g, p), n in mistakes.items()), key=lambda t: (-t[2], t[0], t[1]))


def confident_errors(
    gold: Sequence[str], pred: Sequence[str], confidence: Sequence[float], threshold: float
) -> int:
    """Wrong intents (not the fallback) predicted with confidence at or above the threshold."""
    return sum(
        g != p and p != FALLBACK and c >= threshold
        for g, p, c in zip(gold, pred, confidence, strict=True)
    )


def confident_error_rate(
    gold: Sequence[str], pred: Sequence[str], confidence: Sequence[float], threshold: float
) -> float:
    """Confident errors as a share of all messages."""
    return confident_errors(gold, pred, confidence, threshold) / len(gold) if gold else 0.0


def entity_scores(
    gold: Sequence[Iterable[EntityKey]], pred: Sequence[Iterable[EntityKey]]
) -> dict[str, Any]:
    """Exact-match (type, value, start, end) precision/recall/F1 per entity type and overall."""
    if len(gold) != len(pred):
        raise ValueError("gold and predicted entity lists differ in length")
    tp: Counter[str] = Counter()
    fp: Counter[str] = Counter()
    fn: Counter[str] = Counter()
    for g_items, p_items in zip(gold, pred, strict=True):
        g, p = Counter(g_items), Counter(p_items)
        for key, n in (g & p).items():
            tp[key[0]] += n
        for key, n in (p - g).items():
            fp[key[0]] += n
        for key, n in (g - p).items():
            fn[key[0]] += n
    by_type = {}
    for kind in sorted(set(tp) | set(fp) | set(fn)):
        row: dict[str, float] = prf(tp[kind], fp[kind], fn[kind])
        row["support"] = tp[kind] + fn[kind]
        by_type[kind] = row
    overall: dict[str, float] = prf(sum(tp.values()), sum(fp.values()), sum(fn.values()))
    overall["support"] = sum(tp.values()) + sum(fn.values())
    return {"overall": overall, "by_type": by_type}


def threshold_sweep(
    gold: Sequence[str],
    pred: Sequence[str],
    confidence: Sequence[float],
    thresholds: Iterable[float],
) -> list[dict[str, float]]:
    """Figures had the fallback threshold been higher: predictions below it become nlu_fallback.

    Exact only for thresholds at or above the one the model ran with (a fallback hides the
    intent it replaced). `pred` is the raw prediction, before out-of-scope honesty.
    """
    rows = []
    for t in thresholds:
        raised = [
            FALLBACK if p != FALLBACK and c < t else p
            for p, c in zip(pred, confidence, strict=True)
        ]
        fair = honest(gold, raised)
        rows.append(
            {
                "threshold": t,
                "intent_accuracy": accuracy(gold, fair),
                "macro_f1": macro_f1(intent_report(gold, fair)),
                "confident_error_rate": confident_error_rate(gold, fair, confidence, t),
                "fallback_rate": sum(p == FALLBACK for p in raised) / len(raised)
                if raised
                else 0.0,
            }
        )
    return rows


def stratified_folds(
    labels: Sequence[str], k: int, seed: int = SEED
) -> list[tuple[list[int], list[int]]]:
    """k (train indices, test indices) splits, stratified by label, the same for the same seed."""
    from sklearn.model_selection import StratifiedKFold

    splitter = StratifiedKFold(n_splits=k, shuffle=True, random_state=seed)
    return [
        (sorted(int(i) for i in train), sorted(int(i) for i in test))
        for train, test in splitter.split([[0]] * len(labels), list(labels))
    ]


def score(examples: Sequence[Example], preds: Sequence[Prediction], threshold: float) -> dict:
    """Every figure for one set of predictions (out-of-scope honesty applied)."""
    gold = [e.intent for e in examples]
    raw = [p.intent for p in preds]
    pred = honest(gold, raw)
    conf = [p.confidence for p in preds]
    report = intent_report(gold, pred)
    sweep = sorted({threshold, *(t for t in SWEEP if t > threshold)})
    n_confident = confident_errors(gold, pred, conf, threshold)
    return {
        "messages": len(examples),
        "intent_accuracy": accuracy(gold, pred),
        "macro_f1": macro_f1(report),
        "confident_errors": n_confident,
        "confident_error_rate": n_confident / len(gold) if gold else 0.0,
        "fallbacks": sum(p == FALLBACK for p in pred),
        "per_intent": report,
        "confusion_pairs": [list(t) for t in confusion_pairs(gold, pred)],
        "entities": entity_scores([e.entities for e in examples], [p.entities for p in preds]),
        "threshold_sweep": threshold_sweep(gold, raw, conf, sweep),
    }


def check_targets(
    figures: dict[str, float], targets: dict[str, tuple[str, float]] | None = None
) -> dict[str, dict[str, Any]]:
    """Each target (TARGETS unless given) with the figure, the bound and whether it passes."""
    out = {}
    for name, (op, bound) in (TARGETS if targets is None else targets).items():
        value = figures[name]
        ok = value >= bound if op == ">=" else value <= bound
        out[name] = {"value": value, "op": op, "target": bound, "pass": ok}
    return out


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0-100) by linear interpolation; 0.0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    pos = (len(ordered) - 1) * q / 100
    lo = int(pos)
    hi = min(lo + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo)


def fallback_threshold(config_path: Path) -> float:
    """The FallbackClassifier threshold in the Rasa pipeline config."""
    config = yaml.safe_load(config_path.read_text(encoding="utf-8")) or {}
    for component in config.get("pipeline") or []:
        if component.get("name") == "FallbackClassifier":
            return float(component.get("threshold", DEFAULT_THRESHOLD))
    return 1.0  # no fallback: every wrong intent is a confident one


def normalise(text: str) -> str:
    """Lowercase, single-spaced text, for spotting held-out messages also in training."""
    return " ".join(text.lower().split())


# --- data and parsing ---------------------------------------------------------------------------


def load_training_data(path: Path) -> Any:
    """Rasa's TrainingData for a file or folder (quietly)."""
    from nlu.model import quiet_rasa

    quiet_rasa()
    from rasa.shared.nlu.training_data.loading import load_data

    return load_data(str(path))


def examples_from(training_data: Any, synonyms: dict[str, str]) -> list[Example]:
    """Labelled examples, entity values mapped to canonical values like EntitySynonymMapper."""
    out = []
    for msg in training_data.intent_examples:
        entities = tuple(
            (
                e["entity"],
                synonyms.get(str(e["value"]).lower(), str(e["value"])),
                int(e["start"]),
                int(e["end"]),
            )
            for e in msg.get("entities") or []
        )
        out.append(Example(msg.get("text"), msg.get("intent"), entities))
    return out


def predict(nlu: Any, texts: Iterable[str]) -> list[Prediction]:
    """Parse each text with the app's Nlu (sanitising included), timing each parse."""
    out = []
    for text in texts:
        started = time.perf_counter()
        result = nlu.parse(text)
        elapsed = time.perf_counter() - started
        entities = tuple(
            (str(e.get("entity")), str(e.get("value")), int(e.get("start")), int(e.get("end")))
            for e in result["entities"]
            if e.get("start") is not None and e.get("end") is not None
        )
        out.append(
            Prediction(result["intent"]["name"], result["intent"]["confidence"], entities, elapsed)
        )
    return out


def valid_parse(result: dict[str, Any], intents: set[str], text: str, max_chars: int) -> bool:
    """The shape the pipeline relies on: known intent, confidence in [0, 1], entity list, flag."""
    intent = result.get("intent") or {}
    return (
        isinstance(result.get("text"), str)
        and intent.get("name") in intents | {FALLBACK}
        and isinstance(intent.get("confidence"), float | int)
        and 0.0 <= intent["confidence"] <= 1.0
        and isinstance(result.get("entities"), list)
        and result.get("truncated") is (len(text) > max_chars)
    )


def robustness(nlu: Any, intents: set[str]) -> list[dict[str, Any]]:
    """Parse awkward inputs; each must give a valid result. Time per parse in ms."""
    rows = []
    for name, text in ROBUSTNESS_CASES:
        started = time.perf_counter()
        try:
            result = nlu.parse(text)
            error = None
        except Exception as exc:  # noqa: BLE001 (a crash is what this table reports)
            result, error = {}, f"{type(exc).__name__}: {exc}"
        ms = (time.perf_counter() - started) * 1000
        intent = result.get("intent") or {}
        rows.append(
            {
                "case": name,
                "chars": len(text),
                "valid": error is None and valid_parse(result, intents, text, nlu.max_chars),
                "intent": intent.get("name"),
                "confidence": intent.get("confidence"),
                "entities": len(result.get("entities") or []),
                "truncated": result.get("truncated"),
                "ms": ms,
                "error": error,
            }
        )
    return rows


def errors_list(examples: Sequence[Example], preds: Sequence[Prediction]) -> list[dict[str, Any]]:
    """Held-out messages whose intent was wrong (after out-of-scope honesty)."""
    gold = [e.intent for e in examples]
    pred = honest(gold, [p.intent for p in preds])
    return [
        {"text": e.text, "true": e.intent, "predicted": p, "confidence": q.confidence}
        for e, p, q in zip(examples, pred, preds, strict=True)
        if e.intent != p
    ]


def entity_mistakes(
    examples: Sequence[Example], preds: Sequence[Prediction]
) -> list[dict[str, Any]]:
    """Messages whose entities differ: what was missed and what was extra."""
    out = []
    for e, p in zip(examples, preds, strict=True):
        g, q = Counter(e.entities), Counter(p.entities)
        if g == q:
            continue
        out.append(
            {
                "text": e.text,
                "missed": [_entity_str(e.text, k) for k in sorted((g - q).elements())],
                "extra": [_entity_str(e.text, k) for k in sorted((q - g).elements())],
            }
        )
    return out


def judge_blind_sets(
    nlu: Any,
    files: Sequence[Path],
    synonyms: dict[str, str],
    seen: set[str],
    threshold: float,
) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
    """Each blind set's figures against BLIND_TARGETS, and the same for all of them pooled.

    `seen` holds the normalised training texts (a blind message found there is reported)."""
    sets: list[dict[str, Any]] = []
    pooled_examples: list[Example] = []
    pooled_preds: list[Prediction] = []
    for path in files:
        if not path.exists():
            continue
        examples = examples_from(load_training_data(path), synonyms)
        preds = predict(nlu, [e.text for e in examples])
        figures = score(examples, preds, threshold)
        sets.append(
            {
                "name": path.name,
                "file": _shown(path),
                "figures": figures,
                "targets": check_targets(figures, BLIND_TARGETS),
                "errors": errors_list(examples, preds),
                "overlap": [e.text for e in examples if normalise(e.text) in seen],
            }
        )
        pooled_examples += examples
        pooled_preds += preds
    if not sets:
        return sets, None
    figures = score(pooled_examples, pooled_preds, threshold)
    combined = {
        "files": [b["file"] for b in sets],
        "figures": figures,
        "targets": check_targets(figures, BLIND_TARGETS),
    }
    return sets, combined


def _entity_str(text: str, key: EntityKey) -> str:
    kind, value, start, end = key
    return f"{kind}={value} '{text[start:end]}'@{start}"


# --- cross-validation ---------------------------------------------------------------------------


def cross_validate(
    training_data: Any,
    examples: Sequence[Example],
    k: int,
    config_path: Path,
    threshold: float,
    max_chars: int,
) -> dict[str, Any]:
    """Train on k-1 folds and parse the k-th, k times; per-fold and pooled figures."""
    from rasa.shared.nlu.training_data.formats.rasa_yaml import RasaYAMLWriter
    from rasa.shared.nlu.training_data.training_data import TrainingData

    from nlu.backends import InProcessRasa, Nlu
    from nlu.model import train

    messages = training_data.intent_examples
    splits = stratified_folds([e.intent for e in examples], k)
    pooled: list[Prediction | None] = [None] * len(examples)
    folds = []
    for number, (train_idx, test_idx) in enumerate(splits, start=1):
        print(
            f"fold {number}/{k}: training on {len(train_idx)}, testing on {len(test_idx)}",
            file=sys.stderr,
            flush=True,
        )
        with tempfile.TemporaryDirectory(prefix=f"nlu-fold{number}-") as tmp:
            data_dir = Path(tmp) / "data"
            data_dir.mkdir()
            subset = TrainingData(
                training_examples=[messages[i] for i in train_idx],
                entity_synonyms=training_data.entity_synonyms,
                regex_features=training_data.regex_features,
                lookup_tables=training_data.lookup_tables,
            )
            (data_dir / "nlu.yml").write_text(RasaYAMLWriter().dumps(subset), encoding="utf-8")
            started = time.perf_counter()
            with contextlib.redirect_stdout(sys.stderr):  # Rasa prints "model is trained..."
                model = train(config_path, data_dir, Path(tmp) / "models", f"fold-{number}")
            train_seconds = time.perf_counter() - started
            backend = InProcessRasa(model)
            try:
                preds = predict(Nlu(backend, max_chars), [examples[i].text for i in test_idx])
            finally:
                InProcessRasa._agents.pop(model, None)  # one fold model in memory at a time
                del backend
                gc.collect()
        fold_examples = [examples[i] for i in test_idx]
        figures = score(fold_examples, preds, threshold)
        for i, p in zip(test_idx, preds, strict=True):
            pooled[i] = p
        folds.append(
            {
                "fold": number,
                "train": len(train_idx),
                "test": len(test_idx),
                "train_seconds": train_seconds,
                "intent_accuracy": figures["intent_accuracy"],
                "macro_f1": figures["macro_f1"],
                "confident_error_rate": figures["confident_error_rate"],
                "entity_f1": figures["entities"]["overall"]["f1"],
            }
        )
    pooled_preds = [p for p in pooled if p is not None]
    summary = {
        name: {
            "mean": statistics.fmean(f[name] for f in folds),
            "std": statistics.pstdev(f[name] for f in folds),
        }
        for name in ("intent_accuracy", "macro_f1", "confident_error_rate", "entity_f1")
    }
    return {
        "folds": k,
        "seed": SEED,
        "per_fold": folds,
        "summary": summary,
        "pooled": score(examples, pooled_preds, threshold),
    }


# --- reports ------------------------------------------------------------------------------------


def load_benchmark(path: Path) -> dict[str, Any] | None:
    """The figures bench/diet.py wrote (plain DIET next to the project model), if any."""
    if not path.exists():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return {
            "generated_at": data["generated_at"],
            "command": data["command"],
            "train_seconds": data["diet"]["train_seconds"],
            "project_label": data["project"]["label"],
            "project": data["project"]["sets"],
            "diet": data["diet"]["sets"],
        }
    except (ValueError, KeyError, TypeError):
        return None


def _benchmark_section(bench: dict[str, Any] | None, model: str) -> list[str]:
    lines = ["", "## Plain Rasa DIET on the same training data", ""]
    if not bench:
        return [*lines, "Not run yet: `.venv/bin/python bench/diet.py` (about 10 minutes)."]
    lines += [
        f"From `{bench['command']}` on {bench['generated_at'][:10]} ({bench['generated_at']}): "
        "a stock pipeline (WhitespaceTokenizer, RegexFeaturizer, LexicalSyntacticFeaturizer, "
        "CountVectorsFeaturizer word and char_wb 1-4, DIETClassifier 100 epochs, "
        "EntitySynonymMapper, FallbackClassifier 0.5) trained on `nlu/data/` in "
        f"{bench['train_seconds']} s, scored with the same code as this report (each model at "
        f"its own fallback threshold), next to the {bench['project_label']}.",
    ]
    if model not in bench["project_label"]:
        lines.append(
            f"The benchmark ran on another model than this report's (`{model}`): run it again "
            "for figures on the current data."
        )
    lines += [
        "",
        "| set | messages | accuracy (project / DIET) | macro-F1 (project / DIET) "
        "| confident errors (project / DIET) | fallbacks (project / DIET) |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for name, p in bench["project"].items():
        d = bench["diet"].get(name)
        if d is None:
            continue
        lines.append(
            f"| {name} | {p['messages']} | {p['intent_accuracy']:.3f} / {d['intent_accuracy']:.3f} "
            f"| {p['macro_f1']:.3f} / {d['macro_f1']:.3f} "
            f"| {_pct(p['confident_error_rate'])} / {_pct(d['confident_error_rate'])} "
            f"| {p['fallbacks']} / {d['fallbacks']} |"
        )
    return lines


def _r(value: Any) -> Any:
    """Round floats (recursively) for the JSON report."""
    if isinstance(value, float):
        return round(value, 4)
    if isinstance(value, dict):
        return {k: _r(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_r(v) for v in value]
    return value


def _shown(path: Path) -> str:
    """A path relative to the project root when it is inside it."""
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


def _pct(x: float) -> str:
    return f"{100 * x:.1f} %"


def _md_escape(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render_markdown(result: dict[str, Any]) -> str:
    """The human-readable report."""
    h = result["heldout"]
    lines = [
        "# NLU evaluation",
        "",
        f"Generated {result['generated_at']} by `python -m bench.nlu_evaluate` "
        f"(Rasa {result['rasa_version']}, model `{result['model']}`).",
        f"Held-out set: `{result['heldout_file']}`, {h['messages']} messages, never trained on. "
        f"Fallback threshold {result['threshold']:.2f} (from `{result['config']}`).",
        "",
        "## Targets (held-out set)",
        "",
        *_targets_table(result["targets"]),
    ]
    rob_ok = all(r["valid"] for r in result["robustness"])
    lines.append(
        f"| robustness (valid parses) | {sum(r['valid'] for r in result['robustness'])}"
        f"/{len(result['robustness'])} | all | {'PASS' if rob_ok else '**FAIL**'} |"
    )
    blind_sets = result.get("blind_sets") or []
    combined = result.get("blind_combined")
    if blind_sets and combined:
        lines += [
            "",
            "## Targets (blind sets, each and combined)",
            "",
            "Written by people who never read the training data or the first held-out set: "
            + ", ".join(f"`{b['file']}` ({b['figures']['messages']} messages)" for b in blind_sets)
            + f"; combined {combined['figures']['messages']} messages. Judges only: never "
            "trained on, and never a source of training examples.",
            "",
            *_blind_targets_table(blind_sets, combined),
        ]
    timing = result["heldout_parse_ms"]
    lines += [
        "",
        f"Fallbacks on the held-out set: {h['fallbacks']} "
        f"(out_of_scope messages answered with nlu_fallback count as correct). "
        f"Confident errors: {h['confident_errors']} wrong intents at confidence "
        f">= {result['threshold']:.2f}. Parse time p50 {timing['p50']:.1f} ms, "
        f"p95 {timing['p95']:.1f} ms.",
    ]
    overlap = len(result["overlap"]) + sum(len(b.get("overlap") or ()) for b in blind_sets)
    if overlap:
        lines.append(
            f"Warning: {overlap} held-out messages also occur in the training "
            "data (see the JSON report): the held-out figures are optimistic."
        )
    lines += _intent_tables("Held-out set", h)
    lines += _entity_table(h["entities"])
    lines += ["", "### Misclassified held-out messages", ""]
    lines += _errors_table(result["heldout_errors"])
    mistakes = result["heldout_entity_mistakes"]
    lines += ["", "### Entity mistakes on the held-out set", ""]
    if mistakes:
        lines += ["| text | missed | extra |", "| --- | --- | --- |"]
        for m in mistakes[:60]:
            lines.append(
                f"| {_md_escape(m['text'])} | {_md_escape('; '.join(m['missed']))} "
                f"| {_md_escape('; '.join(m['extra']))} |"
            )
        if len(mistakes) > 60:
            lines.append(f"\n{len(mistakes) - 60} more in the JSON report.")
    else:
        lines.append("None.")

    if combined:
        lines += _intent_tables("Blind sets combined", combined["figures"])
    for b in blind_sets:
        lines += _intent_tables(f"Blind set {b['name']}", b["figures"])
        lines += _entity_table(b["figures"]["entities"])
        lines += ["", f"### Misclassified messages of the blind set {b['name']}", ""]
        lines += _errors_table(b["errors"])

    lines += _benchmark_section(result.get("diet_benchmark"), result["model"])

    cv = result.get("cross_validation")
    lines += ["", "## Cross-validation of the training data", ""]
    if not cv:
        lines.append("Skipped (`--folds 0`).")
    else:
        s = cv["summary"]
        lines += [
            f"{cv['folds']} stratified folds (seed {cv['seed']}), each trained from scratch on the "
            "other folds. Mean ± standard deviation over folds: intent accuracy "
            f"{s['intent_accuracy']['mean']:.3f} ± {s['intent_accuracy']['std']:.3f}, macro-F1 "
            f"{s['macro_f1']['mean']:.3f} ± {s['macro_f1']['std']:.3f}, confident errors "
            f"{_pct(s['confident_error_rate']['mean'])} ± "
            f"{_pct(s['confident_error_rate']['std'])}, entity F1 "
            f"{s['entity_f1']['mean']:.3f} ± {s['entity_f1']['std']:.3f}.",
            "",
            "| fold | train | test | accuracy | macro-F1 | confident errors | entity F1 "
            "| training |",
            "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
        ]
        for f in cv["per_fold"]:
            lines.append(
                f"| {f['fold']} | {f['train']} | {f['test']} | {f['intent_accuracy']:.3f} "
                f"| {f['macro_f1']:.3f} | {_pct(f['confident_error_rate'])} "
                f"| {f['entity_f1']:.3f} | {f['train_seconds']:.0f} s |"
            )
        lines += _intent_tables("Pooled over folds", cv["pooled"])
        lines += _entity_table(cv["pooled"]["entities"])

    lines += [
        "",
        "## Robustness",
        "",
        "| input | chars | valid | intent | confidence | entities | truncated | ms |",
        "| --- | ---: | --- | --- | ---: | ---: | --- | ---: |",
    ]
    for r in result["robustness"]:
        conf = "" if r["confidence"] is None else f"{r['confidence']:.2f}"
        lines.append(
            f"| {r['case']} | {r['chars']} | {'yes' if r['valid'] else '**NO**'} "
            f"| {r['intent']} | {conf} | {r['entities']} | {r['truncated']} | {r['ms']:.1f} |"
        )
    noisy = [
        r
        for r in result["robustness"]
        if r["case"] != "5,000 characters"
        and r["intent"] not in (FALLBACK, OUT_OF_SCOPE, None)
        and (r["confidence"] or 0) >= result["threshold"]
    ]
    if noisy:
        lines += [
            "",
            "Valid, but answered with a confident in-domain intent (the bot would act on it): "
            + ", ".join(f"{r['case']} -> {r['intent']} {r['confidence']:.2f}" for r in noisy)
            + ".",
        ]
    if result.get("train_seconds") is not None:
        lines += ["", f"The model was trained for this run in {result['train_seconds']:.0f} s."]
    return "\n".join(lines) + "\n"


def _targets_table(targets: dict[str, dict[str, Any]]) -> list[str]:
    lines = ["| figure | value | target | result |", "| --- | ---: | ---: | --- |"]
    for name, t in targets.items():
        fmt = _pct if name == "confident_error_rate" else (lambda v: f"{v:.3f}")
        lines.append(
            f"| {name.replace('_', ' ')} | {fmt(t['value'])} | {t['op']} {fmt(t['target'])} "
            f"| {'PASS' if t['pass'] else '**FAIL**'} |"
        )
    return lines


def _blind_columns(result: dict[str, Any]) -> list[dict[str, Any]]:
    """Each blind set, then the combined figures named "combined" (none without blind sets)."""
    combined = result.get("blind_combined")
    sets = list(result.get("blind_sets") or [])
    return [*sets, {"name": "combined", **combined}] if combined else sets


def _blind_targets_table(sets: list[dict[str, Any]], combined: dict[str, Any]) -> list[str]:
    columns = _blind_columns({"blind_sets": sets, "blind_combined": combined})
    lines = [
        "| figure | " + " | ".join(c["name"] for c in columns) + " | target |",
        "| --- | " + " | ".join("---:" for _ in columns) + " | ---: |",
    ]
    for name, t in combined["targets"].items():
        fmt = _pct if name == "confident_error_rate" else (lambda v: f"{v:.3f}")
        cells = []
        for c in columns:
            ct = c["targets"][name]
            cells.append(f"{fmt(ct['value'])} {'PASS' if ct['pass'] else '**FAIL**'}")
        lines.append(
            f"| {name.replace('_', ' ')} | "
            + " | ".join(cells)
            + f" | {t['op']} {fmt(t['target'])} |"
        )
    return lines


def _errors_table(errors: list[dict[str, Any]]) -> list[str]:
    if not errors:
        return ["None."]
    lines = ["| text | true | predicted | confidence |", "| --- | --- | --- | ---: |"]
    for e in errors:
        lines.append(
            f"| {_md_escape(e['text'])} | {e['true']} | {e['predicted']} | {e['confidence']:.2f} |"
        )
    return lines


def _intent_tables(title: str, figures: dict[str, Any]) -> list[str]:
    lines = [
        "",
        f"## {title}: intents" if title == "Held-out set" else f"### {title}: intents",
        "",
        f"Accuracy {figures['intent_accuracy']:.3f}, macro-F1 {figures['macro_f1']:.3f}, "
        f"confident errors {_pct(figures['confident_error_rate'])}, "
        f"{figures['messages']} messages.",
        "",
        "| intent | precision | recall | F1 | support |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    for label, row in figures["per_intent"].items():
        lines.append(
            f"| {label} | {row['precision']:.3f} | {row['recall']:.3f} | {row['f1']:.3f} "
            f"| {row['support']} |"
        )
    lines += ["", "Confusion pairs (true -> predicted):", ""]
    if figures["confusion_pairs"]:
        lines += ["| true | predicted | count |", "| --- | --- | ---: |"]
        lines += [f"| {g} | {p} | {n} |" for g, p, n in figures["confusion_pairs"]]
    else:
        lines.append("None.")
    lines += [
        "",
        "Had the fallback threshold been higher (more messages answered with nlu_fallback, "
        "fewer acted on wrongly):",
        "",
        "| threshold | accuracy | macro-F1 | confident errors | fallbacks |",
        "| ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in figures["threshold_sweep"]:
        lines.append(
            f"| {r['threshold']:.2f} | {r['intent_accuracy']:.3f} | {r['macro_f1']:.3f} "
            f"| {_pct(r['confident_error_rate'])} | {_pct(r['fallback_rate'])} |"
        )
    return lines


def _entity_table(entities: dict[str, Any]) -> list[str]:
    lines = [
        "",
        "Entities (exact match on type, value and span):",
        "",
        "| entity | precision | recall | F1 | support |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    rows = [*entities["by_type"].items(), ("**overall**", entities["overall"])]
    for kind, row in rows:
        lines.append(
            f"| {kind} | {row['precision']:.3f} | {row['recall']:.3f} | {row['f1']:.3f} "
            f"| {row['support']} |"
        )
    return lines


def write_reports(result: dict[str, Any], report_dir: Path) -> tuple[Path, Path]:
    """reports/nlu.md and reports/nlu.json, written whole (temp file, then rename)."""
    report_dir.mkdir(parents=True, exist_ok=True)
    md, js = report_dir / "nlu.md", report_dir / "nlu.json"
    for path, body in (
        (md, render_markdown(result)),
        (js, json.dumps(_r(result), ensure_ascii=False, indent=2) + "\n"),
    ):
        tmp = path.with_suffix(path.suffix + ".tmp")
        tmp.write_text(body, encoding="utf-8")
        tmp.replace(path)
    return md, js


def _target_line(name: str, t: dict[str, Any]) -> str:
    if name == "confident_error_rate":
        value, target = _pct(t["value"]), _pct(t["target"])
    else:
        value, target = f"{t['value']:.3f}", f"{t['target']:.2f}"
    return (
        f"  {name.replace('_', ' '):<22}{value:>8}   target {t['op']} {target:<7}"
        f"{'PASS' if t['pass'] else 'FAIL'}"
    )


def headline(result: dict[str, Any], md: Path, js: Path) -> tuple[str, bool]:
    """The summary printed on the terminal, and whether every target passed."""
    h = result["heldout"]
    lines = [
        f"NLU evaluation: model {result['model']}, held-out {h['messages']} messages, "
        f"fallback threshold {result['threshold']:.2f}",
    ]
    for name, t in result["targets"].items():
        lines.append(_target_line(name, t))
    rob = result["robustness"]
    rob_ok = all(r["valid"] for r in rob)
    lines.append(
        f"  {'robustness':<22}{sum(r['valid'] for r in rob):>6}/{len(rob)}   "
        f"target all      {'PASS' if rob_ok else 'FAIL'}"
    )
    lines.append(f"  {'entity F1 (overall)':<22}{h['entities']['overall']['f1']:>8.3f}")
    for b in _blind_columns(result):
        lines.append(f"  blind {b['name']} ({b['figures']['messages']} messages):")
        for name, t in b["targets"].items():
            lines.append(_target_line(name, t))
    cv = result.get("cross_validation")
    if cv:
        s = cv["summary"]
        lines.append(
            f"  cross-validation ({cv['folds']} folds): accuracy "
            f"{s['intent_accuracy']['mean']:.3f} ± {s['intent_accuracy']['std']:.3f}, "
            f"macro-F1 {s['macro_f1']['mean']:.3f} ± {s['macro_f1']['std']:.3f}, "
            f"confident errors {_pct(s['confident_error_rate']['mean'])}"
        )
    overlap = len(result["overlap"]) + sum(
        len(b.get("overlap") or ()) for b in result.get("blind_sets") or []
    )
    if overlap:
        lines.append(f"  WARNING: {overlap} held-out messages are in the training data")
    targets = dict(result["targets"])
    for b in _blind_columns(result):
        targets.update({f"blind {b['name']} {n}": t for n, t in b["targets"].items()})
    passed = all(t["pass"] for t in targets.values()) and rob_ok
    failed = [n for n, t in targets.items() if not t["pass"]]
    if not rob_ok:
        failed.append("robustness")
    lines.append(f"Report: {md} and {js}")
    lines.append("RESULT: PASS" if passed else f"RESULT: FAIL ({', '.join(failed)})")
    return "\n".join(lines), passed


# --- command ------------------------------------------------------------------------------------


def run(
    settings: dict[str, Any],
    folds: int = 5,
    strict: bool = False,
    report_dir: Path | None = None,
    nlu: Any = None,
    heldout: Path | None = None,
) -> int:
    """Evaluate, write the reports, print the headline; exit code 1 only for --strict failures."""
    from nlu.factory import current_model, paths
    from nlu.model import RASA_VERSION, quiet_rasa

    quiet_rasa()
    config_path, data_dir, _ = paths(settings)
    heldout = heldout or HELDOUT
    if not heldout.exists():
        print(f"no held-out file at {heldout}", file=sys.stderr)
        return 2
    if folds == 1 or folds < 0:
        print("--folds must be 0 (no cross-validation) or at least 2", file=sys.stderr)
        return 2
    threshold = fallback_threshold(config_path)
    max_chars = int(settings["nlu"]["max_chars"])

    train_seconds = None
    if nlu is None:
        from nlu.backends import InProcessRasa, Nlu

        model = current_model(settings, train_if_missing=False)
        if not model.exists():
            started = time.perf_counter()
            with contextlib.redirect_stdout(sys.stderr):
                model = current_model(settings)
            train_seconds = time.perf_counter() - started
        nlu = Nlu(InProcessRasa(model), max_chars=max_chars)
    model_name = Path(getattr(nlu.backend, "model", "unknown")).name

    training = load_training_data(data_dir)
    synonyms = dict(training.entity_synonyms)
    train_examples = examples_from(training, synonyms)
    test_examples = examples_from(load_training_data(heldout), synonyms)
    intents = {e.intent for e in train_examples}
    seen = {normalise(e.text) for e in train_examples}
    overlap = [e.text for e in test_examples if normalise(e.text) in seen]

    preds = predict(nlu, [e.text for e in test_examples])
    heldout_figures = score(test_examples, preds, threshold)
    ms = [p.seconds * 1000 for p in preds]
    result: dict[str, Any] = {
        "generated_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "rasa_version": RASA_VERSION,
        "model": model_name,
        "config": _shown(config_path),
        "heldout_file": _shown(heldout),
        "training_messages": len(train_examples),
        "threshold": threshold,
        "train_seconds": train_seconds,
        "heldout": heldout_figures,
        "heldout_parse_ms": {
            "p50": percentile(ms, 50),
            "p95": percentile(ms, 95),
            "max": max(ms, default=0.0),
        },
        "targets": check_targets(heldout_figures),
        "overlap": overlap,
        "heldout_errors": errors_list(test_examples, preds),
        "heldout_entity_mistakes": entity_mistakes(test_examples, preds),
        "robustness": robustness(nlu, intents),
        "blind_sets": [],
        "blind_combined": None,
        "cross_validation": None,
    }
    if heldout == HELDOUT:
        result["blind_sets"], result["blind_combined"] = judge_blind_sets(
            nlu, BLIND_SETS, synonyms, seen, threshold
        )
    result["diet_benchmark"] = load_benchmark((report_dir or REPORT_DIR) / "diet.json")
    if folds:
        result["cross_validation"] = cross_validate(
            training, train_examples, folds, config_path, threshold, max_chars
        )
    md, js = write_reports(result, report_dir or REPORT_DIR)
    text, passed = headline(result, md, js)
    print(text, flush=True)
    return 1 if strict and not passed else 0


def main(argv: list[str] | None = None) -> int:
    """`python -m bench.nlu_evaluate [--folds N] [--strict]`."""
    import logging

    from bot.config import load_settings

    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    parser = argparse.ArgumentParser(prog="python -m bench.nlu_evaluate", description=__doc__)
    parser.add_argument("--folds", type=int, default=5, help="cross-validation folds (0: skip)")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target fails")
    args = parser.parse_args(argv)
    return run(load_settings(), folds=args.folds, strict=args.strict)


if __name__ == "__main__":
    sys.exit(main())
