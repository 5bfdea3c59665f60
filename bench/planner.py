"""Benchmark: re-plan a synthetic district and dispatch one day's reminders to the local fake
Twilio server. Prints persons/s, messages/s and peak memory.

    .venv/bin/python bench/planner.py [--persons 1000000] [--db-sample 5000] [--messages 2000]

Stage 1 streams generated persons through the pure planner and the send-time rules (what the
daily plan job computes per person), never holding the district in memory. Stage 2 runs the real
database re-plan (reminder rows written) on a sample in SQLite and extrapolates. Stage 3 sends
queued messages through the real twilio client to tests/fake_twilio.py on 127.0.0.1."""

from __future__ import annotations

import argparse
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


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


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
            if item.status in ("upcoming", "due", "overdue"):
                day = item.overdue_from if item.status == "overdue" else item.due_from
                if day not in cache:
                    cache[day] = send_at(day, "Asia/Jakarta", hour, quiet, NOW)
                rows += 1
    took = time.perf_counter() - started
    print(f"{'re-plan (planner, streamed)':<34} {n:>10,} persons {took:8.1f} s "
          f"{n / took:>10,.0f} persons/s  {rows:,} reminder rows  target <= 120 s")  # fmt: skip


def stage_db(sample: int, settings: dict, total: int) -> None:
    from app import create_app
    from bot.clock import FrozenClock, to_db
    from bot.db import transaction
    from bot.district import sync
    from bot.migrate import upgrade
    from bot.models import Contact, Person
    from scheduler.reminders import plan_all

    tmp = Path(tempfile.mkdtemp())
    app = create_app(
        {"database.url": f"sqlite:///{tmp / 'bench.sqlite3'}", "CLOCK": FrozenClock(NOW)}
    )
    rt = app.extensions["jemput_bola"]
    upgrade(rt.engine)
    with transaction(rt.session_factory) as s:
        sync(s, rt.district, NOW)
        for i, facts in enumerate(district(sample)):
            c = Contact(phone=f"+62812{i:08d}", channel="whatsapp", created_at=to_db(NOW),
                        consent_at=to_db(NOW))  # fmt: skip
            s.add(c)
            s.flush()
            person = Person(contact_id=c.id, name=f"P{i}", sex=facts.sex, hpht=facts.hpht,
                            birth_date=facts.birth_date, created_at=to_db(NOW),
                            updated_at=to_db(NOW))  # fmt: skip
            s.add(person)
    started = time.perf_counter()
    changed = plan_all(rt.session_factory, NOW, rt.settings)
    took = time.perf_counter() - started
    rate = sample / took
    print(f"{'re-plan (database, SQLite)':<34} {sample:>10,} persons {took:8.1f} s "
          f"{rate:>10,.0f} persons/s  {changed:,} rows written; "
          f"{total:,} persons would take ~{total / rate:,.0f} s")  # fmt: skip
    started = time.perf_counter()
    again = plan_all(rt.session_factory, NOW, rt.settings)
    took = time.perf_counter() - started
    rate = sample / took
    print(f"{'re-plan again (nothing to change)':<34} {sample:>10,} persons {took:8.1f} s "
          f"{rate:>10,.0f} persons/s  {again:,} rows changed; "
          f"{total:,} persons would take ~{total / rate:,.0f} s")  # fmt: skip


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
    parser.add_argument("--db-sample", type=int, default=5_000)
    parser.add_argument("--messages", type=int, default=2_000)
    args = parser.parse_args()
    settings = load_settings()
    stage_plan(args.persons, settings)
    print(f"{'peak memory after re-plan':<34} {peak_mb():>10,.0f} MB  target <= 1024 MB")
    if args.db_sample:
        stage_db(args.db_sample, settings, args.persons)
    if args.messages:
        stage_dispatch(args.messages, settings)
    print(f"{'peak memory (all stages)':<34} {peak_mb():>10,.0f} MB")


if __name__ == "__main__":
    main()
