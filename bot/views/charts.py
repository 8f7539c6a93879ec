"""Slack's `data_visualization` block: a line chart from plain series.

Slack's chart block (https://docs.slack.dev/reference/block-kit/blocks/data-visualization-block)
holds a title of at most 50 characters and 1 to 6 series of at most 20 points
each, and a message carries at most two of them. `line_chart` keeps to those
limits by construction: it keeps each series' last 20 points and the first six
series, and clips the title; the local workspace refuses anything beyond them.

Shape (one point per x label, y a number):

    {"type": "data_visualization", "title": {"type": "plain_text", "text": "..."},
     "alt_text": "...", "chart": {"type": "line", "x_label": "...", "y_label": "...",
     "series": [{"name": "...", "points": [{"x": "11-20", "y": 38}, ...]}]}}
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


def line_chart(title: str, series: Sequence[Series], *, alt_text: str, x_label: str = "",
               y_label: str = "", block_id: Optional[str] = None) -> dict[str, Any]:
    out = []
    for s in list(series)[:SERIES_MAX]:
        pts = [{"x": x, "y": round(float(y), 2)} for x, y in list(s.points)[-POINTS_MAX:] if y is not None]
        if pts:
            out.append({"name": fmt.clip(s.name, NAME_MAX), "points": pts})
    chart: dict[str, Any] = {"type": "line", "series": out}
    if x_label:
        chart["x_label"] = fmt.clip(x_label, NAME_MAX)
    if y_label:
        chart["y_label"] = fmt.clip(y_label, NAME_MAX)
    b: dict[str, Any] = {"type": "data_visualization", "title": {"type": "plain_text",
                                                                   "text": fmt.clip(title, TITLE_MAX)},
                         "alt_text": fmt.clip(alt_text, 2000), "chart": chart}
    if block_id:
        b["block_id"] = block_id
    return b
