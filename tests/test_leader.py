"""Two scheduler processes: one leads, the other waits, and takes over when the first dies."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LEADER = "this scheduler is now the leader"


def start(db_url: str, log: Path) -> subprocess.Popen:
    env = dict(
        os.environ,
        DATABASE_URL=db_url,
        SENDER_BACKEND="log",
        SCHEDULER_POLL="0.2",
        LOG_LEVEL="INFO",  # the NLU fixture sets WARNING in this process
    )
    return subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "app", "scheduler"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=log.open("w"),
    )


def wait_for(path: Path, text: str, seconds: float = 60) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if text in path.read_text(errors="replace"):
            return True
        time.sleep(0.1)
    return False


def test_second_scheduler_waits_then_takes_over(db_url, tmp_path):
    first_log, second_log = tmp_path / "first.log", tmp_path / "second.log"
    first = start(db_url, first_log)
    second = None
    try:
        assert wait_for(first_log, LEADER), first_log.read_text()
        second = start(db_url, second_log)
        assert wait_for(second_log, "waiting"), second_log.read_text()
        time.sleep(1)
        assert LEADER not in second_log.read_text()
        assert second.poll() is None, "the second scheduler crashed instead of waiting"
        first.send_signal(signal.SIGKILL)
        first.wait(10)
        assert wait_for(second_log, LEADER), second_log.read_text()
        assert second.poll() is None
    finally:
        for proc in (first, second):
            if proc is not None and proc.poll() is None:
                proc.kill()
                proc.wait(10)
