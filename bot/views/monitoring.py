"""Block Kit for the daily payments summary (the alerts are in bot.views.alerts).

Plain data in (a project, SummaryFacts, an alert row), (text, blocks) out;
every message has fallback text. Other programs read two things, so their
form is fixed: an alert's context line starts `check: <id>` and names the
project and the local date; a summary names its local date as YYYY-MM-DD.
"""

from __future__ import annotations

from datetime import date
from typing import Any, Optional

from bot import fmt
from bot.monitoring.rules import Comparison, SummaryFacts
from bot.summary import ChannelStats
from bot.views.blocks import context, divider, plain, section
from bot.views.charts import Series, line_chart
from bot.views.reasons import REASONS

Block = dict[str, Any]


CHANNEL_NAMES = {"ivr": "IVR", "text": "Text", "web": "Web", "mobile": "Mobile", "autopay": "AutoPay",
                 "scheduled": "Scheduled", "agent": "Agent", "other": "Other"}
SEVERITY_ICON = {"critical": ":rotating_light:", "warning": ":warning:", "info": ":information_source:"}
STATE_ICON = {"open": ":red_circle:", "acknowledged": ":eyes:", "dismissed": ":no_entry_sign:",
              "resolved": ":white_check_mark:", "item": ":memo:"}


def channel_label(ch: Optional[str]) -> str:
    return "All channels" if not ch else CHANNEL_NAMES.get(ch, ch)


def project_title(p) -> str:
    return f"{p.addon} · {p.biller_id}"


# ---- the daily summary -----------------------------------------------------------------
def _slice_line(s: ChannelStats) -> str:
    parts = [f"{fmt.count(s.attempts)} attempts", f"{fmt.count(s.approved)} approved",
             f"{fmt.count(s.failed)} declined/failed"]
    if s.pending:
        parts.append(f"{fmt.count(s.pending)} pending")
    line = " · ".join(parts)
    line += (f"\nSuccess rate {fmt.pct(s.success_rate)} · approved volume {fmt.money(s.approved_cents)}"
             f" (average {fmt.money(s.average_cents)}) · reversals {fmt.count(s.reversed)}"
             f" ({fmt.money(s.reversed_cents)})")
    if s.returned:
        line += f", of which ACH returns {fmt.count(s.returned)}"
    return line


def _times(c: Comparison) -> str:
    if c.ratio is None:
        return c.note or "not available"
    return fmt.times(c.ratio)


# What each check found, in words (the id stays beside it: other programs read it).
CHECK_WORDS = {
    "no_payments": "no payments where some were expected",
    "above_projection": "far above the projection",
    "below_projection": "far below the projection",
    "failure_rate": "many declined or failed payments",
    "drop_vs_baseline": "far below the add-on's usual level",
    "duplicate_payments": "likely duplicate payments",
    "outsized_payment": "an unusually large payment",
    "returns": "more ACH returns than usual",
    "source_unavailable": "the payments source could not be read",
}


def check_words(check_id: str) -> str:
    words = CHECK_WORDS.get(check_id)
    return f"{words} (`{check_id}`)" if words else f"`{check_id}`"


def _change(c: Comparison, attempts: int) -> str:
    if c.base is None:
        return c.note or "not available"
    if c.ratio is None:
        return f"{fmt.count(c.base)} attempts there; no basis for a change"
    pct = (c.ratio - 1) * 100
    how = "the same" if abs(pct) < 0.5 else f"{abs(pct):.0f}% {'higher' if pct > 0 else 'lower'}"
    return f"{fmt.count(attempts)} attempts vs {fmt.whole(c.base)}, {how}"


def _mix(d: dict[str, int], total: int, limit: int = 6) -> str:
    if not d:
        return "none"
    items = sorted(d.items(), key=lambda kv: (-kv[1], kv[0]))[:limit]
    return " · ".join(f"{k} {fmt.count(v)}" + (f" ({fmt.pct(v / total, 0)})" if total else "") for k, v in items)


def _reasons(d: dict[str, int], total: int, limit: int = 3) -> str:
    """Reasons in words, the code and count in brackets: `insufficient funds (insufficient_funds 14, 41%)`."""
    if not d:
        return "none"
    items = sorted(d.items(), key=lambda kv: (-kv[1], kv[0]))[:limit]
    out = []
    for code, n in items:
        share = f", {fmt.pct(n / total, 0)}" if total else ""
        words = REASONS.get(code)
        out.append(f"{words} ({code} {fmt.count(n)}{share})" if words else f"{code} {fmt.count(n)}{share}")
    return " · ".join(out)


def status_line(f: SummaryFacts) -> str:
    """The summary's first line: on track, or needs a look and why."""
    a = f.day.addon
    head = f"{fmt.plural(a.attempts, 'payment')}, {fmt.times(f.projection.ratio)} projection"
    if f.projection.ratio == 0:
        head = f"0 payments against a projection of {fmt.whole(f.projected)} a day"
    elif f.projection.ratio is None:
        head = f"{fmt.plural(a.attempts, 'payment')} (no projection to compare with)"
    if f.alerts:
        return f":warning: *Needs a look*: {head}; the checks found " + ", ".join(check_words(c) for c in f.alerts)
    return f":large_green_circle: *On track*: {head}"


