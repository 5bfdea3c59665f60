"""`flask --app app db|outbox ...` commands."""

from __future__ import annotations

import contextlib

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from bot import migrate


def _rt():
    return current_app.extensions["jemput_bola"]


@click.group("db", cls=AppGroup, help="Database schema (Alembic migrations).")
def db_group() -> None:
    pass


@db_group.command("upgrade", help="Upgrade the schema to the newest (or a given) revision.")
@click.option("--revision", default="head", show_default=True)
def db_upgrade(revision: str) -> None:
    migrate.upgrade(_rt().engine, revision)
    click.echo(f"database at {revision}")


@db_group.command("backup", help="Write an online backup of the database to a file.")
@click.argument("target", required=False, type=click.Path(dir_okay=False))
def db_backup(target: str | None) -> None:
    """SQLite: the backup API (a consistent copy while the app runs); PostgreSQL: pg_dump
    --format=custom (restore: pg_restore --clean --dbname URL FILE)."""
    from datetime import date
    from pathlib import Path

    from bot.backup import BackupError, backup
    from bot.config import database_url

    url = database_url(_rt().settings)
    suffix = ".sqlite3" if url.startswith("sqlite") else ".dump"
    path = Path(target or f"instance/backups/jemput_bola-{date.today():%Y-%m-%d}{suffix}")
    try:
        written = backup(url, path)
    except BackupError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"backup written to {written}")


@db_group.command("downgrade", help="Downgrade the schema to a revision (e.g. base).")
@click.argument("revision")
def db_downgrade(revision: str) -> None:
    migrate.downgrade(_rt().engine, revision)
    click.echo(f"database at {revision}")


@click.group("outbox", cls=AppGroup, help="The outbound message queue.")
def outbox_group() -> None:
    pass


@outbox_group.command("dispatch", help="Send the queued and retrying messages that are due now.")
def outbox_dispatch() -> None:
    count = _rt().outbox.dispatch_due()
    click.echo(f"{count} message(s) attempted")


@click.group("district", cls=AppGroup, help="Areas, places and health workers (district.yml).")
def district_group() -> None:
    pass


@district_group.command("load", help="Insert or update areas and workers from district.yml.")
@click.argument("path", required=False, type=click.Path(exists=True, dir_okay=False))
def district_load(path: str | None) -> None:
    from pathlib import Path

    from bot.db import transaction
    from bot.district import DistrictError, load_district, sync

    rt = _rt()
    try:
        district = load_district(Path(path) if path else rt.district_path)
    except DistrictError as exc:
        raise click.ClickException(str(exc)) from exc
    with transaction(rt.session_factory) as s:
        counts = sync(s, district, rt.clock.now())
    click.echo(f"{counts['areas']} areas and {counts['workers']} workers loaded")


@click.group("alerts", cls=AppGroup, help="Alerts to health workers.")
def alerts_group() -> None:
    pass


@alerts_group.command(
    "escalate", help="Escalate alerts nobody accepted in time (run every minute)."
)
def alerts_escalate() -> None:
    from bot.alert_lifecycle import escalate_due
    from bot.db import transaction

    rt = _rt()
    with transaction(rt.session_factory) as s:
        ids = escalate_due(s, rt.clock.now(), rt.settings, rt.catalog)
    rt.outbox.deliver_many(ids)
    click.echo(f"{len(ids)} escalation message(s) sent")


@click.group("reminders", cls=AppGroup, help="Lifecycle reminders (immunization, ANC, checks).")
def reminders_group() -> None:
    pass


@reminders_group.command("plan", help="Re-plan everyone's reminders (idempotent).")
def reminders_plan() -> None:
    from sqlalchemy import func, select

    from bot.models import Person
    from scheduler.reminders import plan_all

    rt = _rt()
    with rt.session_factory() as s:
        total = s.execute(select(func.count()).select_from(Person)).scalar_one()
    with click.progressbar(length=total, label="planning") as bar:
        changed = plan_all(rt.session_factory, rt.clock.now(), rt.settings, progress=bar.update)
    click.echo(f"{total} persons planned, {changed} reminder rows changed")


@reminders_group.command("due", help="What is due or overdue on a day, per person (no sending).")
@click.option("--on", "on", required=True, help="YYYY-MM-DD")
@click.option("--json", "as_json", is_flag=True, help="print a JSON list")
def reminders_due(on: str, as_json: bool) -> None:
    import json
    from datetime import date

    from scheduler.reminders import due_report

    try:
        day = date.fromisoformat(on)
    except ValueError as exc:
        raise click.BadParameter(
            f"{on!r} is not a date like 2026-12-01", param_hint="--on"
        ) from exc
    rt = _rt()
    with rt.session_factory() as s:
        rows = due_report(s, day, rt.settings)
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=1))
        return
    for r in rows:
        click.echo(f"{r['phone']}  {r['person']:<24} {r['item']:<6} {r['status']}")
    click.echo(f"{len(rows)} item(s)")


@reminders_group.command("send", help="Queue and send the reminders whose time has come.")
def reminders_send() -> None:
    from scheduler.jobs import job_send_reminders

    click.echo(f"{job_send_reminders(_rt())} reminder message(s) sent")


@click.command("scheduler", help="Run the periodic jobs (APScheduler) in this process.")
@click.option("--once", is_flag=True, help="catch up once (plan, send, dispatch) and exit")
def scheduler_command(once: bool) -> None:
    import os

    from flask import current_app as app

    from bot.config import database_url
    from scheduler.jobs import LeaderLock, build_scheduler, catch_up

    rt = _rt()
    lock = LeaderLock(database_url(rt.settings), float(os.environ.get("SCHEDULER_POLL", "2")))
    lock.acquire()  # a second scheduler waits here until the leader stops or dies
    app.logger.info("this scheduler is now the leader")
    catch_up(rt)
    if once:
        click.echo("caught up")
        return
    scheduler = build_scheduler(rt)

    def check_lock() -> None:
        if not lock.still_held():
            app.logger.error("scheduler lost its leader lock; stopping")
            os._exit(3)  # the supervisor restarts it, and it waits for the lock again

    scheduler.add_jobstore("memory", alias="memory")
    scheduler.add_job(
        check_lock, id="leader_check", jobstore="memory", trigger="interval", minutes=1
    )
    app.logger.info("scheduler started")
    with contextlib.suppress(KeyboardInterrupt, SystemExit):
        scheduler.start()


def init_app(app: Flask) -> None:
    from bot import import_cli

    import_cli.init_app(app)
    app.cli.add_command(reminders_group)
    app.cli.add_command(scheduler_command)
    app.cli.add_command(alerts_group)
    app.cli.add_command(db_group)
    app.cli.add_command(outbox_group)
    app.cli.add_command(district_group)
