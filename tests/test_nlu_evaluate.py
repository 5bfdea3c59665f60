"""NLU evaluation: the metric functions on hand-made predictions, and one cheap real run."""

import json
from pathlib import Path

import pytest

from bench.nlu_evaluate import (
    BLIND_SETS,
    BLIND_TARGETS,
    FALLBACK,
    Example,
    Prediction,
    accuracy,
    check_targets,
    confident_error_rate,
    confident_errors,
    confusion_pairs,
    entity_scores,
    fallback_threshold,
    honest,
    intent_report,
    judge_blind_sets,
    macro_f1,
    percentile,
    run,
    score,
    stratified_folds,
    threshold_sweep,
    valid_parse,
)

GOLD = ["greet", "greet", "opt_out", "opt_out", "book_visit", "book_visit"]
PRED = ["greet", "opt_out", "opt_out", "opt_out", "greet", "book_visit"]


def test_accuracy():
    assert accuracy(GOLD, PRED) == pytest.approx(4 / 6)
    assert accuracy([], []) == 0.0
    with pytest.raises(ValueError):
        accuracy(["a"], [])


def test_intent_report_and_macro_f1():
    report = intent_report(GOLD, PRED)
    # greet: tp 1, fp 1 (book_visit->greet), fn 1 (greet->opt_out)
    assert report["greet"]["precision"] == pytest.approx(0.5)
    assert report["greet"]["recall"] == pytest.approx(0.5)
    assert report["greet"]["support"] == 2
    # opt_out: tp 2, fp 1
    assert report["opt_out"]["precision"] == pytest.approx(2 / 3)
    assert report["opt_out"]["recall"] == 1.0
    assert report["opt_out"]["f1"] == pytest.approx(0.8)
    # book_visit: tp 1, fp 0, fn 1
    assert report["book_visit"]["f1"] == pytest.approx(2 / 3)
    assert macro_f1(report) == pytest.approx((0.5 + 0.8 + 2 / 3) / 3)


def test_macro_f1_leaves_out_labels_that_are_only_predicted():
    report = intent_report(["greet", "greet"], ["greet", FALLBACK])
    assert report[FALLBACK]["support"] == 0
    assert report[FALLBACK]["f1"] == 0.0
    assert macro_f1(report) == pytest.approx(report["greet"]["f1"])


def test_confusion_pairs_count_mistakes_most_frequent_first():
    gold = ["a", "a", "a", "b", "c", "c"]
    pred = ["b", "b", "a", "c", "a", "c"]
    assert confusion_pairs(gold, pred) == [("a", "b", 2), ("b", "c", 1), ("c", "a", 1)]
    assert confusion_pairs(["a"], ["a"]) == []


def test_out_of_scope_answered_with_fallback_counts_as_correct():
    gold = ["out_of_scope", "out_of_scope", "greet"]
    pred = [FALLBACK, "greet", FALLBACK]
    assert honest(gold, pred) == ["out_of_scope", "greet", FALLBACK]


def test_confident_errors():
    gold = ["greet", "greet", "help", "help", "opt_out"]
    pred = ["help", "help", "help", FALLBACK, "greet"]
    conf = [0.9, 0.4, 0.99, 0.5, 0.5]
    # wrong at >= 0.5: greet->help (0.9) and opt_out->greet (0.5, at the threshold);
    # not: the 0.4 one (below), the correct one, and the fallback (never a confident answer)
    assert confident_errors(gold, pred, conf, 0.5) == 2
    assert confident_error_rate(gold, pred, conf, 0.5) == pytest.approx(2 / 5)
    assert confident_error_rate([], [], [], 0.5) == 0.0


