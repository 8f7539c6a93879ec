"""Crash recovery of day claims: a claim held by a process that is gone is taken over at once,
`run-daily` exits non-zero when it could not do what was asked, and catches up missed days;
and a real kill -9 in the middle of run-daily, then the immediate re-run."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from datetime import date, datetime, timezone

from sqlalchemy import func, select

from bot.cli import main
from storage.models import DailySummaryRow
from storage.monitoring import owner_gone
from tests.support.harness import ADMIN, TOKEN
from tests.support.monitoring_support import project, register, shown_days, summary_of

DAY = date(2026, 11, 5)


def _dead_pid() -> int:
    p = subprocess.Popen([sys.executable, "-c", "pass"])
    p.wait()
    return p.pid


def _hold(bot, d: date, owner: str) -> None:
    now = datetime.now(timezone.utc)
    with bot.deps.session_factory() as s:
        s.add(DailySummaryRow(project_id=project(bot).id, local_date=d, data={}, source_ok=False,
                              claimed_by=owner, claimed_at=now, updated_at=now))
        s.commit()


def test_owner_gone_reads_host_and_pid():
    host = socket.gethostname()[:30]
    assert owner_gone(f"{host}:{_dead_pid()}:abcd1234")
    assert not owner_gone(f"{host}:{os.getpid()}:abcd1234")
    assert not owner_gone(f"{host}:{os.getppid()}:abcd1234")
    assert not owner_gone(f"elsewhere:{_dead_pid()}:abcd1234")  # another host's claim expires with its lease
    assert not owner_gone("monitor") and not owner_gone(None)


def test_a_dead_owners_claim_is_taken_over_at_once(cli_env, slack, capsys):
    register(slack)
    _hold(cli_env, DAY, f"{socket.gethostname()[:30]}:{_dead_pid()}:deadbeef#1")
    assert main(["run-daily", "--date", DAY.isoformat()]) == 0
    assert f"{DAY.isoformat()}: summarised" in capsys.readouterr().out
    assert len(summary_of(slack, DAY)) == 1


def test_a_live_owners_claim_is_busy_and_run_daily_exits_non_zero(cli_env, slack, capsys):
    register(slack)
    live = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        _hold(cli_env, DAY, f"{socket.gethostname()[:30]}:{live.pid}:cafe0001")
        assert main(["run-daily", "--date", DAY.isoformat()]) == 1
        assert "busy" in capsys.readouterr().out
        assert summary_of(slack, DAY) == []
    finally:
        live.kill()
        live.wait()


def test_run_daily_catches_up_missed_days(cli_env, slack, capsys):
    register(slack)
    assert main(["run-daily"]) == 0
    out = capsys.readouterr().out
    n = sum(1 for line in out.splitlines() if ": summarised" in line)
    assert n >= 2, out  # every missed day in the last 14, not only yesterday
    assert len(shown_days(slack)) == n  # each in its own summary, or in one catch-up when more than three


def test_kill_9_during_run_daily_then_the_immediate_rerun_finishes(cli_env, slack, db_url):
    register(slack)
    env = {**os.environ, "SLACK_BOT_TOKEN": TOKEN, "ADMIN_USERS": ADMIN, "LOG_LEVEL": "WARNING"}
    with cli_env.deps.session_factory() as s:
        pid = project(cli_env).id

    def claimed() -> int:
        with cli_env.deps.session_factory() as s:
            return s.execute(select(func.count()).select_from(DailySummaryRow)
                             .where(DailySummaryRow.project_id == pid)).scalar_one()

    proc = subprocess.Popen([sys.executable, "-m", "bot", "run-daily"], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while claimed() == 0 and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.005)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    rerun = subprocess.run([sys.executable, "-m", "bot", "run-daily"], env=env, capture_output=True, text=True,
                           timeout=120)
    assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    assert "busy" not in rerun.stdout
    with cli_env.deps.session_factory() as s:
        rows = s.execute(select(DailySummaryRow).where(DailySummaryRow.project_id == pid)).scalars().all()
    assert rows and all(r.posted_at is not None and r.claimed_by is None for r in rows)
    days = [r.local_date for r in rows]
    shown = shown_days(slack)
    assert all(shown.count(d.isoformat()) == 1 for d in days)  # none twice, none missing