def summary_chart(p, f: SummaryFacts) -> Optional[dict]:
    """The add-on's daily attempts since go-live (the last 20 days) beside the
    projection, and the usual level where there is one; None with nothing to draw."""
    days = [(fmt.day(d)[5:], y) for d, y in f.history]
    if not any(y is not None for _, y in days):
        return None
    series = [Series(f"{channel_label(f.day.addon_channel)} attempts", days),
              Series("Projection", [(x, f.projected) for x, _ in days])]
    usual = [(fmt.day(d)[5:], y) for d, y in f.usual]
    if any(y is not None for _, y in usual):
        series.append(Series("Usual level (7-day median)", usual))
    return line_chart(f"Attempts a day since go-live · {p.biller_id}", series,
                      x_label="day", y_label="attempts", block_id="chart")


def summary_header(p, d: date) -> str:
    return f"Payments {fmt.day(d)} · {project_title(p)}"


def summary_message(p, f: SummaryFacts) -> tuple[str, list[Block]]:
    s = f.day
    ch = channel_label(s.addon_channel)
    d = fmt.day(s.local_date)
    blocks: list[Block] = [{"type": "header", "text": plain(summary_header(p, s.local_date), 150)}]
    if not s.source_ok:
        text = (f"Payments summary for {project_title(p)}, {d} (day {f.day_n} since go-live): the payments "
                f"source could not be read, so there are no numbers yet. This is not the same as no payments.")
        blocks.append(section(
            f":warning: *The payments source could not be read for {d}* (day {f.day_n} since go-live): "
            f"`{fmt.clip(s.source_error or 'unknown error', 300)}`\nThis is *not* the same as no payments. "
            "The day is read again automatically and this message is updated with its numbers."))
        blocks.append(context(f"Local day {d} in {s.tz} ({f.hours:g} h) · project {p.id}"))
        return text, blocks
    a = s.addon
    text = (f"Payments summary for {project_title(p)}, {d} (day {f.day_n} since go-live): {ch} "
            f"{fmt.count(a.attempts)} attempts, {fmt.count(a.approved)} approved, success rate "
            f"{fmt.pct(a.success_rate)}, {fmt.money(a.approved_cents)} approved; "
            f"{_times(f.projection)} the projection of {fmt.count(f.projected)}/day.")
    blocks.append(section(status_line(f)))
    blocks.append(section(f"*{ch}* (the add-on), {d}, day {f.day_n} since go-live\n{_slice_line(a)}"))
    if s.addon_channel:
        blocks.append(section(f"*All channels* (for comparison)\n{_slice_line(s.total)}"))
    comp = [
        f"*Against the projection* ({fmt.count(f.projected)} payments/day): {fmt.count(a.attempts)} attempts, "
        f"{_times(f.projection)}",
        f"*Since go-live* ({fmt.plural(f.cumulative_days, 'day')}): {fmt.count(f.cumulative_attempts)} attempts "
        f"against {fmt.whole(f.cumulative.base)} projected, {_times(f.cumulative)}",
        f"*Against {f.median7.label}*: {_change(f.median7, a.attempts)}",
        f"*Against {f.last_week.label}*: {_change(f.last_week, a.attempts)}",
    ]
    blocks.append(section("\n".join(comp)))
    chart = summary_chart(p, f)
    if chart is not None:
        blocks.append(chart)
    detail = [f"*Payment methods ({ch})*: {_mix(a.methods, a.attempts)}"]
    if a.failed:
        detail.append(f"*Top decline reasons ({ch})*: {_reasons(a.decline_reasons, a.failed)}")
    if a.reversed:
        detail.append(f"*Reversal and return reasons ({ch})*: {_reasons(a.return_codes, a.reversed)}")
    if s.addon_channel and s.by_channel:
        detail.append(f"*Attempts by channel*: {_mix(s.by_channel, s.total.attempts, 8)}")
    blocks.append(section("\n".join(detail)))
    blocks.append(divider())
    if f.alerts:
        blocks.append(context(":warning: Checks raised: " + ", ".join(
            f"`{c}`" + (f" ({CHECK_WORDS[c]})" if c in CHECK_WORDS else "") for c in f.alerts)
            + " (details in the thread)"))
    else:
        blocks.append(context(":white_check_mark: No anomaly found by the checks."))
    foot = f"Local day {d} in {s.tz} ({f.hours:g} h) · project {p.id}"
    if f.restated:
        foot += f" · restated {f.restated}: late status changes (returns, refunds) moved the numbers"
    blocks.append(context(foot))
    return text, blocks


def summary_line(f: SummaryFacts) -> str:
    """One line for the checklist's Monitor step."""
    s = f.day
    d = fmt.day(s.local_date)
    if not s.source_ok:
        return f":warning: Latest summary {d} (day {f.day_n}): the payments source could not be read."
    a = s.addon
    return (f"Latest summary {d} (day {f.day_n}): {fmt.count(a.attempts)} {channel_label(s.addon_channel)} "
            f"attempts, {_times(f.projection)} projection, success rate {fmt.pct(a.success_rate)}, "
            f"{fmt.money(a.approved_cents)} approved.")


def computed_now_note(summary_time: str, tz: str) -> dict:
    """Under a summary `/addon summary` computed for one person."""
    return context("Computed now for you only: not posted, not stored. The daily summary is "
                   f"posted in the project channel at {summary_time} {tz}.")
