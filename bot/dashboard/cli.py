"""`flask --app app staff create|list|password`: dashboard logins."""

from __future__ import annotations

import re

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import select

from bot.clock import to_db
from bot.dashboard.auth import MIN_PASSWORD, hash_password
from bot.dashboard.core import ROLES
from bot.db import transaction
from bot.models import StaffUser, Worker
from bot.phones import to_e164

USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{2,39}$")


def _rt():
    return current_app.extensions["jemput_bola"]


def _check_password(value: str) -> str:
    if len(value) < MIN_PASSWORD:
        raise click.ClickException(f"password: at least {MIN_PASSWORD} characters")
    return value


@click.group("staff", cls=AppGroup, help="Dashboard logins for puskesmas staff.")
def staff_group() -> None:
    pass


@staff_group.command("create", help="Create a login; the password is asked twice (hidden).")
@click.argument("username")
@click.option("--role", type=click.Choice(ROLES), required=True, help="admin sees everything")
@click.option(
    "--worker-phone",
    default=None,
    help="phone of the worker (district.yml) whose areas a bidan/kader sees",
)
@click.password_option(
    "--password",
    prompt="Password",
    confirmation_prompt=True,
    help="prompted when not given",
)
def staff_create(username: str, role: str, worker_phone: str | None, password: str) -> None:
    rt = _rt()
    username = username.strip().lower()
    if not USERNAME.match(username):
        raise click.ClickException("username: 3-40 of a-z 0-9 . _ - (starting with a letter/digit)")
    _check_password(password)
    now = rt.clock.now()
    with transaction(rt.session_factory) as s:
        if s.execute(select(StaffUser.id).where(StaffUser.username == username)).first():
            raise click.ClickException(f"username {username!r} already exists")
        worker = None
        if worker_phone:
            phone = to_e164(worker_phone, rt.settings["default_region"])
            worker = s.execute(select(Worker).where(Worker.phone == phone)).scalar_one_or_none()
            if worker is None:
                raise click.ClickException(
                    f"no worker with phone {worker_phone} (load district.yml first)"
                )
        elif role != "admin":
            raise click.ClickException(f"--worker-phone is required for role {role}")
        s.add(
            StaffUser(
                username=username,
                password_hash=hash_password(password),
                role=role,
                worker_id=worker.id if worker else None,
                active=True,
                created_at=to_db(now),
                updated_at=to_db(now),
            )
        )
    linked = f", linked to {worker.name}" if worker else ""
    click.echo(f"staff user {username} created ({role}{linked})")


@staff_group.command("list", help="List the logins.")
def staff_list() -> None:
    rt = _rt()
    with rt.session_factory() as s:
        for u in s.execute(select(StaffUser).order_by(StaffUser.username)).scalars():
            worker = u.worker.name if u.worker else "-"
            state = "active" if u.active else "inactive"
            click.echo(f"{u.username}\t{u.role}\t{worker}\t{state}")


@staff_group.command("password", help="Set a new password (asked twice, hidden).")
@click.argument("username")
@click.password_option("--password", prompt="New password", confirmation_prompt=True)
def staff_password(username: str, password: str) -> None:
    rt = _rt()
    _check_password(password)
    with transaction(rt.session_factory) as s:
        user = s.execute(
            select(StaffUser).where(StaffUser.username == username.strip().lower())
        ).scalar_one_or_none()
        if user is None:
            raise click.ClickException(f"no staff user {username!r}")
        user.password_hash = hash_password(password)
        user.updated_at = to_db(rt.clock.now())
    click.echo(f"password of {username} changed")


@staff_group.command("deactivate", help="Block a login (kept for the audit trail).")
@click.argument("username")
def staff_deactivate(username: str) -> None:
    rt = _rt()
    with transaction(rt.session_factory) as s:
        user = s.execute(
            select(StaffUser).where(StaffUser.username == username.strip().lower())
        ).scalar_one_or_none()
        if user is None:
            raise click.ClickException(f"no staff user {username!r}")
        user.active = False
        user.updated_at = to_db(rt.clock.now())
    click.echo(f"staff user {username} deactivated")
