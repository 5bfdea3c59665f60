"""Where a Twilio webhook spends its time: cProfile over the real request path, in process.

    .venv/bin/python bench/profile_webhook.py [--postgres URL] [--messages 300] [--top 30]

Builds the app on a fresh database (SQLite, or the given PostgreSQL database: its public schema
is emptied), with the Twilio sender pointed at the fake Twilio server (no delay, so the profile
shows our own time), loads the NLU, then posts the signed webhook for the messages of
bench/vs_rasa.py, each from a new number. Prints the time per message, the SQL statements per
message, and the functions with the most cumulative time.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if __name__ == "__main__":
    here = Path(__file__).resolve().parent
    sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != here]
    sys.path.insert(0, str(ROOT))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgres")
    parser.add_argument("--messages", type=int, default=300)
    parser.add_argument("--top", type=int, default=30)
    args = parser.parse_args(argv)

    import urllib.parse

    from sqlalchemy import event
    from twilio.request_validator import RequestValidator

    from bench.vs_rasa import ACCOUNT, TOKEN, load_messages
    from tests.fake_twilio import FakeTwilio

    fake = FakeTwilio().start()
    if args.postgres:
        from sqlalchemy import create_engine, text

        url = args.postgres
        engine = create_engine(url, future=True)
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        engine.dispose()
    else:
        url = f"sqlite:///{Path(tempfile.mkdtemp()) / 'profile.sqlite3'}"
    from app import create_app
    from bot.db import transaction
    from bot.district import sync
    from bot.migrate import upgrade

    base = "http://127.0.0.1:5000"
    app = create_app(
        {
            "database.url": url,
            "sending.backend": "twilio",
            "twilio.account_sid": ACCOUNT,
            "twilio.auth_token": TOKEN,
            "twilio.api_base_url": fake.url,
            "channels.public_base_url": base,
        }
    )
    rt = app.extensions["jemput_bola"]
    upgrade(rt.engine)
    with transaction(rt.session_factory) as s:
        sync(s, rt.district, rt.clock.now())
    rt.nlu.parse("halo")
    statements = [0]
    shapes: Counter[str] = Counter()

    def count(_conn, _cursor, statement, *_args) -> None:
        statements[0] += 1
        shapes[" ".join(statement.split())[:110]] += 1

    event.listen(rt.engine, "before_cursor_execute", count)
    client = app.test_client()
    validator = RequestValidator(TOKEN)
    texts = load_messages(args.messages)

    def post(i: int, text: str) -> None:
        form = {
            "MessageSid": f"SMprof{i:06d}",
            "AccountSid": ACCOUNT,
            "From": f"whatsapp:+62858{i:08d}",
            "To": "whatsapp:+14155238886",
            "Body": text,
        }
        sig = validator.compute_signature(base + "/twilio/inbound", form)
        resp = client.post(
            "/twilio/inbound",
            data=urllib.parse.urlencode(form),
            content_type="application/x-www-form-urlencoded",
            headers={"X-Twilio-Signature": sig},
        )
        assert resp.status_code == 200, resp.get_data(as_text=True)

    for i, text in enumerate(texts[:10]):
        post(10**6 + i, text)
    statements[0] = 0
    shapes.clear()
    profile = cProfile.Profile()
    started = time.perf_counter()
    profile.enable()
    for i, text in enumerate(texts):
        post(i, text)
    profile.disable()
    seconds = time.perf_counter() - started
    fake.stop()
    n = len(texts)
    print(
        f"{'PostgreSQL' if args.postgres else 'SQLite'}: {n} webhooks in {seconds:.1f} s "
        f"({1000 * seconds / n:.1f} ms each under the profiler), "
        f"{statements[0] / n:.1f} SQL statements per message, {len(fake.sent) / n:.2f} sends each"
    )
    for shape, k in shapes.most_common(40):
        print(f"{k / n:6.2f}  {shape}")
    out = io.StringIO()
    pstats.Stats(profile, stream=out).sort_stats("cumulative").print_stats(args.top)
    print(out.getvalue())
    return 0


if __name__ == "__main__":
    sys.exit(main())
