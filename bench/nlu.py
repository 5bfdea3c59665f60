"""NLU benchmark: model load time, parse latency over WhatsApp-style messages, peak memory.

Run `.venv/bin/python bench/nlu.py` (or `python -m bench.nlu`) from the project root. The model is
the cached one for the current data; it is trained first (and timed) only when missing.
"""

from __future__ import annotations

import argparse
import random
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if __name__ == "__main__":  # run as a script: import the project's `nlu`, not this file
    here = Path(__file__).resolve().parent
    sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != here]
    sys.path.insert(0, str(ROOT))

# figure -> upper bound (None: shown for information only)
TARGETS: dict[str, float | None] = {
    "load_s": 20.0,
    "parse_p50_ms": 15.0,
    "parse_p95_ms": None,
    "parse_p99_ms": 40.0,
    "train_s": 240.0,
}
ABBREVIATIONS = {
    "saya": "sy",
    "yang": "yg",
    "tidak": "tdk",
    "sudah": "udh",
    "dengan": "dgn",
    "bagaimana": "gmn",
    "kemarin": "kmrn",
    "sekarang": "skrg",
    "tolong": "tlg",
    "terima kasih": "makasih",
    "bisa": "bs",
    "jadwal": "jdwl",
}
PREFIXES = ("bu ", "kak ", "pagi bu, ", "assalamualaikum, ", "maaf ganggu, ", "min ", "punten ")
SUFFIXES = ("?", "??", "!!", " bu", " ya", " kak", " makasih", " \U0001f64f", " mohon infonya")
FALLBACK_TEXTS = ("halo", "anak saya demam dari kemarin", "mau daftar posyandu", "jadwal imunisasi")


def heldout_texts(path: Path) -> list[str]:
    """The held-out messages (Rasa YAML), or a few stock ones if the file is missing."""
    if not path.exists():
        return list(FALLBACK_TEXTS)
    from bench.nlu_evaluate import load_training_data

    return [m.get("text") for m in load_training_data(path).intent_examples] or list(FALLBACK_TEXTS)


def vary(text: str, rng: random.Random, pool: list[str]) -> str:
    """A WhatsApp-style variation: case, greetings, abbreviations, typos, joined messages."""
    for _ in range(rng.randint(0, 3)):
        kind = rng.randrange(8)
        if kind == 0:
            text = text.lower()
        elif kind == 1:
            text = text.upper()
        elif kind == 2:
            text = rng.choice(PREFIXES) + text
        elif kind == 3:
            text = text + rng.choice(SUFFIXES)
        elif kind == 4:
            for long, short in ABBREVIATIONS.items():
                text = text.replace(long, short)
        elif kind == 5 and len(text) > 3:  # typo: drop or double a character
            i = rng.randrange(len(text))
            text = text[:i] + text[i + 1 :] if rng.random() < 0.5 else text[:i] + text[i] + text[i:]
            text = text if text.strip() else "halo"
        elif kind == 6:  # stretched last letter: "dongg", "yaaa"
            text = text + text[-1:] * rng.randint(1, 3)
        else:  # two messages sent as one
            text = f"{text}. {rng.choice(pool)}"
    return text


def messages(pool: list[str], n: int, seed: int) -> list[str]:
    """n messages: the held-out ones first, then seeded variations of them."""
    rng = random.Random(seed)
    out = pool[:n]
    while len(out) < n:
        out.append(vary(rng.choice(pool), rng, pool))
    rng.shuffle(out)
    return out


def percentile(values: list[float], q: float) -> float:
    from bench.nlu_evaluate import percentile as pct

    return pct(values, q)


