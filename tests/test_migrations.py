"""Migrations run up, down and up again on each database, and match the models."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from bot.db import Base, make_engine
from bot.migrate import downgrade, ours, upgrade


def test_upgrade_downgrade_upgrade(db_url):
    engine = make_engine(db_url)
    try:
        downgrade(engine, "base")
        assert "contact" not in inspect(engine).get_table_names()
        upgrade(engine)
        names = set(inspect(engine).get_table_names())
        assert {t.name for t in Base.metadata.sorted_tables} <= names
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"include_object": ours})
            diff = compare_metadata(context, Base.metadata)
        assert diff == [], f"models and migrations differ: {diff}"
    finally:
        engine.dispose()


def test_cli_upgrade_is_idempotent(runner):
    first = runner.invoke(args=["db", "upgrade"])
    second = runner.invoke(args=["db", "upgrade"])
    assert first.exit_code == 0 and second.exit_code == 0, first.output + second.output
    assert "database at head" in second.output


def test_cli_district_load(runner):
    result = runner.invoke(args=["district", "load"])
    assert result.exit_code == 0, result.output
    assert "areas" in result.output and "workers" in result.output
