"""`addon-bot run-daily` and `addon-bot backtest` (bot.cli calls these).

Both go through bot.monitoring.pipeline.Monitor, the same code as the scheduler. Bad
input gets one clear line on stderr and exit status 2.
"""

from __future__ import annotations

import json
import os
import re
import sys
from datetime import date, datetime, timezone
from typing import Optional

from bot.errors import NotFound
from bot.suggest import date_problem
from bot.monitoring.pipeline import Monitor, skip_reason
from bot.monitoring.rules import local_now, yesterday
from bot.monitoring.wiring import make_source
from bot.runtime import Runtime
from bot.settings import SettingsError, require
from storage import repo
from storage.db import SessionFactory, make_engine
from storage.monitoring import open_projects

MAX_BACKTEST_DAYS = 366
_STATUS = {
    "busy": "busy: another running instance holds this day; not summarised by this run",
    "completed": "completed meanwhile: not summarised",
    "failed": "failed (logged); the day is retried by the scheduler",
}


class _Bad(Exception):
    pass


def _day(value: Optional[str], flag: str) -> Optional[date]:
    if value is None:
        return None
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value.strip()):
        raise _Bad(f"{flag} {value!r} is not a date; expected YYYY-MM-DD, e.g. 2026-11-05")
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise _Bad(f"{flag} {value} is not a real date ({date_problem(value.strip()) or 'not a day'}); "
                   "expected YYYY-MM-DD") from None


def _fail(cmd: str, text: str) -> int:
    print(f"addon-bot {cmd}: {text}", file=sys.stderr)
    return 2


def run_daily(settings, args) -> int:
    try:
        d = _day(args.date, "--date")
        require(settings, "SLACK_BOT_TOKEN", why="to post the summaries (the bot token, xoxb-…)")
    except _Bad as e:
        return _fail("run-daily", str(e))
    rt = Runtime.start(settings, scheduler=False, token_verification=False)
    try:
        deps = rt.deps
        monitor = deps.monitor
        monitor.processes = min(4, os.cpu_count() or 1)  # a big batch reads in worker processes
        now = deps.clock()
        if args.project:
            try:
                p = deps.service.find(args.project)
            except NotFound as e:
                return _fail("run-daily", e.message.replace("`", ""))
            why = skip_reason(p, d or yesterday(now, p.tz), now)
            if why:
                return _fail("run-daily", f"project {p.id} ({p.biller_id}) {why}.")
            projects = [p]
        else:
            with deps.session_factory() as s:
                projects = open_projects(s)
        counts: dict[str, int] = {}
        alerts = 0
        for p, r in monitor.run_daily(projects, d, now):
            if isinstance(r, str):  # not summarised, and why
                status, day, line = "skipped", d or yesterday(now, p.tz), r
            else:
                status, day, line = r.status, r.local_date, _STATUS.get(r.status, r.status)
                if not r.source_ok:
                    line += " (the payments source could not be read: reported as source_unavailable)"
                if r.new_alerts:
                    line += f"; new alerts: {', '.join(r.new_alerts)}"
                    alerts += len(r.new_alerts)
            counts[status] = counts.get(status, 0) + 1
            print(f"project {p.id} ({p.biller_id}) {day.isoformat()}: {line}")
        sent = monitor.notifier.drain(deps.clock())
        sent.sent += monitor.sent_in_background.sent
        sent.failed += monitor.sent_in_background.failed
        totals = ", ".join(f"{n:,} {k}" for k, n in sorted(counts.items())) or "no open project"
        print(f"run-daily: {totals}; {alerts:,} new alert(s); {sent.sent:,} post(s) sent"
              + (f", {sent.failed:,} failed and queued for retry" if sent.failed else "")
              + (f", {sent.waiting:,} waiting for their thread" if sent.waiting else ""))
        # Non-zero whenever this run could not do what was asked (a day failed, or is held elsewhere).
        return 1 if counts.get("failed") or counts.get("busy") or sent.failed else 0
    finally:
        rt.stop()


def backtest(settings, args) -> int:
    try:
        first, last = _day(args.date_from, "--from"), _day(args.date_to, "--to")
        if first > last:
            raise _Bad(f"--from {first} is after --to {last}")
        if (last - first).days + 1 > MAX_BACKTEST_DAYS:
            raise _Bad(f"the range is {(last - first).days + 1:,} days; at most {MAX_BACKTEST_DAYS} at a time")
    except _Bad as e:
        return _fail("backtest", str(e))
    engine = make_engine(settings.DATABASE_URL)
    sf = SessionFactory(engine)
    try:
        with sf() as s:
            p = repo.find_project(s, args.project)
    except NotFound as e:
        return _fail("backtest", e.message.replace("`", ""))
    except repo.DatabaseError as e:
        return _fail("backtest", f"cannot read projects from {engine.url.render_as_string()}: "
                                 f"{str(e.orig).splitlines()[0]} (run `addon-bot db upgrade` first?)")
    now = datetime.now(timezone.utc)
    if last < p.golive:
        return _fail("backtest", f"project {p.id} ({p.biller_id}) goes live on {p.golive}; "
                                 "the checks judge days from go-live on")
    if last >= local_now(now, p.tz).date():
        return _fail("backtest", f"--to {last} is not over yet in {p.tz}")
    source, stops = make_source(settings)
    try:
        monitor = Monitor(sf, source, None, clock=lambda: now, summary_time=settings.summary_time,
                          thresholds=settings.check_thresholds, default_calendar=settings.DEFAULT_CALENDAR)
        n_days = n_alerts = 0
        for d, findings in monitor.backtest(p, first, last):
            n_days += 1
            for f in findings:
                n_alerts += 1
                if args.json:
                    print(json.dumps({"date": d.isoformat(), "check": f.check, "severity": f.severity,
                                      "message": f.message}), flush=True)
                else:
                    print(f"{d.isoformat()}  {f.severity:<8}  {f.check:<18}  {f.message}", flush=True)
        if not args.json:
            print(f"backtest of project {p.id} ({p.biller_id}): {n_alerts:,} alert(s) over {n_days:,} day(s); "
                  "nothing was posted or stored.")
        return 0
    finally:
        for stop in stops:
            stop()
        engine.dispose()



def digest(settings, args) -> int:
    """Every manager's weekly digest for the week of --date (default: today), now; once per week."""
    try:
        d = _day(args.date, "--date")
        require(settings, "SLACK_BOT_TOKEN", why="to post the digests (the bot token, xoxb-…)")
    except _Bad as e:
        return _fail("digest", str(e))
    rt = Runtime.start(settings, scheduler=False, token_verification=False)
    try:
        results = rt.deps.digest.run(d)
        for manager, week, queued in results:
            how = "sent" if queued else "already sent for that week: not sent again"
            print(f"digest for {manager}, week of {week.isoformat()}: {how}")
        sent = rt.deps.notifier.drain(rt.deps.clock())
        new = sum(1 for *_, queued in results if queued)
        print(f"digest: {len(results):,} manager(s), {new:,} new"
              + (f"; {sent.failed:,} failed and queued for retry" if sent.failed else ""))
        return 1 if sent.failed else 0
    finally:
        rt.stop()


__all__ = ["run_daily", "backtest", "digest", "SettingsError"]
