"""The production web process as the Procfile starts it: gunicorn with gunicorn.conf.py (two
workers forked from a master that preloaded the app and the real NLU model), on a fresh
folder for the Prometheus files; ready, answering, counting, and stopping cleanly."""

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from app import create_app
from bot import migrate
from bot.db import transaction
from bot.district import sync

ROOT = Path(__file__).resolve().parent.parent
READY_LIMIT = 120  # seconds; bench/vs_rasa.py measures the real figure


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(port: int, path: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=5) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()
    except OSError:
        return 0, b""


def say(port: int, phone: str, text: str) -> dict:
    req = urllib.request.Request(
        f"http://127.0.0.1:{port}/simulator/send",
        data=json.dumps({"from": phone, "text": text}).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(req, timeout=30) as resp:
        return json.loads(resp.read())


@pytest.mark.parametrize(
    "target",
    [
        "wsgi:app",  # the Procfile's web process
        "app:create_app()",  # with NLU_PRELOAD=1 the master forked mid-load: it hung "loading"
    ],
)
def test_gunicorn_with_the_production_config_serves_on_a_fresh_folder(tmp_path, nlu, target):
    db = tmp_path / "prod.sqlite3"
    app = create_app({"TESTING": True, "database.url": f"sqlite:///{db}"})
    rt = app.extensions["jemput_bola"]
    migrate.upgrade(rt.engine, "head")
    with transaction(rt.session_factory) as s:
        sync(s, rt.district, rt.clock.now())
    rt.engine.dispose()
    port = free_port()
    env = dict(
        os.environ,
        DATABASE_URL=f"sqlite:///{db}",
        PROMETHEUS_MULTIPROC_DIR=str(tmp_path / "not-yet" / "prometheus"),
        WEB_BIND=f"127.0.0.1:{port}",
        WEB_CONCURRENCY="2",
        SECRET_KEY="production-test-secret",
        NLU_PRELOAD="1",
        LOG_LEVEL="WARNING",
    )
    log = (tmp_path / "gunicorn.log").open("w")
    cmd = [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "--threads", "4", target]
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        started = time.monotonic()
        status, body = 0, b""
        while time.monotonic() - started < READY_LIMIT and proc.poll() is None:
            status, body = get(port, "/readyz")
            if status == 200:
                break
            time.sleep(0.2)
        assert status == 200, f"not ready in {READY_LIMIT} s: {body!r}; see {log.name}"
        print(f"{target}: ready in {time.monotonic() - started:.1f} s")
        # each of the two workers answers (several requests spread over them)
        for i in range(6):
            reply = say(port, f"+62812340{i:05d}", "halo")
            assert reply["replies"] and "Jemput Bola" in reply["replies"][0], reply
        status, body = get(port, "/metrics")
        assert status == 200 and b'jb_messages_in_total{channel="simulator"' in body
        assert (tmp_path / "not-yet" / "prometheus").is_dir()
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(30)
        log.close()
    assert proc.returncode == 0
