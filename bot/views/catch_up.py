"""Block Kit for a catch-up: more than three missed days summarised at once are
one message, oldest first, with the chart and one line per day; each day's full
summary on request (its "Show day" button, answered to the person who asked).

Plain data in (a project, the days' SummaryFacts oldest first), (text, blocks)
out. Like a daily summary, it names every local date as YYYY-MM-DD.
"""

from __future__ import annotations

from typing import Sequence

from bot import fmt
from bot.monitoring.rules import SummaryFacts
from bot.views.blocks import Block, button, context, plain, section, value
from bot.views.ids import A_SHOW_DAY
from bot.views.monitoring import channel_label, check_words, project_title, summary_chart

FOLD_MIN = 4  # missed days due at once from which they fold into one catch-up message


def catch_up_header(p, facts: Sequence[SummaryFacts]) -> str:
    return f"Payments {fmt.day(facts[0].day.local_date)} to {fmt.day(facts[-1].day.local_date)} · {project_title(p)}"


def catch_up_line(f: SummaryFacts) -> str:
    """One day of a catch-up: its date, day number and status in a line."""
    s = f.day
    head = f"*{fmt.day(s.local_date)}* (day {f.day_n})"
    if not s.source_ok:
        return f"{head}: :warning: the payments source could not be read; the day is read again automatically."
    a = s.addon
    line = (f"{head}: {fmt.plural(a.attempts, channel_label(s.addon_channel) + ' payment')}, "
            f"{fmt.times(f.projection.ratio)} projection, success rate {fmt.pct(a.success_rate)}, "
            f"{fmt.money(a.approved_cents)} approved")
    if f.alerts:
        line += " · :warning: " + ", ".join(check_words(c) for c in f.alerts)
    if f.restated:
        line += f" · restated {f.restated}"
    return line


def catch_up_message(p, facts: Sequence[SummaryFacts]) -> tuple[str, list[Block]]:
    """Several days in one message: the chart of the newest day (it covers the others), a line per day."""
    first, last = facts[0].day.local_date, facts[-1].day.local_date
    flagged = [f for f in facts if f.alerts or not f.day.source_ok]
    text = (f"Payments catch-up for {project_title(p)}, {fmt.day(first)} to {fmt.day(last)}: "
            f"{fmt.plural(len(facts), 'day')} summarised at once, oldest first"
            + (f"; {fmt.plural(len(flagged), 'day')} need a look." if flagged else "; every day on track."))
    blocks: list[Block] = [
        {"type": "header", "text": plain(catch_up_header(p, facts), 150)},
        section(f"*Catch-up*: {fmt.plural(len(facts), 'day')} were due at once, so they are summarised in one "
                "message, oldest first. *Show day* shows that day's full summary to you."
                + (f"\n:warning: *Needs a look*: {', '.join(fmt.day(f.day.local_date) for f in flagged)}"
                   " (alerts in the thread)" if flagged else "\n:large_green_circle: *On track* every day.")),
    ]
    chart = summary_chart(p, facts[-1])
    if chart is not None:
        blocks.append(chart)
    for f in facts:
        d = fmt.day(f.day.local_date)
        blocks.append(section(catch_up_line(f), block_id=f"day_{d}",
                              accessory=button("Show day", A_SHOW_DAY, value(p=p.id, d=d))))
    raised = [f"`{c}` on {fmt.day(f.day.local_date)}" for f in facts for c in f.alerts]
    if raised:
        blocks.append(context(fmt.clip(":warning: Checks raised: " + ", ".join(raised), 2900)
                              + " (details in the thread)"))
    blocks.append(context(f"Local days in {facts[-1].day.tz} · project {p.id}"))
    return text, blocks