def test_threshold_sweep_turns_low_confidence_answers_into_fallbacks():
    gold = ["greet", "help", "out_of_scope", "opt_out"]
    pred = ["greet", "greet", "help", FALLBACK]
    conf = [0.95, 0.6, 0.75, 0.5]
    rows = threshold_sweep(gold, pred, conf, [0.5, 0.7, 0.8])
    assert [r["threshold"] for r in rows] == [0.5, 0.7, 0.8]
    assert rows[0]["confident_error_rate"] == pytest.approx(2 / 4)
    assert rows[0]["fallback_rate"] == pytest.approx(1 / 4)
    # at 0.7 the 0.6 answer falls back; at 0.8 the out_of_scope message does too (and is correct)
    assert rows[1]["confident_error_rate"] == pytest.approx(1 / 4)
    assert rows[1]["fallback_rate"] == pytest.approx(2 / 4)
    assert rows[2]["confident_error_rate"] == 0.0
    assert rows[2]["intent_accuracy"] == pytest.approx(2 / 4)
    assert rows[2]["fallback_rate"] == pytest.approx(3 / 4)


def test_entity_scores_exact_match_per_type_and_overall():
    gold = [
        [("symptom", "fever", 10, 15), ("person", "child", 0, 9)],
        [("duration", "3 hari", 5, 11)],
        [],
    ]
    pred = [
        [("symptom", "fever", 10, 15), ("person", "baby", 0, 9)],  # wrong value
        [("duration", "3 hari", 5, 10)],  # wrong span
        [("person", "self", 0, 4)],  # extra
    ]
    scores = entity_scores(gold, pred)
    assert scores["by_type"]["symptom"] == {
        "precision": 1.0,
        "recall": 1.0,
        "f1": 1.0,
        "support": 1,
    }
    person = scores["by_type"]["person"]
    assert person["precision"] == 0.0 and person["recall"] == 0.0 and person["support"] == 1
    assert scores["by_type"]["duration"]["recall"] == 0.0
    overall = scores["overall"]
    assert overall["precision"] == pytest.approx(1 / 4)
    assert overall["recall"] == pytest.approx(1 / 3)
    assert overall["f1"] == pytest.approx(2 * (1 / 4) * (1 / 3) / (1 / 4 + 1 / 3))
    assert overall["support"] == 3


def test_entity_scores_count_duplicates_once_each():
    gold = [[("symptom", "fever", 0, 5)]]
    pred = [[("symptom", "fever", 0, 5), ("symptom", "fever", 0, 5)]]
    overall = entity_scores(gold, pred)["overall"]
    assert overall["precision"] == 0.5 and overall["recall"] == 1.0


def test_stratified_split_is_deterministic_disjoint_and_stratified():
    labels = ["a"] * 20 + ["b"] * 10 + ["c"] * 5
    folds = stratified_folds(labels, 5, seed=42)
    assert folds == stratified_folds(labels, 5, seed=42)
    assert folds != stratified_folds(labels, 5, seed=7)
    assert len(folds) == 5
    seen: list[int] = []
    for train, test in folds:
        assert not set(train) & set(test)
        assert sorted(train + test) == list(range(len(labels)))
        counts = {x: sum(labels[i] == x for i in test) for x in "abc"}
        assert counts == {"a": 4, "b": 2, "c": 1}
        seen += test
    assert sorted(seen) == list(range(len(labels)))  # every example tested exactly once


def test_score_and_targets():
    examples = [
        Example("halo", "greet"),
        Example("cuaca", "out_of_scope"),
        Example("demam", "report_symptom", (("symptom", "fever", 0, 5),)),
        Example("stop", "opt_out"),
    ]
    preds = [
        Prediction("greet", 0.9),
        Prediction(FALLBACK, 0.5),
        Prediction("report_symptom", 0.8, (("symptom", "fever", 0, 5),)),
        Prediction("greet", 0.7),
    ]
    figures = score(examples, preds, 0.5)
    assert figures["intent_accuracy"] == 0.75
    assert figures["confident_error_rate"] == 0.25
    assert figures["confusion_pairs"] == [["opt_out", "greet", 1]]
    assert figures["entities"]["overall"]["f1"] == 1.0
    targets = check_targets(figures)
    assert targets["intent_accuracy"]["pass"] is False
    assert targets["confident_error_rate"]["pass"] is False
    assert check_targets(
        {"intent_accuracy": 0.92, "macro_f1": 0.9, "confident_error_rate": 0.03}
    ) == {
        "intent_accuracy": {"value": 0.92, "op": ">=", "target": 0.92, "pass": True},
        "macro_f1": {"value": 0.9, "op": ">=", "target": 0.9, "pass": True},
        "confident_error_rate": {"value": 0.03, "op": "<=", "target": 0.03, "pass": True},
    }


