"""`addon-bot run-daily` and `addon-bot backtest`, run as the console script runs
them, against the local Slack workspace and the loopback simulator."""

from __future__ import annotations

import json
import re
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from bot.cli import main
from storage import repo
from storage.models import Alert, DailySummaryRow, Post
from tests.support.harness import ADMIN, MGR
from tests.support.monitoring_support import (
    BILLER, GOLIVE, profile, project, register, summaries, summary_of,
)


def counts(bot) -> tuple[int, int, int]:
    with bot.deps.session_factory() as s:
        return tuple(s.execute(select(func.count()).select_from(t)).scalar_one()
                     for t in (DailySummaryRow, Alert, Post))


def test_run_daily_twice_posts_once(cli_env, slack, capsys):
    register(slack)
    assert main(["run-daily", "--date", "2026-11-05"]) == 0
    out = capsys.readouterr().out
    assert "2026-11-05: summarised" in out and "1 summarised" in out
    assert len(summary_of(slack, date(2026, 11, 5))) == 1
    posted = len(slack.calls_to("chat.postMessage"))
    assert main(["run-daily", "--date", "2026-11-05", "--project", BILLER]) == 0
    assert "2026-11-05: unchanged" in capsys.readouterr().out
    assert len(slack.calls_to("chat.postMessage")) == posted
    assert len(summaries(slack)) == 1


def test_backtest_json_prints_one_object_a_line_and_stores_nothing(cli_env, slack, sim, capsys):
    sim.set_biller(BILLER, profile(overrides={date(2026, 11, 4): {"addon_factor": 0.0}}))
    register(slack)
    before = counts(cli_env)
    p = project(cli_env)
    assert main(["backtest", "--project", str(p.id), "--from", "2026-11-02", "--to", "2026-11-06", "--json"]) == 0
    lines = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert lines and all(set(x) == {"date", "check", "severity", "message"} for x in lines)
    assert {"date": "2026-11-04", "check": "no_payments"}.items() <= next(
        x for x in lines if x["check"] == "no_payments").items()
    assert counts(cli_env) == before
    assert summaries(slack) == []
    # The plain form says the same in words; the channel id finds the project too.
    assert main(["backtest", "--project", p.channel_id, "--from", "2026-11-04", "--to", "2026-11-04"]) == 0
    out = capsys.readouterr().out
    assert "2026-11-04  critical  no_payments" in out and "nothing was posted or stored" in out


def test_backtest_replays_the_intraday_watch_hour_by_hour(cli_env, slack, sim, capsys):
    day = date(2026, 11, 17)  # two weeks after go-live; the add-on down from 10:00
    sim.set_biller(BILLER, profile(overrides={day: {"outage_from": 10.0}}))
    register(slack)
    p = project(cli_env)
    assert main(["backtest", "--project", str(p.id), "--from", "2026-11-16", "--to", "2026-11-17", "--json"]) == 0
    lines = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    [x] = [x for x in lines if x["check"] == "no_payments"]
    assert x["date"] == "2026-11-17" and x["severity"] == "critical"
    # The simulated day happens to have no payment from 09:00 (its hourly counts: 4, 4, 4 from 06:00, then none).
    m = re.search(r"No payments on ivr since (\d\d:\d\d) today \(.*checked at (\d\d:\d\d)\)", x["message"])
    assert m and "09:00" <= m.group(1) <= "10:00" and m.group(2) <= "13:00", x["message"]


@pytest.mark.parametrize("argv, says", [
    (["run-daily", "--date", "2026-02-30"], "not a real date"),
    (["run-daily", "--date", "yesterday"], "expected YYYY-MM-DD"),
    (["run-daily", "--project", "NOPE-1"], "No project has"),
    (["backtest", "--project", "NOPE-1", "--from", "2026-11-02", "--to", "2026-11-03"], "No project has"),
    (["backtest", "--project", BILLER, "--from", "2026-11-05", "--to", "2026-11-02"], "is after --to"),
    (["backtest", "--project", BILLER, "--from", "2026-10-01", "--to", "2026-10-05"], "goes live on 2026-11-02"),
])
def test_bad_input_is_one_clear_line_and_exit_2(cli_env, slack, capsys, argv, says):
    register(slack)
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert says in err and "\n" not in err and "Traceback" not in err


def test_run_daily_refuses_a_completed_project(cli_env, slack, capsys):
    register(slack)
    with repo.transaction(cli_env.deps.session_factory) as s:
        assert repo.complete(s, project(cli_env), ADMIN)
    assert main(["run-daily", "--project", BILLER, "--date", "2026-11-05"]) == 2
    assert "completed projects are not summarised" in capsys.readouterr().err
    assert summaries(slack) == []


def test_run_daily_skips_days_before_go_live(cli_env, slack, capsys):
    register(slack)
    assert main(["run-daily", "--date", (GOLIVE - timedelta(days=1)).isoformat()]) == 0
    assert "went live on 2026-11-02" in capsys.readouterr().out
    assert summaries(slack) == []


def test_a_big_batch_reads_in_worker_processes_with_the_same_result(cli_env, slack, monkeypatch, capsys):
    import bot.monitoring.pipeline

    register(slack)
    monkeypatch.setattr(bot.monitoring.pipeline, "PROCESS_MIN", 1)  # this one project counts as a big batch
    assert main(["run-daily", "--date", "2026-11-05"]) == 0
    assert "2026-11-05: summarised" in capsys.readouterr().out
    [msg] = summary_of(slack, date(2026, 11, 5))
    assert "day 4 since go-live" in msg["text"]


def test_digest_twice_posts_once(cli_env, slack, capsys):
    register(slack)
    assert main(["digest", "--date", "2026-11-18"]) == 0
    out = capsys.readouterr().out
    assert "week of 2026-11-16: sent" in out
    digests = lambda: [m for m in slack.messages(slack.dm_channel(MGR))  # noqa: E731
                       if (m.get("text") or "").startswith("Post-live digest")]
    assert len(digests()) == 1
    assert main(["digest", "--date", "2026-11-20"]) == 0
    assert "already sent for that week" in capsys.readouterr().out and len(digests()) == 1
    assert main(["digest", "--date", "2026-11-31"]) == 2
    assert "--date" in capsys.readouterr().err
