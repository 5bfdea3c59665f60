"""Benchmark: re-plan a synthetic district and dispatch one day's reminders to the local fake
Twilio server. Prints persons/s, messages/s and peak memory.

    .venv/bin/python bench/planner.py [--persons 1000000] [--db-persons N] [--workers 0]
                                      [--messages 2000]

Stage 1 streams generated persons through the pure planner and the send-time rules (what the
daily plan job computes per person), never holding the district in memory. Stage 2 is the real
re-plan job on a SQLite database holding the district (all of it by default; --db-persons for a
sample, then extrapolated): reminder rows written, then a second re-plan that changes nothing.
Stage 3 sends queued messages through the real twilio client to tests/fake_twilio.py on
127.0.0.1."""

from __future__ import annotations

import argparse
import os
import random
import resource
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.config import load_settings  # noqa: E402
from scheduler.planner import PersonFacts, plan_memo  # noqa: E402
from scheduler.rules import default_rules  # noqa: E402
from scheduler.sendtime import send_at  # noqa: E402

TODAY = date(2026, 11, 22)
NOW = datetime(2026, 11, 22, 1, 0, tzinfo=timezone.utc)


def peak_mb(children: bool = False) -> float:
    who = resource.RUSAGE_CHILDREN if children else resource.RUSAGE_SELF
    return resource.getrusage(who).ru_maxrss / 1024


def district(n: int, seed: int = 42) -> Iterator[PersonFacts]:
    """Persons across life stages, generated one at a time."""
    rng = random.Random(seed)
    for _ in range(n):
        r = rng.random()
        if r < 0.15:  # under two
            yield PersonFacts(birth_date=TODAY - timedelta(days=rng.randint(0, 730)), sex="P")
        elif r < 0.25:  # two to five
            yield PersonFacts(birth_date=TODAY - timedelta(days=rng.randint(731, 1825)), sex="L")
        elif r < 0.28:  # pregnant
            yield PersonFacts(
                birth_date=TODAY - timedelta(days=rng.randint(6600, 12000)),
                sex="P",
                hpht=TODAY - timedelta(days=rng.randint(10, 270)),
                registered_on=TODAY - timedelta(days=rng.randint(0, 60)),
            )
        elif r < 0.83:
            yield PersonFacts(birth_date=TODAY - timedelta(days=rng.randint(6570, 21900)), sex="L")
        else:
            yield PersonFacts(birth_date=TODAY - timedelta(days=rng.randint(21900, 32000)), sex="P")


def stage_plan(n: int, settings: dict) -> None:
    rules = default_rules()
    quiet, hour = settings["quiet_hours"], settings["reminders"]["hour"]
    rows = 0
    cache: dict[date, datetime] = {}
    started = time.perf_counter()
    for person in district(n):
        for item in plan_memo(person, (), TODAY, rules):
            if item.status in ("upcoming", "due", "overdue") and item.waits_for is None:
                day = item.overdue_from if item.status == "overdue" else item.due_from
                if day not in cache:
                    cache[day] = send_at(day, "Asia/Jakarta", hour, quiet, NOW)
                rows += 1
    took = time.perf_counter() - started
    print(f"{'re-plan (planner, streamed)':<34} {n:>10,} persons {took:8.1f} s "
          f"{n / took:>10,.0f} persons/s  {rows:,} reminder rows  target <= 120 s")  # fmt: skip


