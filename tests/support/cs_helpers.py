"""Helpers shared by the Client Services tests (driven through the local Slack)."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

from storage import repo
from storage.models import Case
from tests.support.harness import NEW_CMD, PROJ, SPEC


def block_text(msg) -> str:
    out = [msg.get("text") or ""]
    for b in msg.get("blocks") or []:
        if isinstance(b.get("text"), dict):
            out.append(b["text"].get("text") or "")
        for f in b.get("fields") or []:
            out.append(f.get("text") or "")
        for e in b.get("elements") or []:
            if isinstance(e.get("text"), str):
                out.append(e["text"])
            elif isinstance(e.get("text"), dict):
                out.append(e["text"].get("text") or "")
    return "\n".join(out)


def checklist(slack, channel=PROJ):
    msgs = [m for m in slack.messages(channel) if any(
        b.get("type") == "header" and "Post-live" in b["text"]["text"] for b in m.get("blocks") or [])]
    return msgs[-1] if msgs else None


def ephemeral_texts(slack, channel=PROJ, user=SPEC):
    return [block_text(e) for e in slack.ephemerals(channel, user)]


def wait_ephemeral(slack, fragment, channel=PROJ, user=SPEC, timeout=8.0):
    slack.wait_for(lambda: any(fragment in t for t in ephemeral_texts(slack, channel, user)), timeout=timeout)
    return [t for t in ephemeral_texts(slack, channel, user) if fragment in t][-1]


def dm_texts(slack, user):
    return [block_text(m) for m in slack.messages(slack.dm_channel(user))]


def register(slack, bot):
    slack.command(SPEC, PROJ, NEW_CMD)
    slack.wait_for(lambda: checklist(slack) is not None)
    with bot.deps.session_factory() as s:
        return repo.project_in_channel(s, PROJ).id


def add_item(slack, text, user=SPEC):
    slack.command(user, PROJ, f"item {text}")
    return wait_ephemeral(slack, "Recorded item #", user=user)


def open_modal(slack, user, callback_id, timeout=8.0):
    slack.wait_for(lambda: any(v["callback_id"] == callback_id for v in slack.views(user)), timeout=timeout)
    return [v for v in slack.views(user) if v["callback_id"] == callback_id][-1]


def cases(bot) -> list[Case]:
    from sqlalchemy import select

    with bot.deps.session_factory() as s:
        return list(s.execute(select(Case).order_by(Case.id)).scalars())


def later(minutes: float) -> datetime:
    return datetime.now(timezone.utc) + timedelta(minutes=minutes)


def value(**kw) -> str:
    return json.dumps(kw)


def no_refusals(slack):
    assert slack.errors == [], slack.errors
    assert slack.warnings == [], slack.warnings


def confirm_placeholders(view) -> dict:
    """The tick that sends placeholder contacts, when the preview asks for it (the built-in details)."""
    asks = any(b.get("block_id") == "placeholders" for b in view["blocks"])
    return {"placeholders": {"placeholders": ["send_anyway"]}} if asks else {}


def complete_through_slack(slack, bot, pid: int) -> None:
    """Steps 1-3 by command, then /addon complete through its modal, until the channel says it is archived."""
    for text, step in (("done monitor payers pay", "monitor"), ("skip address nothing left", "address"),
                       ("done handoff told by phone", "handoff")):
        slack.command(SPEC, PROJ, text)
        slack.wait_for(lambda: bot.deps.service.snapshot(pid).step(step).state != "open")
    slack.command(SPEC, PROJ, "complete")
    view = open_modal(slack, SPEC, "complete_project")
    slack.submit_view(SPEC, view["id"], {"schedule": {"confirm": ["all_100"]}})
    slack.wait_for(lambda: any("complete and archived" in (m.get("text") or "") for m in slack.messages(PROJ)))
