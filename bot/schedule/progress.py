"""What a sheet says of a project's schedule, as plain data (pure)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Optional

SHOWN = 10  # rows named in a refusal; the rest are counted


@dataclass(frozen=True)
class Progress:
    sheet_id: int
    name: str
    permalink: Optional[str]
    total: int  # rows with a % Complete value
    done: int  # of those, at 100%
    below: tuple[tuple[str, float], ...]  # (task name, fraction 0..1) of every row below 100%
    status: Any = None  # the summary's status field, when read
    simulated: bool = False

    @property
    def complete(self) -> bool:
        return not self.below

    def line(self) -> str:
        """"46 of 48 items at 100%; 2 to go: A (90%), B (50%)"."""
        head = f"{self.done} of {self.total} items at 100%"
        if not self.below:
            return head
        return f"{head}; {len(self.below)} to go: {names(self.below)}"


def pct(v: float) -> str:
    return f"{v * 100:.0f}%" if v * 100 >= 1 or v == 0 else f"{v * 100:.1f}%"


def names(below: tuple[tuple[str, float], ...], shown: int = SHOWN) -> str:
    out = ", ".join(f"{n} ({pct(v)})" for n, v in below[:shown])
    if len(below) > shown:
        out += f" and {len(below) - shown} more"
    return out


def _number(v: Any) -> Optional[float]:
    if isinstance(v, bool) or v is None:
        return None
    if isinstance(v, (int, float)):
        return float(v)
    if isinstance(v, str):
        s = v.strip().rstrip("%")
        if not s:
            return None
        try:
            n = float(s)
        except ValueError:
            return None
        return n / 100 if v.strip().endswith("%") else n
    return None


def progress_of(sheet, percent_column: str, status: Any = None, simulated: bool = False) -> Progress:
    """Count the rows that hold a `% Complete` value (parents, which roll up their
    children, aside); name those below 100%.

    Raises ValueError when the sheet has no such column (a wrong
    SCHEDULE_PERCENT_COLUMN, or the wrong sheet)."""
    cols = {c.get("title"): c for c in sheet.columns}
    col = cols.get(percent_column)
    if col is None:
        raise ValueError(f"sheet {sheet.id} has no column titled {percent_column!r}")
    pid = col["id"]
    primary = next((c["id"] for c in sheet.columns if c.get("primary")), None)
    total = done = 0
    below: list[tuple[str, float]] = []
    # A parent row rolls up its children: the children are the items, counted once.
    parents = {r.get("parentId") for r in sheet.rows if r.get("parentId") is not None}
    for row in sheet.rows:
        if row.get("id") in parents:
            continue
        cells = {c.get("columnId"): c for c in row.get("cells") or []}
        v = _number((cells.get(pid) or {}).get("value"))
        if v is None:
            continue
        total += 1
        if v >= 0.9999:
            done += 1
            continue
        name_cell = cells.get(primary) or {}
        name = name_cell.get("displayValue") or name_cell.get("value") or f"row {row.get('rowNumber') or row['id']}"
        below.append((str(name)[:100], max(0.0, v)))
    return Progress(sheet_id=sheet.id, name=sheet.name, permalink=sheet.permalink, total=total, done=done,
                    below=tuple(below), status=status, simulated=simulated)
