"""Alembic environment: the URL comes from the caller (bot.migrate) or the app settings."""

from alembic import context

from bot import models  # noqa: F401  (registers the tables)
from bot.db import Base, make_engine
from bot.migrate import ours

config = context.config
url = config.get_main_option("sqlalchemy.url")
if not url:
    from bot.config import database_url, load_settings

    url = database_url(load_settings())


def run_migrations_offline() -> None:
    context.configure(url=url, target_metadata=Base.metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = make_engine(url)
    with engine.connect() as conn:
        _run(conn)
    engine.dispose()


def _run(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        include_object=ours,
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
