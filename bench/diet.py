"""Plain Rasa DIET on the same training data, scored with the same code as bench.nlu_evaluate.

    .venv/bin/python bench/diet.py            # ~10 minutes on 2 cores

Trains a stock Rasa pipeline (WhitespaceTokenizer, RegexFeaturizer, LexicalSyntacticFeaturizer,
CountVectorsFeaturizer word + char_wb 1-4, DIETClassifier 100 epochs, EntitySynonymMapper,
FallbackClassifier 0.5) into a temporary folder, parses the held-out set and the blind sets with
it and with the project's model, and prints the comparison. The figures go to reports/diet.json,
which `python -m bench.nlu_evaluate` copies into reports/nlu.md. Not part of the test suite.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if __name__ == "__main__":  # run as a script: import the project's `nlu`, not bench/nlu.py
    here = Path(__file__).resolve().parent
    sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != here]
    sys.path.insert(0, str(ROOT))

DIET_CONFIG = """\
recipe: default.v1
language: id
pipeline:
  - name: WhitespaceTokenizer
  - name: RegexFeaturizer
  - name: LexicalSyntacticFeaturizer
  - name: CountVectorsFeaturizer
  - name: CountVectorsFeaturizer
    analyzer: char_wb
    min_ngram: 1
    max_ngram: 4
  - name: DIETClassifier
    epochs: 100
  - name: EntitySynonymMapper
  - name: FallbackClassifier
    threshold: 0.5
policies: []
"""
FIGURES = ("intent_accuracy", "macro_f1", "confident_error_rate", "fallbacks")


def evaluate_model(model: Path, threshold: float, max_chars: int) -> dict[str, Any]:
    """Held-out and blind figures for one trained model, with bench.nlu_evaluate's scoring."""
    from bench.nlu_evaluate import (
        BLIND_SETS,
        HELDOUT,
        examples_from,
        judge_blind_sets,
        load_training_data,
        normalise,
        predict,
        score,
    )
    from nlu.backends import InProcessRasa, Nlu

    training = load_training_data(ROOT / "nlu" / "data")
    synonyms = dict(training.entity_synonyms)
    seen = {normalise(m.get("text")) for m in training.intent_examples}
    nlu = Nlu(InProcessRasa(model), max_chars=max_chars)
    examples = examples_from(load_training_data(HELDOUT), synonyms)
    heldout = score(examples, predict(nlu, [e.text for e in examples]), threshold)
    sets, combined = judge_blind_sets(nlu, BLIND_SETS, synonyms, seen, threshold)
    out = {"test.yml": heldout}
    out.update({b["name"]: b["figures"] for b in sets})
    if combined:
        out["blind combined"] = combined["figures"]
    return {
        name: {
            **{k: f[k] for k in FIGURES},
            "messages": f["messages"],
            "entity_f1": f["entities"]["overall"]["f1"],
        }
        for name, f in out.items()
    }


def table(result: dict[str, Any]) -> str:
    """The comparison as a Markdown table (one row per model and set)."""
    lines = [
        "| model | set | messages | accuracy | macro-F1 | confident errors | fallbacks "
        "| entity F1 |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for model in ("project", "diet"):
        for name, f in result[model]["sets"].items():
            lines.append(
                f"| {result[model]['label']} | {name} | {f['messages']} "
                f"| {f['intent_accuracy']:.3f} | {f['macro_f1']:.3f} "
                f"| {100 * f['confident_error_rate']:.1f} % | {f['fallbacks']} "
                f"| {f['entity_f1']:.3f} |"
            )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "reports" / "diet.json")
    args = parser.parse_args(argv)

    from bench.nlu_evaluate import fallback_threshold
    from bot.config import load_settings
    from nlu.factory import current_model, paths
    from nlu.model import RASA_VERSION, quiet_rasa, train

    quiet_rasa()
    settings = load_settings()
    config_path, data_dir, _ = paths(settings)
    max_chars = int(settings["nlu"]["max_chars"])
    with contextlib.redirect_stdout(sys.stderr):
        project_model = current_model(settings)
    project = evaluate_model(project_model, fallback_threshold(config_path), max_chars)

    with tempfile.TemporaryDirectory(prefix="diet-bench-") as tmp:
        config = Path(tmp) / "config.yml"
        config.write_text(DIET_CONFIG, encoding="utf-8")
        started = time.perf_counter()
        print("training plain DIET (about 10 minutes on 2 cores)...", file=sys.stderr, flush=True)
        with contextlib.redirect_stdout(sys.stderr):
            model = train(config, data_dir, Path(tmp) / "models", "diet")
        train_seconds = time.perf_counter() - started
        diet = evaluate_model(model, fallback_threshold(config), max_chars)

    result = {
        "generated_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "command": ".venv/bin/python bench/diet.py",
        "rasa_version": RASA_VERSION,
        "project": {
            "label": f"project ({project_model.name})",
            "threshold": fallback_threshold(config_path),
            "sets": project,
        },
        "diet": {
            "label": "plain DIET (100 epochs)",
            "threshold": 0.5,
            "train_seconds": round(train_seconds),
            "config": DIET_CONFIG,
            "sets": diet,
        },
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(table(result))
    print(f"DIET trained in {train_seconds:.0f} s; figures in {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
