"""The state the page shows, for one persona, as JSON (Slack's shapes).

What a person sees in Slack: the channels they are in (the Slack Connect one
marked external), the bot's App Home and Messages tab (for people of the
installing organisation), every message with its blocks, reactions and
replies, the ephemeral messages meant for them, their open modals with the
errors the bot returned. The Slack refusals LocalSlack recorded are shown to
everyone: they are the bot's bugs.
"""

from __future__ import annotations

import json
from typing import Any

from bot.sandbox.demo import cast
from bot.sandbox.localslack import LocalSlack, Problem, SlackError

JSON = dict[str, Any]
MAX_PROBLEM_PARAMS = 3000  # characters of a refused call's parameters shown in the panel


def _problem(p: Problem) -> JSON:
    params = json.dumps(p.params, default=str, indent=1)
    if len(params) > MAX_PROBLEM_PARAMS:
        params = params[:MAX_PROBLEM_PARAMS] + "\n…"
    return {"method": p.method, "code": p.code, "detail": list(p.detail), "params": params}


def _channels(slack: LocalSlack, user_id: str) -> list[JSON]:
    ws = slack.ws
    purposes = {c.id: c.purpose for c in cast.CHANNELS}
    out: list[JSON] = []
    with ws.changed:
        channels = list(ws.channels.values())
    for c in channels:
        if user_id not in c.members:
            continue
        if c.is_im:
            if c.im_user != user_id:
                continue
            kind = "app_dm"
        elif c.is_mpim:
            kind = "mpim"
        else:
            kind = "private" if c.is_private else "public"
        out.append({
            "id": c.id, "name": c.name, "kind": kind, "external": c.is_ext_shared,
            "purpose": purposes.get(c.id, ""), "members": sorted(c.members),
        })
    order = {c.id: i for i, c in enumerate(cast.CHANNELS)}
    out.sort(key=lambda c: (c["kind"] == "app_dm", order.get(c["id"], 99), c["name"]))
    return out


def _directory(slack: LocalSlack, user_id: str) -> list[JSON]:
    """Channels a person can find (public ones, and private ones they are in): names for
    <#C…> references and the conversation pickers."""
    ws = slack.ws
    with ws.changed:
        channels = [c for c in ws.channels.values()
                    if not (c.is_im or c.is_mpim) and (not c.is_private or user_id in c.members)]
    return [{"id": c.id, "name": c.name, "kind": "private" if c.is_private else "public",
             "external": c.is_ext_shared} for c in channels]


def _users(slack: LocalSlack) -> dict[str, JSON]:
    ws = slack.ws
    with ws.changed:
        users = list(ws.users.values())
    return {
        u.id: {"id": u.id, "name": u.name, "real_name": u.real_name, "is_bot": u.is_bot,
               "external": u.team_id != ws.internal_team.id, "team": ws.teams[u.team_id].name}
        for u in users
    }


def _conversation(slack: LocalSlack, channel_id: str, user_id: str) -> JSON:
    messages = slack.messages(channel_id)
    ephemerals = [e for e in slack.ephemerals(channel_id, user_id)]
    return {"messages": messages, "ephemerals": ephemerals}


def _view(slack: LocalSlack, view: JSON) -> JSON:
    try:
        view["errors"] = slack.view_errors(view["id"])
    except SlackError:  # closed meanwhile
        view["errors"] = {}
    return view


def state(slack: LocalSlack, user_id: str, *, version: int, features: JSON, daily: JSON) -> JSON:
    me = cast.persona(user_id)
    channels = _channels(slack, user_id)
    conversations = {c["id"]: _conversation(slack, c["id"], user_id) for c in channels}
    home = None if me.external else slack.home(user_id)
    return {
        "version": version,
        "me": {"id": me.user_id, "name": me.name, "real_name": me.real_name, "role": me.role,
               "external": me.external},
        "personas": [{"id": p.user_id, "name": p.name, "real_name": p.real_name, "role": p.role,
                      "external": p.external} for p in cast.PERSONAS],
        "workspace": {"internal": slack.ws.internal_team.name, "external": slack.ws.external_team.name},
        "bot_user_id": slack.bot_user_id,
        "users": _users(slack),
        "channels": channels,
        "directory": _directory(slack, user_id) + [c for c in channels if c["kind"] == "app_dm"],
        "conversations": conversations,
        "home": _view(slack, home) if home else None,
        "modals": [_view(slack, v) for v in slack.views(user_id)],
        "problems": {"errors": [_problem(p) for p in slack.errors],
                     "warnings": [_problem(p) for p in slack.warnings]},
        "features": features,
        "daily": daily,
    }