def peak_memory_mb() -> float:
    """Peak resident memory of this process (ru_maxrss is KiB on Linux, bytes on macOS)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def row(name: str, value: float | None, unit: str, key: str | None = None) -> str:
    """One table line: figure, value, target and PASS/FAIL where there is a target."""
    target = TARGETS.get(key) if key else None
    shown = "-" if value is None else f"{value:,.1f} {unit}"
    if target is None or value is None:
        return f"| {name:<30} | {shown:>12} | {'':>10} |      |"
    verdict = "PASS" if value <= target else "FAIL"
    return f"| {name:<30} | {shown:>12} | {'<= ' + f'{target:g} {unit}':>10} | {verdict} |"


def main(argv: list[str] | None = None) -> int:
    """Load (training first if needed), parse, print the table."""
    parser = argparse.ArgumentParser(description="NLU benchmark")
    parser.add_argument("--messages", type=int, default=2000, help="messages to parse")
    parser.add_argument("--warmup", type=int, default=20, help="parses before timing starts")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument(
        "--train", action="store_true", help="time a training from scratch (into a temp folder)"
    )
    args = parser.parse_args(argv)

    import logging

    from nlu.model import quiet_rasa

    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    quiet_rasa()
    from bench.nlu_evaluate import HELDOUT
    from bot.config import load_settings
    from nlu.backends import InProcessRasa, Nlu
    from nlu.factory import current_model

    settings = load_settings()
    train_s = None
    model = current_model(settings, train_if_missing=False)
    if not model.exists():
        started = time.perf_counter()
        model = current_model(settings)
        train_s = time.perf_counter() - started

    from nlu.model import quiet_structlog

    started = time.perf_counter()  # imports already done by a training are not counted twice
    import rasa.core.agent  # noqa: F401 (timed: the imports are part of a cold start)
    from rasa.utils.tensorflow.environment import setup_tf_environment

    setup_tf_environment()
    quiet_structlog()
    import_s = time.perf_counter() - started
    started = time.perf_counter()
    nlu = Nlu(InProcessRasa(model), max_chars=int(settings["nlu"]["max_chars"]))
    nlu.backend.load()
    agent_s = time.perf_counter() - started
    load_s = import_s + agent_s

    pool = heldout_texts(HELDOUT)
    texts = messages(pool, args.messages, args.seed)
    started = time.perf_counter()
    nlu.parse(texts[0])
    first_ms = (time.perf_counter() - started) * 1000
    for text in texts[1 : args.warmup]:
        nlu.parse(text)
    latencies = []
    wall = time.perf_counter()
    for text in texts:
        started = time.perf_counter()
        nlu.parse(text)
        latencies.append((time.perf_counter() - started) * 1000)
    wall = time.perf_counter() - wall
    peak_mb = peak_memory_mb()  # of loading and parsing, before any timed training
    if train_s is None and args.train:  # after the cold-start figures, so they stay cold
        import tempfile

        from nlu.factory import paths
        from nlu.model import train

        config_path, data_dir, _ = paths(settings)
        with tempfile.TemporaryDirectory(prefix="bench-nlu-") as tmp:
            started = time.perf_counter()
            train(config_path, data_dir, Path(tmp), "bench")
            train_s = time.perf_counter() - started

    print(
        f"NLU benchmark: model {model.name}, {len(texts)} messages "
        f"({min(len(pool), len(texts))} held-out, the rest variations; seed {args.seed}), "
        "in process"
    )
    print(f"| {'figure':<30} | {'value':>12} | {'target':>10} | ok?  |")
    print(f"| {'-' * 30} | {'-' * 12} | {'-' * 10} | ---- |")
    print(row("load: import rasa, TensorFlow", import_s, "s"))
    print(row("load: Agent.load", agent_s, "s"))
    print(row("load: total (cold start)", load_s, "s", "load_s"))
    print(row("first parse", first_ms, "ms"))
    print(row("parse p50", percentile(latencies, 50), "ms", "parse_p50_ms"))
    print(row("parse p95", percentile(latencies, 95), "ms", "parse_p95_ms"))
    print(row("parse p99", percentile(latencies, 99), "ms", "parse_p99_ms"))
    print(row("parse max", max(latencies), "ms"))
    print(row("throughput", len(texts) / wall, "msg/s"))
    print(row("peak memory (ru_maxrss)", peak_mb, "MB"))
    if train_s is not None:
        print(row("training", train_s, "s", "train_s"))
    else:
        label = "training (use --train)"
        print(f"| {label:<30} | {'cached':>12} | {'<= 240 s':>10} |      |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
