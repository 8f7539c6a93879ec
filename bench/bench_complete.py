"""How long `/addon complete` takes against a 1,200-row schedule sheet over loopback.

Two figures, each the median of --runs:
  schedule  ScheduleSource.complete alone: the sheet read in pages of 500
            (3 GETs), the summary read, the status PUT
  slack     the whole `/addon complete` as Slack sends it: signed request to the
            bot over HTTP, the schedule as above, the lock and the closing
            report stored, the report and the checklist posted to the local
            Slack workspace, until the confirmation reaches the person

    .venv/bin/python bench/bench_complete.py [--rows 1200] [--runs 5]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.schedule.client import ScheduleClient  # noqa: E402
from bot.schedule.simulator import ScheduleSimulator, make_sheet  # noqa: E402
from bot.schedule.source import ScheduleSource  # noqa: E402
from tests.support.harness import NEW_CMD, PROJ, SPEC, BotHarness, make_workspace  # noqa: E402

TOKEN = "bench-token"


def bench_schedule(sim: ScheduleSimulator, rows: int, runs: int) -> list[float]:
    out = []
    for i in range(runs):
        sid = 9000 + i
        sim.add(make_sheet(sid, f"bench {i}", rows=rows))
        src = ScheduleSource(ScheduleClient(sim.url, TOKEN))
        t = time.perf_counter()
        src.complete(sid)
        out.append(time.perf_counter() - t)
        src.client.close()
    return out


def bench_slack(sim: ScheduleSimulator, rows: int, runs: int) -> list[float]:
    out = []
    for i in range(runs):
        sid = 9100 + i
        sim.add(make_sheet(sid, f"bench slack {i}", rows=rows))
        with tempfile.TemporaryDirectory() as d:
            ws = make_workspace()
            ws.start()
            bot = BotHarness(f"sqlite:///{d}/bench.db", ws, SCHEDULE_API_URL=sim.url,
                             SCHEDULE_API_TOKEN=TOKEN, LOG_LEVEL="ERROR").start()
            try:
                def said(fragment):
                    return any(fragment in (e.get("text") or "") for e in ws.ephemerals(PROJ, SPEC))

                ws.command(SPEC, PROJ, NEW_CMD + f" schedule={sid}")
                ws.wait_for(lambda: said("Registered project"), timeout=30)
                for cmd, seen in (("done monitor ok", "Step 1"), ("skip address none", "Step 2"),
                                  ("done handoff told", "Step 3")):
                    ws.command(SPEC, PROJ, cmd)
                    ws.wait_for(lambda: said(seen), timeout=30)
                t = time.perf_counter()
                ws.command(SPEC, PROJ, "complete")
                ws.wait_for(lambda: said("is complete"), timeout=60)
                out.append(time.perf_counter() - t)
                assert sim.status(sid) == "Complete"
            finally:
                bot.stop()
                ws.stop()
    return out


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=1200)
    ap.add_argument("--runs", type=int, default=5)
    a = ap.parse_args()
    sim = ScheduleSimulator(token=TOKEN)
    sim.start()
    try:
        s = bench_schedule(sim, a.rows, a.runs)
        k = bench_slack(sim, a.rows, a.runs)
    finally:
        sim.stop()
    print(f"rows a sheet: {a.rows:,} (pages of 500), runs: {a.runs}")
    print(f"schedule only (read sheet + summary, PUT status): median {statistics.median(s) * 1000:.0f} ms, "
          f"max {max(s) * 1000:.0f} ms")
    print(f"/addon complete end to end over Slack:            median {statistics.median(k) * 1000:.0f} ms, "
          f"max {max(k) * 1000:.0f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
