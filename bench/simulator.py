"""Benchmark: reply time of the simulator endpoint with the NLU model already loaded.

    .venv/bin/python bench/simulator.py [--messages 300]

Runs the whole pipeline (dedupe, contact, triage, NLU, flows, one transaction, outbox) on a
temporary SQLite database; prints p50/p95/p99/max per message against the 300 ms target."""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

MESSAGES = [
    "halo", "menu", "anak saya demam dari kemarin", "1", "ya", "Siti Aminah", "sukamju",
    "mau periksa hamil di pustu besok jam 9", "jadwal imunisasi anak sy kapan",
    "petugas puskesmas judes", "efek samping imunisasi apa", "tolong bayi saya kejang",
    "batal", "wkwkwk", "makasih bu", "sudah melahirkan kemarin", "STOP", "MULAI",
]  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=300)
    args = parser.parse_args()
    from app import create_app
    from bot.db import transaction
    from bot.district import sync
    from bot.migrate import upgrade

    tmp = Path(tempfile.mkdtemp())
    app = create_app({"database.url": f"sqlite:///{tmp / 'sim.sqlite3'}"})
    rt = app.extensions["jemput_bola"]
    upgrade(rt.engine)
    with transaction(rt.session_factory) as s:
        sync(s, rt.district, rt.clock.now())
    started = time.perf_counter()
    rt.nlu.parse("halo")
    print(f"model load: {time.perf_counter() - started:.1f} s")
    client = app.test_client()
    times = []
    for i in range(args.messages):
        phone = f"+628123450{i % 50:04d}"
        text = MESSAGES[i % len(MESSAGES)]
        t0 = time.perf_counter()
        resp = client.post("/simulator/send", json={"from": phone, "text": text})
        times.append((time.perf_counter() - t0) * 1000)
        assert resp.status_code == 200, resp.get_data(as_text=True)
    times.sort()
    q = statistics.quantiles(times, n=100)
    print(f"{len(times)} messages: p50 {q[49]:.0f} ms  p95 {q[94]:.0f} ms  p99 {q[98]:.0f} ms  "
          f"max {times[-1]:.0f} ms  (target: every reply <= 300 ms)")  # fmt: skip


if __name__ == "__main__":
    main()
