"""gunicorn settings for the Procfile's `web` process (environment variables override)."""

import os
from pathlib import Path

bind = os.environ.get("WEB_BIND", f"127.0.0.1:{os.environ.get('PORT', '8000')}")
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
timeout = 60
# The app (and the in-process NLU model) is loaded once in the master, then the workers fork
# and share it; wsgi.py closes the database connections before the fork.
preload_app = True
accesslog = "-"

# prometheus-client multiprocess mode: every worker (and the scheduler) writes its counters
# under this folder, and /metrics in any worker sums them all.
metrics_dir = os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", "instance/prometheus")
# Made here, not in on_starting: with preload_app the app (and bot.metrics, which opens its
# files in this folder) is imported before on_starting runs. `make serve` empties the folder
# before it starts the processes (counters restart at 0).
Path(metrics_dir).mkdir(parents=True, exist_ok=True)


def child_exit(server, worker):
    from bot.metrics import mark_process_dead

    mark_process_dead(worker.pid)


def pre_fork(server, worker):
    """Workers fork only once the preloaded app's NLU model is in memory: forked while a
    thread still loads it (NLU_PRELOAD=1), a worker waits on that thread's locks for good."""
    if not server.cfg.preload_app:
        return
    app = server.app.wsgi()
    rt = getattr(app, "extensions", {}).get("jemput_bola")
    if rt is not None and rt.settings["nlu"]["backend"] == "inprocess":
        _ = rt.nlu