def test_percentile():
    assert percentile([], 50) == 0.0
    assert percentile([3, 1, 2], 50) == 2
    assert percentile([1, 2, 3, 4], 50) == pytest.approx(2.5)
    assert percentile(list(range(101)), 99) == pytest.approx(99)


def test_fallback_threshold_from_config(tmp_path):
    assert fallback_threshold(Path("nlu/config.yml")) == pytest.approx(0.55)
    cfg = tmp_path / "c.yml"
    cfg.write_text("pipeline:\n  - name: FallbackClassifier\n")
    assert fallback_threshold(cfg) == pytest.approx(0.3)
    cfg.write_text("pipeline:\n  - name: DIETClassifier\n")
    assert fallback_threshold(cfg) == 1.0


def test_valid_parse():
    ok = {"text": "", "intent": {"name": FALLBACK, "confidence": 0.0}, "entities": []}
    assert valid_parse({**ok, "truncated": False}, {"greet"}, "", 1000)
    assert not valid_parse({**ok, "truncated": False}, {"greet"}, "x" * 1001, 1000)
    bad = {**ok, "intent": {"name": "weather", "confidence": 0.5}, "truncated": False}
    assert not valid_parse(bad, {"greet"}, "", 1000)


def test_run_on_the_real_model_without_folds(nlu, rt_settings, tmp_path, capsys):
    assert run(rt_settings, folds=0, report_dir=tmp_path, nlu=nlu) == 0
    out = capsys.readouterr().out
    assert "intent accuracy" in out and "RESULT:" in out
    report = json.loads((tmp_path / "nlu.json").read_text())
    assert report["heldout"]["messages"] > 100
    assert 0.0 <= report["heldout"]["intent_accuracy"] <= 1.0
    assert report["cross_validation"] is None
    assert len(report["robustness"]) == 7
    assert all(r["valid"] for r in report["robustness"])
    md = (tmp_path / "nlu.md").read_text()
    assert "## Robustness" in md and "Confusion pairs" in md
    blind = report["blind_sets"]
    assert [b["name"] for b in blind] == ["blind.yml", "blind2.yml"]  # both blind sets judged
    assert all(b["figures"]["messages"] > 250 for b in blind)
    combined = report["blind_combined"]
    assert combined["figures"]["messages"] == sum(b["figures"]["messages"] for b in blind)
    for judged in [*blind, combined]:
        assert {n: t["target"] for n, t in judged["targets"].items()} == {
            n: bound for n, (_, bound) in BLIND_TARGETS.items()
        }
    assert "## Targets (blind sets, each and combined)" in md
    assert "| figure | blind.yml | blind2.yml | combined | target |" in md
    assert "### Misclassified messages of the blind set blind2.yml" in md
    assert "blind blind2.yml" in out and "blind combined" in out
    strict = run(rt_settings, folds=0, strict=True, report_dir=tmp_path, nlu=nlu)
    targets = [*report["targets"].values()]
    for judged in [*blind, combined]:
        targets += judged["targets"].values()
    passed = all(t["pass"] for t in targets)
    assert strict == (0 if passed else 1)


def test_blind_targets_are_stricter_than_the_held_out_ones():
    figures = {"intent_accuracy": 0.94, "macro_f1": 0.94, "confident_error_rate": 0.025}
    assert all(t["pass"] for t in check_targets(figures).values())
    blind = check_targets(figures, BLIND_TARGETS)
    assert {n: t["pass"] for n, t in blind.items()} == {
        "intent_accuracy": False,  # 0.94 < 0.95
        "macro_f1": True,  # 0.94 >= 0.93
        "confident_error_rate": False,  # 2.5 % > 2 %
    }
    assert check_targets(
        {"intent_accuracy": 0.95, "macro_f1": 0.93, "confident_error_rate": 0.02}, BLIND_TARGETS
    )["confident_error_rate"]["pass"]
    assert [p.name for p in BLIND_SETS] == ["blind.yml", "blind2.yml"]


