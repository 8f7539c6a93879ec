"""How fast `/addon status` is acknowledged with 2,000 projects in the database.

Starts the bot unmodified over HTTP (or Socket Mode) against the local Slack
workspace, seeds N projects (each with its own channel, steps and a couple of
items), then sends `/addon status` slash commands from several channels and
prints the acknowledgement time at p50/p95/p99: the HTTP round trip of the signed
request, or with `--transport socket` the time from sending the envelope on the
bot's WebSocket to its ack.

    .venv/bin/python bench/bench_status.py [--projects 2000] [--requests 1000] [--database-url URL]
                                           [--transport http|socket] [--rates slack|relaxed]

`--rates relaxed` multiplies Slack's rate limits by 1,000 in the local workspace
(the default, `slack`, keeps Slack's tiers).
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.commands import NewProject  # noqa: E402
from bot.workflow import Actor  # noqa: E402
from storage.db import SessionFactory, make_engine, upgrade  # noqa: E402
from tests.support.harness import SPEC, BotHarness, SocketBotHarness, make_workspace  # noqa: E402


def seed(url: str, n: int) -> list[str]:
    from bot.service import Service

    eng = make_engine(url)
    upgrade(eng)
    svc = Service(SessionFactory(eng))
    actor = Actor(SPEC, "T0INTERNAL", False)
    channels = []
    for i in range(n):
        ch = f"C{i:07d}"
        snap = svc.register(actor, "T0INTERNAL", ch, NewProject(
            biller=f"B-{i}", addon="Pay by phone", golive=date(2026, 10, 1) + timedelta(days=i % 50),
            projected=10 + i % 90, manager="U0MGR"), "command")
        if i % 3 == 0:
            svc.mark_done(actor, snap.id, "monitor", "seeded for the benchmark", "command")
        if i % 5 == 0:
            svc.add_item(actor, snap.id, "IVR prompt wording", "command")
        channels.append(ch)
    eng.dispose()
    return channels


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--projects", type=int, default=2000)
    ap.add_argument("--requests", type=int, default=1000)
    ap.add_argument("--database-url", default=None)
    ap.add_argument("--transport", choices=("http", "socket"), default="http")
    ap.add_argument("--rates", choices=("slack", "relaxed"), default="slack")
    args = ap.parse_args()

    tmp = tempfile.mkdtemp()
    url = args.database_url or f"sqlite:///{tmp}/bench.db"
    t0 = time.perf_counter()
    channels = seed(url, args.projects)
    print(f"seeded {args.projects:,} projects in {time.perf_counter() - t0:.1f}s ({url.split(':')[0]})")

    slack = make_workspace()
    if args.rates == "relaxed" and slack.api.limiter is not None:
        slack.api.limiter.scale = 1000.0  # before the first call: every bucket is made at this scale
    for ch in channels:
        slack.add_channel(ch, ch.lower(), members=[SPEC])
    slack.start()
    bot = (SocketBotHarness if args.transport == "socket" else BotHarness)(url, slack).start()
    try:
        rnd = random.Random(7)
        for ch in channels[:20]:  # warm up: connections, caches
            slack.command(SPEC, ch, "status")
        times = []
        for _ in range(args.requests):
            ch = rnd.choice(channels)
            t = time.perf_counter()
            r = slack.command(SPEC, ch, "status")
            times.append((time.perf_counter() - t) * 1000)
            assert r.status_code == 200, r.status_code
        slack.wait_for(lambda: True, timeout=0.1)
        times.sort()
        q = lambda p: times[min(len(times) - 1, int(p * len(times)))]  # noqa: E731
        how = "Socket Mode envelopes" if args.transport == "socket" else "signed requests"
        print(f"/addon status acknowledgement over {args.requests:,} {how}, {args.projects:,} projects:")
        print(f"  p50 {q(0.50):.1f} ms   p95 {q(0.95):.1f} ms   p99 {q(0.99):.1f} ms   "
              f"max {times[-1]:.1f} ms   mean {statistics.mean(times):.1f} ms")
        time.sleep(2)  # let the posts after the acknowledgements finish
        posted = len([c for c in slack.calls if c[0] == "chat.postMessage"])
        print(f"  checklists posted after acknowledging: {posted:,}; Slack refusals: {len(slack.errors)}")
    finally:
        bot.stop()
        slack.stop()


if __name__ == "__main__":
    main()
