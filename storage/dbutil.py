"""Small SQL helpers that differ by dialect (SQLite, PostgreSQL)."""

from __future__ import annotations

from functools import lru_cache
from typing import Any, Sequence

from sqlmodel import Session


@lru_cache(maxsize=64)
def _insert_ignore_stmt(dialect: str, model: Any, columns: tuple[str, ...], conflict_cols: tuple[str, ...]):
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    table = model.__table__
    # Built once per shape, executed with parameters: building and caching a
    # statement per call costs more than running it.
    return (insert(table).on_conflict_do_nothing(index_elements=list(conflict_cols))
            .returning(table.c[conflict_cols[0]]))


def insert_ignore(s: Session, model: Any, values: dict[str, Any], conflict_cols: Sequence[str]) -> bool:
    """INSERT ... ON CONFLICT DO NOTHING. True when this call inserted the row.

    The claim primitive: of several writers racing to insert the same unique
    key, exactly one gets True, and nobody's transaction is aborted.
    """
    stmt = _insert_ignore_stmt(s.get_bind().dialect.name, model, tuple(sorted(values)), tuple(conflict_cols))
    # Core, on the session's connection: the ORM's bulk-insert path does not report rowcount.
    return s.connection().execute(stmt, values).first() is not None
