"""Engine and sessions (SQLAlchemy 1.4 in 2.0 style)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from sqlalchemy.orm import Session, declarative_base, sessionmaker
from sqlalchemy.pool import QueuePool

Base = declarative_base()
log = logging.getLogger(__name__)
T = TypeVar("T")


def in_memory(url: str) -> bool:
    """An in-memory SQLite database: private to one connection pool, never shared."""
    return url == "sqlite://" or (url.startswith("sqlite") and ":memory:" in url)


def make_engine(url: str) -> Engine:
    """An engine; SQLite gets foreign keys, a busy timeout and thread sharing for Flask."""
    if url.startswith("sqlite"):
        engine = create_engine(
            url,
            future=True,
            hide_parameters=True,  # error messages and logs never carry message text or phones
            connect_args={"check_same_thread": False, "timeout": 30},
            # a file database keeps its connections open (SQLAlchemy 2.0's default): reopening
            # the file and its pragmas on every transaction costs a millisecond each time
            **({} if in_memory(url) else {"poolclass": QueuePool}),
        )

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):  # pragma: no cover - trivial
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.close()

        return engine
    return create_engine(url, future=True, pool_pre_ping=True, hide_parameters=True)


def make_session_factory(engine: Engine) -> sessionmaker:
    return sessionmaker(bind=engine, future=True, expire_on_commit=False)


@contextmanager
def transaction(factory: sessionmaker) -> Iterator[Session]:
    """One unit of work: commit on success, roll back on any error."""
    session: Session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def is_transient(exc: BaseException) -> bool:
    """A database error worth one more try: the connection was lost (and invalidated), or an
    OperationalError (server restart, failover, 'database is locked')."""
    if not isinstance(exc, DBAPIError) or isinstance(exc, IntegrityError):
        return False
    return bool(exc.connection_invalidated) or isinstance(exc, OperationalError)


def retry_transient(fn: Callable[[], T], retries: int = 1) -> T:
    """Run `fn` (a whole transaction) again, `retries` times, after a transient database
    error; the caller makes it idempotent. The last error propagates."""
    for attempt in range(retries + 1):
        try:
            return fn()
        except DBAPIError as exc:
            if attempt >= retries or not is_transient(exc):
                raise
            log.warning("transient database error (%s); retrying once", type(exc).__name__)
    raise AssertionError("unreachable")  # pragma: no cover
