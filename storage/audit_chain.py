"""The tamper-evident audit trail: each audit row carries a hash chained to the previous row
of the same project, sha256(previous hash, the row's fields); a completed project stores the
chain's last hash (`project.audit_head`). `verify` recomputes every chain and reports each break:
a row changed, inserted, removed (a gap in the chain, or a head that no longer matches)."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timezone
from typing import Optional

from sqlalchemy import select
from sqlmodel import Session

from storage.models import Audit, Project

GENESIS = "0" * 64


def _at(at: datetime) -> str:
    at = at.astimezone(timezone.utc) if at.tzinfo else at.replace(tzinfo=timezone.utc)
    return at.strftime("%Y-%m-%dT%H:%M:%S.%f")


def link(prev: Optional[str], project_id: Optional[int], actor_id: str, action: str, surface: str,
         detail: dict, at: datetime) -> str:
    canon = json.dumps([project_id, actor_id, action, surface, detail, _at(at)], sort_keys=True,
                       separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(((prev or GENESIS) + canon).encode()).hexdigest()


def last_hash(s: Session, project_id: Optional[int]) -> Optional[str]:
    where = Audit.project_id == project_id if project_id is not None else Audit.project_id.is_(None)
    return s.execute(select(Audit.hash).where(where).order_by(Audit.id.desc()).limit(1)).scalar()


def verify(s: Session, project_id: Optional[int] = None) -> tuple[int, list[str]]:
    """(rows checked, problems) for one project's chain, or every project's."""
    stmt = select(Audit).order_by(Audit.id)
    if project_id is not None:
        stmt = stmt.where(Audit.project_id == project_id)
    prev: dict[Optional[int], Optional[str]] = {}
    problems: list[str] = []
    n = 0
    for row in s.execute(stmt).scalars():
        n += 1
        key = row.project_id
        if row.hash is None:
            if prev.get(key) is not None:
                problems.append(f"audit row {row.id} (project {key}) has no hash after a chained row: "
                                "inserted outside the bot")
            continue  # rows written before the chain existed
        want = link(prev.get(key), row.project_id, row.actor_id, row.action, row.surface, row.detail, row.at)
        if want != row.hash:
            problems.append(f"audit row {row.id} (project {key}, {row.action}) does not match its chain: "
                            "changed, or a row before it was changed or removed")
        prev[key] = row.hash
    projects = select(Project).where(Project.locked == True)  # noqa: E712
    if project_id is not None:
        projects = projects.where(Project.id == project_id)
    for p in s.execute(projects).scalars():
        if p.audit_head is not None and p.audit_head != prev.get(p.id):
            problems.append(f"project {p.id}: the audit trail no longer ends where it did at completion "
                            "(rows removed or added after it)")
    return n, problems
