"""The App Home per role: a specialist sees their projects with the next step and
a button to each; a manager sees their team's projects with those needing action
first; everyone sees how to register and the last completed projects."""

from __future__ import annotations

import json
from storage import repo
from tests.slack.test_slack_workflow import register
from tests.support.harness import ADMIN, COLL, MGR, PROJ, SPEC
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