class _FakeNlu:
    """Answers from a dict (text -> (intent, confidence)); anything else falls back."""

    def __init__(self, answers):
        self.answers = answers

    def parse(self, text):
        intent, confidence = self.answers.get(text, (FALLBACK, 0.0))
        return {"text": text, "intent": {"name": intent, "confidence": confidence}, "entities": []}


def _nlu_file(path, blocks):
    body = 'version: "3.1"\nnlu:\n'
    for intent, texts in blocks.items():
        body += f"- intent: {intent}\n  examples: |\n" + "".join(f"    - {t}\n" for t in texts)
    path.write_text(body, encoding="utf-8")
    return path


def test_judge_blind_sets_scores_each_set_and_all_of_them_pooled(tmp_path):
    one = _nlu_file(tmp_path / "one.yml", {"greet": ["halo bu", "pagi bu"], "deny": ["ndak"]})
    two = _nlu_file(tmp_path / "two.yml", {"greet": ["punten"], "deny": ["teu", "moal"]})
    nlu = _FakeNlu(
        {
            "halo bu": ("greet", 0.9),
            "pagi bu": ("greet", 0.8),
            "ndak": ("deny", 0.7),
            "punten": ("deny", 0.9),  # a confident error
            "teu": ("deny", 0.9),
            # "moal" falls back: wrong, but not a confident error
        }
    )
    sets, combined = judge_blind_sets(nlu, [one, two, tmp_path / "missing.yml"], {}, {"teu"}, 0.5)
    assert [b["name"] for b in sets] == ["one.yml", "two.yml"]  # a missing file is skipped
    assert sets[0]["figures"]["intent_accuracy"] == 1.0
    assert all(t["pass"] for t in sets[0]["targets"].values())
    assert sets[1]["figures"]["intent_accuracy"] == pytest.approx(1 / 3)
    assert sets[1]["figures"]["confident_error_rate"] == pytest.approx(1 / 3)
    assert [e["text"] for e in sets[1]["errors"]] == ["punten", "moal"]
    assert sets[1]["overlap"] == ["teu"]  # also in the training texts
    assert combined["figures"]["messages"] == 6
    assert combined["figures"]["intent_accuracy"] == pytest.approx(4 / 6)
    assert combined["figures"]["confident_errors"] == 1
    assert combined["targets"]["intent_accuracy"]["target"] == 0.95
    assert combined["targets"]["intent_accuracy"]["pass"] is False
    assert judge_blind_sets(nlu, [tmp_path / "missing.yml"], {}, set(), 0.5) == ([], None)


@pytest.fixture
def rt_settings():
    from bot.config import load_settings

    return load_settings()


def test_the_diet_benchmark_figures_go_into_the_report(tmp_path):
    from bench.nlu_evaluate import _benchmark_section, load_benchmark

    assert load_benchmark(tmp_path / "diet.json") is None
    assert "Not run yet" in "\n".join(_benchmark_section(None, "nlu-x.tar.gz"))
    row = {"messages": 10, "macro_f1": 0.9, "confident_error_rate": 0.1, "fallbacks": 1}
    (tmp_path / "diet.json").write_text(
        json.dumps(
            {
                "generated_at": "2026-12-02T22:00:00+00:00",
                "command": ".venv/bin/python bench/diet.py",
                "project": {
                    "label": "project (nlu-x.tar.gz)",
                    "sets": {"test.yml": {**row, "intent_accuracy": 0.9}},
                },
                "diet": {
                    "train_seconds": 600,
                    "sets": {"test.yml": {**row, "intent_accuracy": 0.8}},
                },
            }
        )
    )
    bench = load_benchmark(tmp_path / "diet.json")
    text = "\n".join(_benchmark_section(bench, "nlu-x.tar.gz"))
    assert "| test.yml | 10 | 0.900 / 0.800 | 0.900 / 0.900 | 10.0 % / 10.0 % | 1 / 1 |" in text
    assert "2026-12-02" in text and "600 s" in text and "another model" not in text
    assert "another model" in "\n".join(_benchmark_section(bench, "nlu-y.tar.gz"))
    (tmp_path / "diet.json").write_text("{not json")
    assert load_benchmark(tmp_path / "diet.json") is None
