"""The periodic jobs, and the APScheduler process that runs them (never inside web workers)."""

from __future__ import annotations

import logging

from bot.alert_lifecycle import escalate_due
from bot.config import database_url
from bot.db import transaction
from scheduler import reminders

log = logging.getLogger(__name__)


def job_plan(rt) -> int:
    url = database_url(rt.settings)
    return reminders.plan_everyone(rt.session_factory, url, rt.clock.now(), rt.settings)


def job_send_reminders(rt) -> int:
    with transaction(rt.session_factory) as s:
        ids = reminders.send_due(s, rt.clock.now(), rt.settings)
    rt.outbox.deliver_many(ids)
    return len(ids)


def job_daily(rt) -> int:
    """Day-before visit reminders and the kader digests (idempotent; runs every 5 minutes)."""
    from scheduler.daily import kader_digests, visit_reminders

    with transaction(rt.session_factory) as s:
        ids = visit_reminders(s, rt.clock.now(), rt.settings)
        ids += kader_digests(s, rt.clock.now(), rt.settings)
    rt.outbox.deliver_many(ids)
    return len(ids)


def job_dispatch(rt) -> int:
    return rt.outbox.dispatch_due()


def job_escalate(rt) -> int:
    with transaction(rt.session_factory) as s:
        ids = escalate_due(s, rt.clock.now(), rt.settings, rt.catalog)
    rt.outbox.deliver_many(ids)
    return len(ids)


def job_expire_conversations(rt) -> int:
    from sqlalchemy import update

    from bot.clock import to_db
    from bot.models import Conversation

    with transaction(rt.session_factory) as s:
        return s.execute(
            update(Conversation)
            .where(Conversation.expires_at <= to_db(rt.clock.now()))
            .values(flow=None, step=None, slots={}, expires_at=None)
            .execution_options(synchronize_session=False)
        ).rowcount


JOBS = {
    "plan": job_plan,
    "send_reminders": job_send_reminders,
    "daily": job_daily,
    "dispatch": job_dispatch,
    "escalate": job_escalate,
    "expire_conversations": job_expire_conversations,
}


_RUNTIME = None  # bound by build_scheduler: APScheduler stores jobs by name, not the runtime


def run_job(name: str) -> None:
    """Entry point APScheduler stores by reference; runs `name` on the runtime the scheduler
    process was built with (the composition root passes it to `build_scheduler`)."""
    if _RUNTIME is None:
        raise RuntimeError("run_job needs build_scheduler(rt) first: no runtime is bound")
    count = JOBS[name](_RUNTIME)
    log.info("job %s: %s", name, count)


def build_scheduler(rt, blocking: bool = True):
    """APScheduler with a persistent SQLAlchemy job store; missed runs coalesce into one."""
    from apscheduler.executors.pool import ThreadPoolExecutor
    from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
    from apscheduler.schedulers.background import BackgroundScheduler
    from apscheduler.schedulers.blocking import BlockingScheduler

    from bot.config import database_url

    global _RUNTIME
    _RUNTIME = rt
    cls = BlockingScheduler if blocking else BackgroundScheduler
    scheduler = cls(
        jobstores={"default": SQLAlchemyJobStore(url=database_url(rt.settings))},
        executors={"default": ThreadPoolExecutor(1)},
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 6 * 3600},
        timezone=rt.settings["timezone"],
    )
    every_minute = {"trigger": "interval", "minutes": 1}
    scheduler.add_job(
        run_job, id="dispatch", args=["dispatch"], replace_existing=True, **every_minute
    )
    scheduler.add_job(
        run_job, id="escalate", args=["escalate"], replace_existing=True, **every_minute
    )
    scheduler.add_job(
        run_job, id="send_reminders", args=["send_reminders"], replace_existing=True,
        trigger="interval", minutes=5,
    )  # fmt: skip
    scheduler.add_job(
        run_job, id="daily", args=["daily"], replace_existing=True, trigger="interval", minutes=5,
    )  # fmt: skip
    scheduler.add_job(
        run_job, id="plan", args=["plan"], replace_existing=True, trigger="cron", hour=1,
        minute=0,
    )  # fmt: skip
    scheduler.add_job(
        run_job, id="expire_conversations", args=["expire_conversations"],
        replace_existing=True, trigger="interval", hours=1,
    )  # fmt: skip
    return scheduler


def catch_up(rt) -> None:
    """On start: plan once and send whatever came due while the process was down (once)."""
    job_plan(rt)
    job_send_reminders(rt)
    job_daily(rt)
    job_dispatch(rt)
    job_escalate(rt)


class LeaderLock:
    """One scheduler leader at a time. PostgreSQL: a session advisory lock held on its own
    connection (released by the server when the process dies). SQLite: an flock on a file next
    to the database (one machine). A second scheduler waits for the lock instead of running."""

    KEY = 0x4A42_5343  # "JBSC"

    def __init__(self, url: str, poll_seconds: float = 2.0) -> None:
        self.url = url
        self.poll = poll_seconds
        self._conn = None
        self._file = None

    def acquire(self, wait=None) -> None:
        import time

        if not self.try_acquire():
            log.info("another scheduler leads; waiting for its lock")
            while not self.try_acquire():
                (wait or time.sleep)(self.poll)

    def try_acquire(self) -> bool:
        if self.url.startswith("postgresql"):
            from sqlalchemy import text

            from bot.db import make_engine

            if self._conn is None:
                self._conn = make_engine(self.url).connect()
            got = self._conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": self.KEY})
            ok = bool(got.scalar())
            self._conn.commit()
            return ok
        import fcntl
        from pathlib import Path

        path = self.url.split("///", 1)[-1] if "///" in self.url else "instance/jemput_bola"
        if self._file is None:
            Path(path + ".scheduler.lock").parent.mkdir(parents=True, exist_ok=True)
            self._file = open(path + ".scheduler.lock", "a+")  # noqa: SIM115 (held for life)
        try:
            fcntl.flock(self._file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True

    def still_held(self) -> bool:
        """The leader checks its lock connection every minute; lost means stop at once."""
        if self._conn is None:
            return self._file is not None
        from sqlalchemy import text

        try:
            self._conn.execute(text("SELECT 1"))
            self._conn.commit()
        except Exception:  # noqa: BLE001 - any failure: the lock may be gone
            return False
        return True
