"""A dispatcher process killed mid-batch: nothing lost, at most the message in flight twice."""

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from bot import outbox
from bot.db import transaction
from tests.conftest import ACCOUNT_SID, AUTH_TOKEN

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
def test_killed_dispatcher_loses_nothing(twilio_app, twilio, db_url):
    rt = twilio_app.extensions["jemput_bola"]
    with transaction(rt.session_factory) as s:
        for i in range(40):
            outbox.queue(
                s,
                key=f"kill:{i}",
                to_phone=f"+62812000{i:05d}",
                channel="whatsapp",
                body=f"pesan {i}",
                now=rt.clock.now(),
                kind="reminder",
            )
    twilio.delay = 0.05
    env = dict(
        os.environ,
        DATABASE_URL=db_url,
        SENDER_BACKEND="twilio",
        TWILIO_ACCOUNT_SID=ACCOUNT_SID,
        TWILIO_AUTH_TOKEN=AUTH_TOKEN,
        TWILIO_API_BASE_URL=twilio.url,
    )
    proc = subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "app", "outbox", "dispatch"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while len(twilio.requests) < 10 and time.monotonic() < deadline:
        time.sleep(0.01)
    proc.send_signal(signal.SIGKILL)
    proc.wait(10)
    assert 10 <= len(twilio.requests) < 40, "the dispatcher was not killed mid-batch"
    twilio.delay = 0
    # the restarted dispatcher runs later than the stale threshold (the killed one used the
    # real clock)
    rt.clock.set(datetime.now(timezone.utc) + outbox.STALE_SENDING + timedelta(seconds=1))
    rt.outbox.dispatch_due()
    rt.clock.advance(minutes=10)
    rt.outbox.dispatch_due()
    counts = Counter(r["Body"] for r in twilio.requests)
    assert set(counts) == {f"pesan {i}" for i in range(40)}, "a message was lost"
    assert sum(n - 1 for n in counts.values()) <= 1, f"duplicates: {counts.most_common(3)}"
