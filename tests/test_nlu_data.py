"""NLU training data: valid for Rasa, enough examples per intent, apart from the held-out sets."""

from __future__ import annotations

import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
import yaml

from bench.nlu_evaluate import load_training_data
from bench.nlu_evaluate import normalise as same_text
from nlu.components import normalise

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "nlu" / "data"
HELDOUT = sorted((ROOT / "nlu" / "heldout").glob("*.yml"))


@pytest.fixture(scope="module")
def training():
    return load_training_data(DATA)


def test_rasa_data_validate_passes():
    env = {**os.environ, "RASA_TELEMETRY_ENABLED": "false"}
    done = subprocess.run(
        [sys.executable, "-m", "rasa", "data", "validate", "--data", "nlu/data"]
        + ["--domain", "nlu/domain.yml", "--config", "nlu/config.yml"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]


def test_every_domain_intent_has_enough_varied_examples(training):
    domain = yaml.safe_load((ROOT / "nlu" / "domain.yml").read_text(encoding="utf-8"))
    counts = Counter(m.get("intent") for m in training.intent_examples)
    for intent in domain["intents"]:
        minimum = 150 if intent in ("report_symptom", "book_visit") else 60
        assert counts[intent] >= minimum, (intent, counts[intent])
    texts = [same_text(m.get("text")) for m in training.intent_examples]
    assert len(texts) == len(set(texts)), "a training message is repeated"


def test_every_held_out_and_blind_set_is_checked_for_overlap():
    assert {p.name for p in HELDOUT} >= {"test.yml", "blind.yml", "blind2.yml"}


@pytest.mark.parametrize("heldout", HELDOUT, ids=lambda p: p.name)
def test_heldout_sets_share_no_message_with_the_training_data(training, heldout):
    seen = {same_text(m.get("text")) for m in training.intent_examples}
    test = load_training_data(heldout)
    assert len(test.intent_examples) >= 250
    shared = [m.get("text") for m in test.intent_examples if same_text(m.get("text")) in seen]
    assert shared == []


@pytest.mark.parametrize(
    ("text", "features"),
    [
        ("HALOOOO", "haloo"),
        ("panaaas 39,5 derajat", "panaas 00,0 derajat"),
        ("", ""),
        ("sy mau priksa bsk", "saya mau priksa besok"),
        ("anak sy blm dpt vaksin, gmn?", "anak saya belum dapat vaksin, bagaimana?"),
        ("gaya", "gaya"),
    ],
)
def test_intent_features_normalise_case_stretching_digits_and_chat_words(text, features):
    assert normalise(text) == features


def test_intent_model_file_loads_scikit_learn_objects_and_refuses_others():
    import io
    import pickle

    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline

    from nlu.components import _ModelUnpickler

    model = Pipeline([("tfidf", TfidfVectorizer()), ("lr", LogisticRegression())])
    model.fit(["halo bu", "anak saya demam", "pagi kak", "bayi panas tinggi"], list("abab"))
    loaded = _ModelUnpickler(io.BytesIO(pickle.dumps(model, protocol=4))).load()
    assert list(loaded.predict(["anak demam"])) == ["b"]

    with pytest.raises(pickle.UnpicklingError):
        _ModelUnpickler(io.BytesIO(pickle.dumps(os.system))).load()
    with pytest.raises(pickle.UnpicklingError):
        _ModelUnpickler(io.BytesIO(pickle.dumps(subprocess.Popen))).load()
