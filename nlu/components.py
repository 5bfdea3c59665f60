"""Custom Rasa components: a TF-IDF logistic-regression intent classifier.

DIET learns intents and entities together and needs minutes of training; on our few thousand
short, misspelt messages a linear model over word and character n-grams of the normalised text is
as accurate, trains in seconds, parses in about a millisecond and gives softer, better-calibrated
confidences (so the FallbackClassifier catches more of the wrong guesses). Entities come from
Rasa's CRFEntityExtractor.
"""

from __future__ import annotations

import io
import logging
import pickle
import re
from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.shared.nlu.constants import INTENT, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

log = logging.getLogger(__name__)

_STRETCHED = re.compile(r"(\w)\1{2,}")  # "haloooo" -> "haloo", "panaaas" -> "panaas"
_DIGITS = re.compile(r"\d")
_WORD = re.compile(r"\w+")
_MODEL_FILE = "tfidf_intent.pkl"
# Chat abbreviations and spelling variants -> one common form, so "sy blm dpt" shares features
# with "saya belum dapat". Whole words only; features, never shown. Lowercase keys and values.
SLANG = {
    "sy": "saya", "sya": "saya", "aq": "aku", "ak": "aku", "gw": "gue",
    "yg": "yang", "tdk": "tidak", "gk": "gak", "ga": "gak", "nggak": "gak", "ngga": "gak",
    "enggak": "gak", "engga": "gak", "udh": "sudah", "udah": "sudah", "sdh": "sudah",
    "blm": "belum", "belom": "belum", "bsk": "besok", "kmrn": "kemarin", "kemaren": "kemarin",
    "skrg": "sekarang", "tgl": "tanggal", "dgn": "dengan", "dg": "dengan", "krn": "karena",
    "utk": "untuk", "buat": "untuk", "gmn": "bagaimana", "gimana": "bagaimana", "bgt": "banget",
    "bngt": "banget", "aja": "saja", "tp": "tapi", "jg": "juga", "lg": "lagi", "dr": "dari",
    "trs": "terus", "klo": "kalau", "kalo": "kalau", "mksh": "makasih", "makasi": "makasih",
    "trims": "makasih", "brp": "berapa", "jd": "jadi", "sm": "sama", "bs": "bisa",
    "dpt": "dapat", "dapet": "dapat", "pengen": "ingin", "pingin": "ingin", "org": "orang",
    "hrs": "harus", "bln": "bulan", "thn": "tahun", "hr": "hari", "mgg": "minggu",
    "jgn": "jangan", "ank": "anak", "kk": "kakak",
}  # fmt: skip


def normalise(text: str) -> str:
    """Lowercase, stretched letters cut to two, every digit the same (0), chat abbreviations
    spelt out (SLANG): features, not output."""
    lowered = _DIGITS.sub("0", _STRETCHED.sub(r"\1\1", (text or "").lower()))
    return _WORD.sub(lambda m: SLANG.get(m.group(0), m.group(0)), lowered)


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class TfidfIntentClassifier(IntentClassifier, GraphComponent):
    """Intent from a logistic regression over TF-IDF word and char_wb n-grams of the text."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {
            "C": 100.0,  # inverse regularisation strength
            "word_ngrams": [1, 2],
            "char_ngrams": [2, 5],
            "max_iter": 3000,
            "ranking_length": 10,
        }

    @staticmethod
    def required_packages() -> list[str]:
        return ["sklearn"]

    def __init__(
        self,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        model: Any = None,
    ) -> None:
        self.config = {**self.get_default_config(), **config}
        self._model_storage = model_storage
        self._resource = resource
        self.model = model

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> TfidfIntentClassifier:
        return cls(config, model_storage, resource)

    def _pipeline(self) -> Any:
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression
        from sklearn.pipeline import FeatureUnion, Pipeline

        words = TfidfVectorizer(sublinear_tf=True, ngram_range=tuple(self.config["word_ngrams"]))
        chars = TfidfVectorizer(
            sublinear_tf=True, analyzer="char_wb", ngram_range=tuple(self.config["char_ngrams"])
        )
        classifier = LogisticRegression(
            C=float(self.config["C"]),
            class_weight="balanced",
            max_iter=int(self.config["max_iter"]),
            random_state=42,
        )
        return Pipeline(
            [("features", FeatureUnion([("words", words), ("chars", chars)])), ("lr", classifier)]
        )

    def train(self, training_data: TrainingData) -> Resource:
        examples = [e for e in training_data.intent_examples if e.get(INTENT) and e.get(TEXT)]
        if not examples:
            log.warning("TfidfIntentClassifier: no intent examples, nothing trained")
            return self._resource
        model = self._pipeline()
        model.fit([normalise(e.get(TEXT)) for e in examples], [e.get(INTENT) for e in examples])
        self.model = model
        self.persist()
        return self._resource

    def process(self, messages: list[Message]) -> list[Message]:
        if self.model is None:
            return messages
        texts = [normalise(m.get(TEXT) or "") for m in messages]
        probabilities = self.model.predict_proba(texts)
        names = [str(c) for c in self.model.classes_]
        length = int(self.config["ranking_length"])
        for message, row in zip(messages, probabilities, strict=True):
            ranking = sorted(
                ({"name": n, "confidence": float(p)} for n, p in zip(names, row, strict=True)),
                key=lambda r: -r["confidence"],
            )
            message.set(INTENT, ranking[0], add_to_output=True)
            message.set("intent_ranking", ranking[:length] if length > 0 else ranking, True)
        return messages

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        self.process(training_data.training_examples)
        return training_data

    def persist(self) -> None:
        with self._model_storage.write_to(self._resource) as directory:
            (directory / _MODEL_FILE).write_bytes(pickle.dumps(self.model, protocol=4))

    @classmethod
    def load(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> TfidfIntentClassifier:
        try:
            with model_storage.read_from(resource) as directory:
                data = (directory / _MODEL_FILE).read_bytes()
            model = _ModelUnpickler(io.BytesIO(data)).load()
        except (OSError, ValueError, pickle.UnpicklingError) as exc:
            log.warning("TfidfIntentClassifier not loaded (%s): no intents", exc)
            model = None
        return cls(config, model_storage, resource, model)


class _ModelUnpickler(pickle.Unpickler):
    """Unpickles scikit-learn, NumPy and SciPy objects and refuses anything else, so a tampered
    model file cannot run code. (Not skops: importing skops.io takes seconds of model load.)"""

    ALLOWED = ("sklearn", "numpy", "scipy")
    ALLOWED_HELPERS = {("builtins", "slice"), ("copyreg", "_reconstructor"), ("builtins", "object")}

    def find_class(self, module: str, name: str) -> Any:
        if module.split(".")[0] in self.ALLOWED or (module, name) in self.ALLOWED_HELPERS:
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"{module}.{name} is not allowed in a model file")
