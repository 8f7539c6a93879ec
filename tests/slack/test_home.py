"""The App Home per role: a specialist sees their projects with the next step and
a button to each; a manager sees their team's projects with those needing action
first; everyone sees how to register and the last completed projects."""

from __future__ import annotations

import json
from storage import repo
from tests.slack.test_slack_workflow import register
from tests.support.harness import ADMIN, BILLER, COLL, MGR, OTHER, PROJ, SHARED, SPEC
from tests.support.monitoring_support import utc


def _home(slack, user):
    """The home as published after this opening (not an earlier one)."""
    before = len(slack.calls_to("views.publish"))
    slack.open_home(user)
    slack.wait_for(lambda: len(slack.calls_to("views.publish")) > before and slack.home(user) is not None)
    return json.dumps(slack.home(user))


def test_the_home_differs_by_role(bot, slack):
    register(slack)
    bot.deps.clock = lambda: utc(2026, 11, 4, 15, 0)
    spec = _home(slack, SPEC)
    assert "As specialist" in spec and "Next: *1. Monitor service*" in spec and "As manager" not in spec
    assert f"app_redirect?channel={PROJ}" in spec
    mgr = _home(slack, MGR)
    assert "As manager" in mgr and "1 open project" in mgr and "As specialist" not in mgr
    other = _home(slack, COLL)
    assert "You have no open post-live projects" in other and "Register a project" in other


def test_the_manager_sees_projects_needing_action_first_and_the_last_completed(bot, slack):
    register(slack)
    bot.deps.clock = lambda: utc(2026, 12, 20, 15, 0)  # well past the 30-day target
    mgr = _home(slack, MGR)
    assert ":warning: *CITY-42*" in mgr and "target 30" in mgr
    with repo.transaction(bot.deps.session_factory) as s:
        assert repo.complete(s, repo.project_in_channel(s, PROJ), ADMIN)
    done = _home(slack, COLL)
    assert "Last completed" in done and "CITY-42" in done
    assert "As manager" not in _home(slack, MGR)


FORM = {"biller": {"biller": "TOWN-7"}, "addon": {"addon": "Text to pay"}, "golive": {"golive": "2026-11-09"},
        "projected": {"projected": "12"}, "manager": {"manager": MGR}, "specialists": {"specialists": [COLL]},
        "tz": {"tz": "America/Denver"}}


def _register_form_from_home(slack, user):
    _home(slack, user)
    home = slack.home(user)
    [button] = [b["accessory"] for b in home["blocks"] if (b.get("accessory") or {}).get("action_id") == "home_register"]
    assert button["text"]["text"] == "Register a project"
    before = len(slack.views(user))
    slack.click(user, action_id="home_register", view_id=home["id"])
    slack.wait_for(lambda: len(slack.views(user)) > before)
    return [v for v in slack.views(user) if v["callback_id"] == "register_project"][-1]


def test_anyone_registers_a_project_from_the_home_picking_its_channel(bot, slack):
    view = _register_form_from_home(slack, COLL)
    assert view["blocks"][0]["block_id"] == "channel"
    assert view["blocks"][0]["element"]["type"] == "conversations_select"
    r = slack.submit_view(COLL, view["id"], {**FORM, "channel": {"channel": OTHER}})
    assert r.status_code == 200 and not r.text.strip().startswith('{"response_action"'), r.text
    slack.wait_for(lambda: bot.deps.service.project_in_channel(OTHER) is not None)
    p = bot.deps.service.project_in_channel(OTHER)
    assert (p.biller_id, p.addon, p.tz) == ("TOWN-7", "Text to pay", "America/Denver")
    slack.wait_for(lambda: any("Post-live checklist" in (m.get("text") or "") for m in slack.messages(OTHER)))


def test_the_home_form_refuses_a_shared_or_taken_channel_and_changes_nothing(bot, slack):
    register(slack)  # PROJ has its project
    view = _register_form_from_home(slack, COLL)
    for channel, words in ((PROJ, "already has an open post-live project"), (SHARED, "shared with another")):
        r = slack.submit_view(COLL, view["id"], {**FORM, "channel": {"channel": channel}})
        body = r.json()
        assert body["response_action"] == "errors" and words in body["errors"]["channel"], body
    assert bot.deps.service.project_in_channel(SHARED) is None


def test_an_external_person_gets_no_register_button(bot, slack):
    slack.open_home(BILLER)
    slack.wait_for(lambda: slack.home(BILLER) is not None)
    assert "home_register" not in json.dumps(slack.home(BILLER))