def stage_db(sample: int, settings: dict, total: int, workers: int) -> None:
    from sqlalchemy import insert

    from app import create_app
    from bot.clock import FrozenClock, to_db
    from bot.config import database_url
    from bot.db import transaction
    from bot.district import sync
    from bot.migrate import upgrade
    from bot.models import Contact, Person
    from scheduler.reminders import plan_everyone

    tmp = Path(tempfile.mkdtemp())
    app = create_app(
        {"database.url": f"sqlite:///{tmp / 'bench.sqlite3'}", "CLOCK": FrozenClock(NOW)}
    )
    rt = app.extensions["jemput_bola"]
    upgrade(rt.engine)
    with transaction(rt.session_factory) as s:
        sync(s, rt.district, NOW)
    stamp = to_db(NOW)
    for start in range(0, sample, 50_000):  # one contact and one person each, in bulk
        size = min(50_000, sample - start)
        with transaction(rt.session_factory) as s:
            s.execute(insert(Contact), [
                {"id": start + i + 1, "phone": f"+62812{start + i:08d}", "channel": "whatsapp",
                 "created_at": stamp, "consent_at": stamp}
                for i in range(size)
            ])  # fmt: skip
            s.execute(insert(Person), [
                {"id": start + i + 1, "contact_id": start + i + 1, "name": f"P{start + i}",
                 "sex": f.sex, "hpht": f.hpht, "birth_date": f.birth_date, "created_at": stamp,
                 "updated_at": stamp}
                for i, f in enumerate(district(size, seed=start))
            ])  # fmt: skip
    url = database_url(rt.settings)
    plan_settings = {**rt.settings, "reminders": {**rt.settings["reminders"],
                                                  "plan_workers": workers}}  # fmt: skip
    n = workers or os.cpu_count()
    for label, what in ((f"re-plan (SQLite, {n} workers)", "rows written"),
                        ("re-plan again (nothing to change)", "rows changed")):  # fmt: skip
        started = time.perf_counter()
        changed = plan_everyone(rt.session_factory, url, NOW, plan_settings, parallel_from=1)
        took = time.perf_counter() - started
        rate = sample / took
        scale = "" if sample == total else f"; {total:,} persons would take ~{total / rate:,.0f} s"
        print(f"{label:<34} {sample:>10,} persons {took:8.1f} s {rate:>10,.0f} persons/s  "
              f"{changed:,} {what}{scale}  target <= 120 s")  # fmt: skip


def stage_dispatch(n: int, settings: dict) -> None:
    from app import create_app
    from bot import outbox
    from bot.clock import FrozenClock
    from bot.db import transaction
    from bot.migrate import upgrade
    from tests.fake_twilio import FakeTwilio

    fake = FakeTwilio().start()
    tmp = Path(tempfile.mkdtemp())
    app = create_app(
        {
            "database.url": f"sqlite:///{tmp / 'dispatch.sqlite3'}",
            "CLOCK": FrozenClock(NOW),
            "sending.backend": "twilio",
            "sending.status_callback": False,
            "sending.rate_per_second": {"whatsapp": 0, "sms": 0},
            "twilio.account_sid": "AC" + "0" * 32,
            "twilio.auth_token": "bench-token",
            "twilio.api_base_url": fake.url,
        }
    )
    rt = app.extensions["jemput_bola"]
    upgrade(rt.engine)
    with transaction(rt.session_factory) as s:
        for i in range(n):
            outbox.queue(s, key=f"bench:{i}", to_phone=f"+62812{i:08d}", channel="whatsapp",
                         body="Pengingat imunisasi BCG", now=NOW, kind="reminder")  # fmt: skip
    started = time.perf_counter()
    sent = rt.outbox.dispatch_due(limit=n)
    took = time.perf_counter() - started
    fake.stop()
    print(f"{'dispatch to fake Twilio':<34} {sent:>10,} messages {took:7.1f} s "
          f"{sent / took:>10,.0f} messages/s  accepted {len(fake.sent):,}"
          "  target >= 200/s")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--persons", type=int, default=1_000_000)
    parser.add_argument(
        "--db-persons", type=int, default=None, help="persons in the database stage (default: all)"
    )
    parser.add_argument("--workers", type=int, default=0, help="re-plan processes (0: per core)")
    parser.add_argument("--messages", type=int, default=2_000)
    args = parser.parse_args()
    settings = load_settings()
    stage_plan(args.persons, settings)
    print(f"{'peak memory after re-plan':<34} {peak_mb():>10,.0f} MB  target <= 1024 MB")
    db_persons = args.persons if args.db_persons is None else args.db_persons
    if db_persons:
        stage_db(db_persons, settings, args.persons, args.workers)
    if args.messages:
        stage_dispatch(args.messages, settings)
    print(f"{'peak memory (all stages)':<34} {peak_mb():>10,.0f} MB  "
          f"(largest worker process {peak_mb(children=True):,.0f} MB)")  # fmt: skip


if __name__ == "__main__":
    main()
