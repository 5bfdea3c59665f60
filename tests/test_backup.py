"""`flask --app app db backup`: an online backup that restores (SQLite backup API while another
connection holds a write transaction; PostgreSQL pg_dump, then pg_restore into a new database)."""

import os
import shutil
import sqlite3
import subprocess
import uuid

import pytest
from sqlalchemy import create_engine, select, text

from app import create_app
from bot import migrate
from bot.clock import to_db
from bot.db import transaction
from bot.models import Contact


def add_contact(app, phone: str) -> None:
    rt = app.extensions["jemput_bola"]
    with transaction(rt.session_factory) as s:
        s.add(Contact(phone=phone, channel="simulator", created_at=to_db(rt.clock.now())))


@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
def test_sqlite_backup_while_a_writer_holds_a_transaction(app, runner, db_url, tmp_path):
    add_contact(app, "+6281234567001")
    path = db_url[len("sqlite:///") :]
    writer = sqlite3.connect(path, isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")
    writer.execute(
        "INSERT INTO contact (phone, channel, language, opted_out, created_at) "
        "VALUES ('+6281234567002', 'simulator', 'id', 0, '2026-11-22 03:00:00')"
    )
    target = tmp_path / "copy.sqlite3"
    result = runner.invoke(args=["db", "backup", str(target)])
    writer.execute("ROLLBACK")
    writer.close()
    assert result.exit_code == 0, result.output
    assert f"backup written to {target}" in result.output
    restored = create_app({"TESTING": True, "database.url": f"sqlite:///{target}"})
    with restored.extensions["jemput_bola"].session_factory() as s:
        phones = s.execute(select(Contact.phone)).scalars().all()
    assert phones == ["+6281234567001"]  # committed data only, and a database that opens


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("sqlite://", "in-memory SQLite database has nothing to back up"),
        ("sqlite:////nowhere/jemput.sqlite3", "no SQLite database at /nowhere/jemput.sqlite3"),
        ("mysql://u@127.0.0.1/x", "no backup for mysql databases"),
    ],
)
def test_backup_of_what_cannot_be_backed_up_says_why(tmp_path, url, message):
    from bot.backup import BackupError, backup

    with pytest.raises(BackupError, match=message):
        backup(url, tmp_path / "x")


@pytest.mark.skipif(
    not os.environ.get("TEST_DATABASE_URL") or not shutil.which("pg_restore"),
    reason="needs PostgreSQL and its client tools",
)
def test_postgresql_backup_restores_into_a_new_database(tmp_path):
    base = os.environ["TEST_DATABASE_URL"]
    names = [f"jb_backup_{uuid.uuid4().hex[:8]}", f"jb_restore_{uuid.uuid4().hex[:8]}"]
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    root = base.rsplit("/", 1)[0]
    with admin.connect() as conn:
        for name in names:
            conn.execute(text(f"CREATE DATABASE {name}"))
    try:
        source_url, restore_url = (f"{root}/{name}" for name in names)
        app = create_app({"TESTING": True, "database.url": source_url})
        rt = app.extensions["jemput_bola"]
        migrate.upgrade(rt.engine, "head")
        add_contact(app, "+6281234567003")
        target = tmp_path / "jemput.dump"
        result = app.test_cli_runner().invoke(args=["db", "backup", str(target)])
        assert result.exit_code == 0, result.output
        rt.engine.dispose()
        done = subprocess.run(
            ["pg_restore", "--no-owner", "--dbname", restore_url, str(target)],
            capture_output=True,
            text=True,
        )
        assert done.returncode == 0, done.stderr
        restored = create_engine(restore_url)
        with restored.connect() as conn:
            phones = conn.execute(text("SELECT phone FROM contact")).scalars().all()
        restored.dispose()
        assert phones == ["+6281234567003"]
    finally:
        with admin.connect() as conn:
            for name in names:
                conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        admin.dispose()
