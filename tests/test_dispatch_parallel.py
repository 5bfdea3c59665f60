"""Outbox dispatch in several processes at once (PostgreSQL: FOR UPDATE SKIP LOCKED): 4
dispatcher processes, 5,000 queued messages, each sent exactly once through the real twilio
client to the fake Twilio server."""

import os
import subprocess
import sys
import textwrap
import time
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path

import pytest
from sqlalchemy import func, insert, select

from bot.clock import to_db
from bot.models import OutboundMessage
from tests.conftest import ACCOUNT_SID, AUTH_TOKEN

ROOT = Path(__file__).resolve().parent.parent
MESSAGES = 5_000
DISPATCHERS = 4

# One dispatcher process: the app on the test database, no per-process rate limit (the limit
# is per sender and configured for production), every due message it can claim.
WORKER = textwrap.dedent(
    """
    import sys
    from app import create_app
    app = create_app({
        "database.url": sys.argv[1],
        "sending.backend": "twilio",
        "twilio.account_sid": sys.argv[2],
        "twilio.api_base_url": sys.argv[3],
        "sending.rate_per_second": {"whatsapp": 0, "sms": 0},
    })
    rt = app.extensions["jemput_bola"]
    print(rt.outbox.dispatch_due(limit=100_000))
    """
)


@pytest.mark.skipif(not os.environ.get("TEST_DATABASE_URL"), reason="needs PostgreSQL")
@pytest.mark.parametrize("database", ["postgresql"], indirect=True)
def test_four_dispatchers_send_five_thousand_messages_each_exactly_once(db_url, twilio, app):
    rt = app.extensions["jemput_bola"]
    now = to_db(datetime.now(timezone.utc))
    rows = [
        {
            "idempotency_key": f"parallel:{i}",
            "to_phone": f"+628120{i:07d}",
            "channel": "whatsapp",
            "body": f"pesan {i}",
            "kind": "reminder",
            "status": "queued",
            "attempts": 0,
            "next_attempt_at": now,
            "created_at": now,
            "updated_at": now,
        }
        for i in range(MESSAGES)
    ]
    with rt.engine.begin() as conn:
        conn.execute(insert(OutboundMessage), rows)
    env = dict(os.environ, TWILIO_AUTH_TOKEN=AUTH_TOKEN, LOG_LEVEL="WARNING")
    started = time.monotonic()
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WORKER, db_url, ACCOUNT_SID, twilio.url],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(DISPATCHERS)
    ]
    outputs = [p.communicate(timeout=600) for p in procs]
    seconds = time.monotonic() - started
    assert all(p.returncode == 0 for p in procs), [err[-2000:] for _, err in outputs]
    attempted = [int(out.strip().splitlines()[-1]) for out, _ in outputs]

    counts = Counter(r["Body"] for r in twilio.requests)
    assert len(counts) == MESSAGES, "a message was never sent"
    assert max(counts.values()) == 1, f"sent twice: {counts.most_common(3)}"
    assert sum(attempted) == MESSAGES
    assert all(n > 0 for n in attempted), f"a dispatcher got nothing: {attempted}"
    with rt.session_factory() as s:
        statuses = dict(
            s.execute(
                select(OutboundMessage.status, func.count()).group_by(OutboundMessage.status)
            ).all()
        )
    assert statuses == {"sent": MESSAGES}
    print(f"{MESSAGES} messages by {DISPATCHERS} dispatchers in {seconds:.1f} s: {attempted}")
