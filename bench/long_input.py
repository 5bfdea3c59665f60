"""Benchmark: worst-case time of the text readers (dates, triage) on long and repetitive input.

    .venv/bin/python bench/long_input.py [--repeat 5]

Guards against runaway regular expressions: prints the slowest of --repeat runs per input against a
0.5 s target and exits 1 if any input exceeds it."""

from __future__ import annotations

import argparse
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from flows.triage import TriageInput, triage  # noqa: E402
from flows.triage_rules import load_rules  # noqa: E402
from nlu.dates import MAX_TEXT_LEN, parse_date, resolve  # noqa: E402

TARGET_S = 0.5
NOW = datetime(2026, 11, 22, 3, 0, tzinfo=timezone.utc)
DATE_INPUTS = {
    "digit, spaces, letter": "1" + " " * 1998 + "x",
    "digit, spaces, dash": "5" + " " * 1998 + "-",
    "'jam ' x500": "jam " * 500,
    "'1/' x1000": "1/" * 1000,
    "'2 minggu ' x222": "2 minggu " * 222,
    "'tgl ' x500": "tgl " * 500,
    "'1.' x1000": "1." * 1000,
    "'9 ' x1000": "9 " * 1000,
    "booking phrase to the limit": ("besok jam 9 pagi, tgl 5/12 " * 80)[:MAX_TEXT_LEN],
}
TRIAGE_INPUTS = {
    "5,000 chars then 'kejang'": "anak saya batuk pilek biasa saja dari kemarin. " * 110
    + " sekarang kejang",
    "'tidak ' x700": "tidak " * 700,
    "'darah ' x700": "darah " * 700,
}


def slowest(fn, repeat: int) -> float:
    worst = 0.0
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        worst = max(worst, time.perf_counter() - started)
    return worst


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    rules = load_rules()
    rows = []
    for name, text in DATE_INPUTS.items():
        rows.append(
            (
                "dates",
                name,
                slowest(
                    lambda t=text: (resolve(t, NOW), parse_date(t, NOW, past=True)), args.repeat
                ),
            )
        )
    for name, text in TRIAGE_INPUTS.items():
        rows.append(
            ("triage", name, slowest(lambda t=text: triage(TriageInput(t), rules), args.repeat))
        )
    failed = 0
    print(f"{'reader':7} {'input':32} {'slowest':>9}  target {TARGET_S:.1f} s")
    for reader, name, seconds in rows:
        mark = "ok" if seconds < TARGET_S else "SLOW"
        failed += seconds >= TARGET_S
        print(f"{reader:7} {name:32} {seconds * 1000:7.1f} ms  {mark}")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
