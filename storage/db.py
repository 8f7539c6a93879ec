"""Engine, sessions and migrations for SQLite (embedded) and PostgreSQL."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Engine
from sqlmodel import Session

MIGRATIONS = Path(__file__).parent / "migrations"


def make_engine(url: str, **kw) -> Engine:
    if url.startswith("sqlite"):
        if url.startswith("sqlite:///") and not url.startswith("sqlite:///:memory:"):
            Path(url.removeprefix("sqlite:///")).expanduser().parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30}, **kw)

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn, _rec):  # pragma: no cover - exercised by every sqlite test
            # Let SQLAlchemy, not the driver, begin transactions, and take the
            # write lock at BEGIN so read-then-write never deadlocks.
            dbapi_conn.isolation_level = None
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()

        @event.listens_for(engine, "begin")
        def _begin(conn):  # pragma: no cover
            # Writers take the write lock at BEGIN (see repo.transaction);
            # readers begin deferred and run beside them (WAL).
            immediate = conn.get_execution_options().get("immediate")
            conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=10, **kw)


def alembic_config(engine: Engine) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", engine.url.render_as_string(hide_password=False))
    return cfg


def upgrade(engine: Engine, revision: str = "head") -> None:
    cfg = alembic_config(engine)
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)


def current_revision(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


_HEAD: list[str] = []


def migrations_problem(engine: Engine) -> Optional[str]:
    """None when the database is at the code's migration head; else what differs (readiness)."""
    if not _HEAD:
        from alembic.script import ScriptDirectory  # only the readiness probe reads the scripts: keeps start-up short

        _HEAD.append(ScriptDirectory.from_config(alembic_config(engine)).get_current_head())
    try:
        cur = current_revision(engine)
    except Exception as e:  # noqa: BLE001 - a health check reports, never raises
        return str(e)[:200]
    return None if cur == _HEAD[0] else f"database at migration {cur}, the code expects {_HEAD[0]}"


class SessionFactory:
    """Callable that opens a Session; `expire_on_commit=False` so rows outlive it."""

    def __init__(self, engine: Engine):
        self.engine = engine

    def __call__(self) -> Session:
        return Session(self.engine, expire_on_commit=False)


def ping(session_factory: "SessionFactory") -> Optional[str]:
    """None when the database answers a trivial query; else what went wrong."""
    try:
        with session_factory() as s:
            s.execute(text("SELECT 1"))
        return None
    except Exception as e:  # noqa: BLE001 - a health check reports, never raises
        return str(e)


__all__ = ["Session", "SessionFactory", "make_engine", "upgrade", "current_revision", "ping", "migrations_problem"]
