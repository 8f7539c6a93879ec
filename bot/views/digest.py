"""Block Kit for the weekly post-live digest: headed `Post-live digest`, one line
per open project (naming its biller id, what needs action, the next step), the
ones needing action first, and a chart of the portfolio. Pure."""

from __future__ import annotations

from datetime import date

from bot import fmt
from bot.monitoring.digest_rules import POST_LIVE_TARGET_DAYS, DigestRow
from bot.views.blocks import Block, context, section
from bot.views.charts import POINTS_MAX, Series, line_chart

HEADER = "Post-live digest"
LINES_PER_SECTION = 12  # keeps each section well under Slack's 3,000 characters


def _line(r: DigestRow) -> str:
    p = r.project
    head = f"*{p.biller_id}* · {fmt.clip(p.addon, 60)} · {fmt.channel(p.channel_id)} · day {r.day_n}"
    if r.needs:
        return f":warning: {head}: {'; '.join(r.needs)}. Next: {r.next_step}"
    return f":large_green_circle: {head}: on track. Next: {r.next_step}"


def digest_message(manager_id: str, week: date, rows: list[DigestRow]) -> tuple[str, list[Block]]:
    need = [r for r in rows if r.needs]
    title = f"{HEADER} · week of {fmt.day(week)}"
    text = (f"{HEADER} for {fmt.user(manager_id)}, week of {fmt.day(week)}: {fmt.plural(len(rows), 'open project')}, "
            f"{len(need)} needing action.")
    blocks: list[Block] = [{"type": "header", "text": {"type": "plain_text", "text": title, "emoji": True}},
                           section(f"{fmt.plural(len(rows), 'open project')} in post-live, "
                                   f"*{len(need)} needing action* first.")]
    if not rows:
        blocks.append(section("No open post-live project of yours this week."))
        return text, blocks
    lines = [_line(r) for r in rows]
    for i in range(0, min(len(lines), 40 * LINES_PER_SECTION), LINES_PER_SECTION):
        blocks.append(section("\n".join(lines[i:i + LINES_PER_SECTION])))
    shown = rows[:POINTS_MAX]
    blocks.append(line_chart(
        "Days in post-live by project", [
            Series("Days in post-live", [(r.project.biller_id, r.day_n) for r in shown]),
            Series(f"Target ({POST_LIVE_TARGET_DAYS} days)", [(r.project.biller_id, POST_LIVE_TARGET_DAYS)
                                                              for r in shown]),
        ], kind="bar", x_label="biller", y_label="days", block_id="portfolio"))
    blocks.append(context(f"Open alerts: {sum(r.project.open_alerts for r in rows)} · target "
                          f"{POST_LIVE_TARGET_DAYS} days in post-live · `/addon digest` shows this now"))
    return text, blocks
