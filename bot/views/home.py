"""The App Home per role: for a specialist, their projects with the next step and
a button to the project channel; for a manager, their team's projects with the
ones needing action (open alerts) first, as in the weekly digest; for everyone,
how to register a project and the last completed ones. Pure."""

from __future__ import annotations

from datetime import datetime

from bot import fmt
from bot.monitoring.digest_rules import digest_rows
from bot.views.blocks import Block, button, context, divider, plain, section, value
from bot.views.ids import A_HOME_REGISTER
from bot.workflow import ProjectSnapshot

MAX_ROWS = 20  # per section: Home views hold 100 blocks


def _open_button(p: ProjectSnapshot) -> dict:
    # Slack's deep link to a channel (https://api.slack.com/reference/deep-linking)
    return {"type": "button", "text": plain("Open the checklist"), "action_id": f"home_open_{p.id}",
            "url": f"https://slack.com/app_redirect?channel={p.channel_id}"}


def home_view(user_id: str, mine: list[ProjectSnapshot], team: list[ProjectSnapshot],
              completed: list[ProjectSnapshot], now: datetime, *, can_register: bool = True) -> dict:
    today = now.date()
    blocks: list[Block] = [{"type": "header", "text": plain("Your post-live projects", 150)}]
    if mine:
        blocks.append(section("*As specialist*: your projects and the next step of each"))
        for r in digest_rows(mine, today, now)[:MAX_ROWS]:
            p = r.project
            need = f" · :warning: {'; '.join(r.needs)}" if r.needs else ""
            blocks.append(section(f"*{fmt.clip(p.addon, 80)}* · {p.biller_id} · {fmt.channel(p.channel_id)} · "
                                  f"day {r.day_n}\nNext: *{r.next_step}*{need}", accessory=_open_button(p)))
    if team:
        rows = digest_rows(team, today, now)
        need = [r for r in rows if r.needs]
        blocks.append(divider())
        blocks.append(section(f"*As manager*: {fmt.plural(len(rows), 'open project')}, "
                              f"{len(need)} needing action first (`/addon digest` for the weekly digest)"))
        for r in rows[:MAX_ROWS]:
            p = r.project
            icon = ":warning:" if r.needs else ":large_green_circle:"
            what = "; ".join(r.needs) if r.needs else "on track"
            blocks.append(section(f"{icon} *{p.biller_id}* · {fmt.clip(p.addon, 60)} · {fmt.channel(p.channel_id)}"
                                  f" · day {r.day_n}: {what}. Next: {r.next_step}", accessory=_open_button(p)))
    if not mine and not team:
        blocks.append(section("You have no open post-live projects."))
    blocks.append(divider())
    if can_register:
        blocks.append(section("*Register a project*: the form asks for its internal project channel. In that "
                              "channel, `/addon new` opens the same form (or give every field in one line; "
                              "`/addon help` shows them).",
                              accessory=button("Register a project", A_HOME_REGISTER, value(), style="primary")))
    if completed:
        blocks.append(section("*Last completed*\n" + "\n".join(
            f"• {p.biller_id} · {fmt.clip(p.addon, 60)} · completed "
            f"{fmt.day(p.completed_at.date()) if p.completed_at else '—'} · {fmt.channel(p.channel_id)}"
            for p in completed[:5])))
    blocks.append(context("`/addon help` in any channel lists the commands."))
    return {"type": "home", "blocks": blocks[:100]}
