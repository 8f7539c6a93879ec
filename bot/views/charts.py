"""Slack's `data_visualization` block: a line (or bar) chart from plain series.

Slack's chart block (https://docs.slack.dev/reference/block-kit/blocks/data-visualization-block):
`type`, `title` (a string of at most 50 characters), `chart` and an optional `block_id`; a line
or bar chart has 1 to 6 `series`, each a `name` and its `data` points (`label`, `value`), and an
`axis_config` whose `categories` are the x labels every point's label is one of, with optional
`x_label` and `y_label`. We keep each series' last 20 points and a message carries at most two
charts. `line_chart` keeps to those limits by construction; the local workspace refuses anything
beyond them.

    {"type": "data_visualization", "title": "...",
     "chart": {"type": "line",
               "series": [{"name": "...", "data": [{"label": "11-20", "value": 38}, ...]}],
               "axis_config": {"categories": ["11-20", ...], "x_label": "...", "y_label": "..."}}}

A missing value is a gap: the series has no point for that label (an unread day is not a 0).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Optional, Sequence

from bot import fmt

TITLE_MAX = 50
SERIES_MAX = 6
POINTS_MAX = 20
CHARTS_PER_MESSAGE = 2
NAME_MAX = 50


@dataclass(frozen=True)
class Series:
    name: str
    points: Sequence[tuple[str, Optional[float]]]  # (x label, y); y None: a gap (left out)


def _categories(series: list[list[str]]) -> list[str]:
    """Every series' labels once, in their order: a label one series lacks (a gap) is placed
    after the label that comes before it in the series that has it."""
    out: list[str] = []
    for labels in series:
        at = 0
        for x in labels:
            if x in out:
                at = out.index(x) + 1
            else:
                out.insert(at, x)
                at += 1
    return out


def line_chart(title: str, series: Sequence[Series], *, kind: str = "line", x_label: str = "",
               y_label: str = "", block_id: Optional[str] = None) -> dict[str, Any]:
    out = []
    for s in list(series)[:SERIES_MAX]:
        pts = [{"label": str(x), "value": round(float(y), 2)} for x, y in list(s.points)[-POINTS_MAX:]
               if y is not None]
        if pts:
            out.append({"name": fmt.clip(s.name, NAME_MAX), "data": pts})
    axis: dict[str, Any] = {"categories": _categories([[p["label"] for p in s["data"]] for s in out])}
    if x_label:
        axis["x_label"] = fmt.clip(x_label, NAME_MAX)
    if y_label:
        axis["y_label"] = fmt.clip(y_label, NAME_MAX)
    b: dict[str, Any] = {"type": "data_visualization", "title": fmt.clip(title, TITLE_MAX),
                         "chart": {"type": kind, "series": out, "axis_config": axis}}
    if block_id:
        b["block_id"] = block_id
    return b
