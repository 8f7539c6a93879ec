"""What the nudges' one-minute tick costs with many open projects, in working hours.

Each project has one post go-live item open for 8 business days (a reminder due
to its specialist and, past the second threshold, its manager). Two figures,
each the median of --runs:
  first   the tick that queues every reminder (facts read, the outbox rows written)
  steady  every later tick of the week: everything already queued, nothing written
            (what the scheduler pays each minute of working hours)
Sending is left out (no Slack): the outbox's cost is bench_run_daily's.

    .venv/bin/python bench/bench_nudges.py [--projects 1000] [--runs 3] [--database-url URL]

--database-url: an empty database (migrated here), one run; default a new SQLite file per run.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from datetime import date, datetime, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.commands import NewProject  # noqa: E402
from bot.nudges.desk import NudgeDesk  # noqa: E402
from bot.nudges.rules import Thresholds  # noqa: E402
from bot.service import Service  # noqa: E402
from bot.workflow import Actor  # noqa: E402
from storage import repo  # noqa: E402
from storage.db import SessionFactory, make_engine, upgrade  # noqa: E402

SPEC = Actor("U0SPEC", "T0", False)
CHI = ZoneInfo("America/Chicago")


def seed(sf, n: int) -> None:
    svc = Service(sf)
    opened = datetime(2026, 11, 18, 10, tzinfo=CHI)
    for i in range(n):
        cmd = NewProject(biller=f"B{i}", addon="IVR", golive=date(2026, 11, 2), projected=20, manager="U0MGR",
                         tz="America/Chicago", pay_channel="ivr")
        snap = svc.register(SPEC, "T0", f"C{i:07d}", cmd, "command")
        svc.add_item(SPEC, snap.id, "receipts miss the fee line", "command")
        with repo.transaction(sf) as s:
            item = repo.get_item(s, repo.get_project(s, snap.id), 1)
            item.created_at = opened
            repo.save(s, item)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--projects", type=int, default=1000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--database-url")
    a = ap.parse_args()
    firsts, steadies = [], []
    for run in range(a.runs):
        with tempfile.TemporaryDirectory() as tmp:
            url = a.database_url or f"sqlite:///{tmp}/bench.db"
            eng = make_engine(url)
            upgrade(eng)
            sf = SessionFactory(eng)
            seed(sf, a.projects)
            now = datetime(2026, 12, 1, 16, 0, tzinfo=timezone.utc)  # Tuesday 10:00 in Chicago
            desk = NudgeDesk(sf, None, lambda: now, thresholds=Thresholds(), hours=(datetime.min.time()
                             .replace(hour=9), datetime.min.time().replace(hour=17)), default_calendar="US")
            t = time.perf_counter()
            keys = desk.queue(now)
            firsts.append(time.perf_counter() - t)
            assert len(keys) == 2 * a.projects, len(keys)
            t = time.perf_counter()
            assert desk.queue(now) == []
            steadies.append(time.perf_counter() - t)
            eng.dispose()
            if a.database_url:
                break  # one run: the database is not emptied between runs
    print(f"{a.projects:,} open projects, each with a reminder due to 2 people ({'PostgreSQL' if a.database_url else 'SQLite'})")
    print(f"first tick (queues {2 * a.projects:,} reminders): median {statistics.median(firsts):.2f} s "
          f"(max {max(firsts):.2f}, {len(firsts)} runs)")
    print(f"steady tick (all queued): median {statistics.median(steadies):.2f} s "
          f"= {1000 * statistics.median(steadies) / a.projects:.2f} ms a project")
    return 0


if __name__ == "__main__":
    sys.exit(main())
