"""Benchmark: `addon-bot run-daily` for many projects, next to merely downloading the same pages.

    python bench/bench_run_daily.py [--projects 1000 --payments 500000 --alerting 0.2]

Sets up, in a temporary directory, a SQLite database with N post-live projects
(each its own biller, add-on channel IVR, live on the benchmarked day), the
simulated Biller Portal in a child process and the local Slack workspace in
another (so each gets a core), then measures:

  a. download only: every page of every biller's day through PaymentsClient,
     in this process (after a warm-up pass that plans the simulator's days);
  b. run-daily: `addon-bot run-daily --date D` in a child process: fetch,
     aggregate, check, store in SQLite, post every summary (and alert) to the
     local workspace; wall time inside the command (imports excluded), its CPU
     and peak RSS, and those of the worker processes it reads payments in;
  c. run-daily again: nothing is posted twice (the re-run reads every day again);
  e. Slack's rates: the local workspace answers as Slack's rate limits do
     (`--rates slack`, the default: Tier 2 20/min, Tier 3 50/min, Tier 4
     100/min, chat.postMessage about 1/s per channel; 429 with Retry-After);
     the calls run-daily made per method, and the floor those rates set
     (the slowest method's calls / its rate; for chat.postMessage the busiest
     channel's posts / 1 per second) against the wall time of b.
     `--rates relaxed` multiplies every rate by 1,000 (the workspace and the bot's pacer alike).
     A share of the projects (`--alerting`) is set far below its projection,
     so it raises an alert, DMed to the one manager of every project: that DM
     is the busiest channel, and what Slack's 1 post/s sets the floor by.
     The channel facts are as the serving bot keeps them (learnt at
     registration, re-checked daily); `--cold-facts` starts without them.
  f. `/addon status` acknowledgement (the slash command's HTTP answer) of a
     serving bot (`addon-bot serve` in a child process, the same database and
     workspace), idle before the run and during b: p50 and p99.
  d. memory against volume: run-daily of a few projects at a small and at a
     large daily volume (fresh databases): peak RSS of each, and the
     tracemalloc peak of a re-run (allocations after the start-up imports).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.payments import BillerProfile, PaymentsClient, Simulator, day_window  # noqa: E402
from bot.payments.simulator import DEFAULT_MIX, WEEKLY  # noqa: E402

TZ = "America/New_York"
TOKEN = "xoxb-bench-token"
SECRET = "bench-secret"
MGR = "U0MGR"

RUN = r"""
import json, resource, sys, time, tracemalloc
sys.path.insert(0, {root!r})
from bot.cli import main
# Imports are not the command's work (nor its memory):
import bot.runtime, bot.monitoring.cli, bot.monitoring.wiring, bot.cs.wiring, bot.handlers.alerts, alembic.command
import bot.pacing
if {scale} != 1.0:  # the workspace runs faster than Slack: the bot's pacer is told so
    _init = bot.pacing.Pacer.__init__
    bot.pacing.Pacer.__init__ = lambda self, **kw: _init(self, **{{"scale": {scale}, **kw}})
if {trace}:
    tracemalloc.start()
t0 = time.perf_counter()
rc = main(["run-daily", "--date", {day!r}])
seconds = time.perf_counter() - t0
peak = tracemalloc.get_traced_memory()[1] if {trace} else None
ru = resource.getrusage(resource.RUSAGE_SELF)
rc_ = resource.getrusage(resource.RUSAGE_CHILDREN)  # worker processes, once they have exited
print(json.dumps({{"rc": rc, "seconds": seconds, "maxrss_kib": ru.ru_maxrss, "cpu": ru.ru_utime + ru.ru_stime,
                  "workers_cpu": rc_.ru_utime + rc_.ru_stime, "workers_maxrss_kib": rc_.ru_maxrss,
                  "traced_peak": peak}}))
"""


# ---- child processes -------------------------------------------------------------------
def _serve_payments(queue: Any, stop: Any, profiles: list[tuple[str, float]], day: date) -> None:
    sim = Simulator(seed=0)
    for biller, per_day in profiles:
        sim.set_biller(biller, BillerProfile(per_day=per_day, tz=TZ, addon_channel="ivr", golive=day))
    queue.put(sim.start())
    stop.wait()
    sim.stop()


def _serve_bot(queue: Any, stop: Any, env: dict[str, str], scale: float) -> None:
    """`addon-bot serve --mode http --no-scheduler`, as a second instance beside the cron's run-daily."""
    os.environ.update(env)
    from bot.runtime import Runtime
    from bot.server import ThreadedServer
    from bot.settings import load_settings

    rt = Runtime.start(load_settings(_env_file=None), scheduler=False)
    rt.deps.client.pacer.set_scale(scale)
    server = ThreadedServer(rt.asgi()).start()
    queue.put(f"{server.url}/slack/events")
    stop.wait()
    server.stop()
    rt.stop()


def _probe(ws: Any, channels: list[str], interval: float, halt: Any, out: list[float]) -> None:
    """`/addon status` in each channel in turn (each once: no older copy to retire), every `interval` s;
    the seconds until Slack got the acknowledgement (the HTTP answer to the slash command)."""
    for c in channels:
        if halt.is_set():
            return
        t0 = time.perf_counter()
        try:
            r = ws.command(MGR, c, "status")
            ok = r.status_code == 200
        except Exception:  # noqa: BLE001 - a lost acknowledgement counts as Slack's 3 s timeout
            ok = False
        out.append((time.time(), time.perf_counter() - t0 if ok else 3.0))
        halt.wait(max(0.0, interval - (time.perf_counter() - t0)))


def _serve_slack(queue: Any, commands: Any, channels: list[str], rate_scale: float = 1.0,
                 probe_channels: tuple[str, ...] = ()) -> None:
    import threading
    from collections import Counter

    from bot.sandbox.localslack import LocalSlack

    ws = LocalSlack(signing_secret=SECRET, bot_token=TOKEN, rate_scale=rate_scale)
    ws.add_user(MGR, "maria", team_id="T0INTERNAL")
    for c in list(channels) + list(probe_channels):
        ws.add_channel(c, c.lower(), members=[MGR])
    queue.put(ws.start())
    probing: dict[str, Any] = {}
    probes_left = list(probe_channels)
    while True:
        cmd = commands.get()
        if cmd == "stop":
            break
        if isinstance(cmd, tuple) and cmd[0] == "bot_url":
            ws.bot_url = cmd[1]
            continue
        if isinstance(cmd, tuple) and cmd[0] == "probe":  # ("probe", how many or 0: until probe_stop, interval)
            n, interval = cmd[1], cmd[2]
            use = list(probes_left[:n] if n else probes_left)
            del probes_left[:len(use)]
            halt, out = threading.Event(), []
            t = threading.Thread(target=_probe, args=(ws, use, interval, halt, out), daemon=True)
            t.start()
            probing.update(thread=t, halt=halt, out=out)
            if n:
                t.join()
                queue.put(out)
            continue
        if cmd == "probe_stop":
            probing["halt"].set()
            probing["thread"].join()
            queue.put(probing["out"])
            continue
        probe_set = set(probe_channels)
        posts = [p for p in ws.calls_to("chat.postMessage") if str(p.get("channel")) not in probe_set]
        per_channel = Counter(str(p.get("channel")) for p in posts)
        queue.put({"posts": len(posts), "summaries": sum(1 for p in posts if str(p.get("text", "")).startswith(
            "Payments summary")), "errors": [str(e) for e in ws.errors][:5],
            "calls": dict(Counter(m for m, a in ws.calls if str((a or {}).get("channel")) not in probe_set)),
            "ratelimited": len(ws.ws.rate_limited),
            "max_posts_per_channel": max(per_channel.values(), default=0)})
    ws.stop()


# ---- setup -------------------------------------------------------------------------------
def _fresh_postgres(url: str) -> str:
    """A new empty database `addon_bench` on the server of `url` (dropped first if it is there)."""
    from sqlalchemy import create_engine, make_url, text

    base = make_url(url)
    admin = create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text('DROP DATABASE IF EXISTS "addon_bench" WITH (FORCE)'))
        c.execute(text('CREATE DATABASE "addon_bench"'))
    admin.dispose()
    return base.set(database="addon_bench").render_as_string(hide_password=False)


def _make_db(path: Path, projects: list[tuple[str, str, float]], day: date, probes: tuple[str, ...] = (),
             facts: bool = True, pg: str = "") -> str:
    """Projects as `/addon new` leaves them (their channel facts learnt then, unless not `facts`);
    `probes`: projects live in a month (run-daily skips them), whose channels `/addon status` is probed in."""
    from datetime import datetime, timedelta, timezone

    from storage import channels as channel_facts
    from storage import repo
    from storage.db import SessionFactory, make_engine, upgrade
    from storage.models import Project

    url = _fresh_postgres(pg) if pg else f"sqlite:///{path}"
    engine = make_engine(url)
    upgrade(engine)
    rows = [(b, c, x, day) for b, c, x in projects] + [(f"probe-{c}", c, 10.0, day + timedelta(days=30))
                                                         for c in probes]
    now = datetime.now(timezone.utc)
    with repo.transaction(SessionFactory(engine)) as s:
        for biller, channel, projected, golive in rows:
            p = Project(team_id="T0INTERNAL", biller_id=biller, addon="Pay by phone", pay_channel="ivr",
                        golive=golive, projected_per_day=round(projected, 1), channel_id=channel, manager_id=MGR,
                        specialist_ids=["U0SPEC"], tz=TZ, created_by="U0SPEC")
            repo.create_project(s, p, "U0SPEC", "bench")
            if facts:
                channel_facts.record(s, channel, ext_shared=False, archived=False, now=now)
    engine.dispose()
    return url


def _run_daily(env: dict[str, str], day: date, trace: bool = False, scale: float = 1.0, nice: int = 0) -> dict:
    script = RUN.format(root=str(ROOT), day=day.isoformat(), trace=trace, scale=scale)
    out = subprocess.run((["nice", "-n", str(nice)] if nice else []) + [sys.executable, "-c", script],
                         env={**os.environ, **env}, capture_output=True, text=True, timeout=3600)
    lines = out.stdout.strip().splitlines()
    if out.returncode != 0 or not lines:
        raise SystemExit(f"run-daily failed ({out.returncode}):\n{out.stdout[-2000:]}\n{out.stderr[-3000:]}")
    res = json.loads(lines[-1])
    res["summary_line"] = next((x for x in reversed(lines) if x.startswith("run-daily:")), "")
    return res


def _cpu(pid: int) -> float:
    """CPU seconds (user + system) a process has used so far (Linux /proc; NaN elsewhere)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return float("nan")


def _download(url: str, billers: list[str], day: date) -> tuple[float, int, int]:
    start, end = day_window(day, TZ)
    with PaymentsClient(url) as client:
        t0 = time.perf_counter()
        n = sum(1 for b in billers for _ in client.iter_payments(b, start, end, page_size=500))
        return time.perf_counter() - t0, n, client.page_count


def _env(db_url: str, slack_url: str, pay_url: str) -> dict[str, str]:
    return {"DATABASE_URL": db_url, "SLACK_API_URL": slack_url, "SLACK_BOT_TOKEN": TOKEN,
            "PAYMENTS_API_URL": pay_url, "LOG_LEVEL": "ERROR", "CS_CHANNEL": "", "MANAGERS_CHANNEL": ""}


def _print_rates(counted: dict, seconds: float, projects: int, rates: str, scale: float) -> None:
    from bot.sandbox.localslack.limits import METHOD_TIER, POST_PER_SECOND_PER_CHANNEL, TIER_PER_MINUTE

    calls = counted["calls"]
    floors = {m: n / (TIER_PER_MINUTE[METHOD_TIER[m]] * scale / 60.0) for m, n in calls.items() if m in METHOD_TIER}
    floors["chat.postMessage (busiest channel)"] = counted["max_posts_per_channel"] / (
        POST_PER_SECOND_PER_CHANNEL * scale)
    slowest = max(floors, key=floors.get)
    tier3 = sum(n for m, n in calls.items() if METHOD_TIER.get(m) == 3)
    print(f"e. Slack's rates ({rates}): calls " + ", ".join(f"{m} {n:,}" for m, n in sorted(calls.items())))
    print(f"   Tier-3 calls per project {tier3 / max(1, projects):.2f}; answered 429: {counted['ratelimited']:,}; "
          f"floor {floors[slowest]:.1f} s ({slowest}: {counted['max_posts_per_channel'] if 'postMessage' in slowest else calls.get(slowest, 0):,} "
          f"calls); run-daily {seconds:.1f} s = {seconds / max(floors[slowest], 1e-9):.2f}x the floor")


def _pct(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, max(0, round(q * (len(xs) - 1))))] if xs else float("nan")


def _print_acks(idle_at: list, during_at: list, began: float) -> None:
    idle, during = [x for _, x in idle_at], [x for _, x in during_at]
    print(f"f. /addon status ack: idle p50 {_pct(idle, .5) * 1000:.0f} ms, p99 {_pct(idle, .99) * 1000:.0f} ms "
          f"({len(idle)} probes); during run-daily p50 {_pct(during, .5) * 1000:.0f} ms, p99 "
          f"{_pct(during, .99) * 1000:.0f} ms ({len(during)} probes) = "
          f"{_pct(during, .99) / max(_pct(idle, .99), 1e-9):.2f}x idle; slower than 3 s: "
          f"{sum(1 for x in during if x >= 3.0)}")
    slow = sorted(during_at, key=lambda p: -p[1])[:5]
    print("   slowest during the run (s after its start: ack s): " + ", ".join(
        f"{t - began:.0f}: {x:.2f}" for t, x in slow))


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--projects", type=int, default=1000)
    ap.add_argument("--rates", choices=("slack", "relaxed"), default="slack",
                    help="the workspace's rate limits: Slack's (default) or 1,000 times those")
    ap.add_argument("--payments", type=int, default=500_000, help="payments on the day across all projects")
    ap.add_argument("--date", type=date.fromisoformat, default=date(2026, 3, 11), help="a local day (a Wednesday)")
    ap.add_argument("--alerting", type=float, default=0.2,
                    help="share of projects set far below their projection, so each raises an alert DMed to the manager")
    ap.add_argument("--postgres", default="", metavar="URL",
                    help="the main run on PostgreSQL (a fresh database addon_bench on that server), not SQLite")
    ap.add_argument("--nice", type=int, default=0,
                    help="run-daily under `nice -n N`, as a cron job beside the serving bot may be")
    ap.add_argument("--cold-facts", action="store_true", help="no channel facts known before the run")
    ap.add_argument("--probes", type=int, default=300, help="/addon status probes at most (f; 0: none)")
    ap.add_argument("--mem-projects", type=int, default=10, help="projects of the memory runs (d)")
    ap.add_argument("--mem", type=lambda s: [int(x) for x in s.split(",")], default=[500, 20_000],
                    help="payments a day per project in the memory runs (comma-separated)")
    args = ap.parse_args(argv)
    day = args.date
    per = args.payments / args.projects / WEEKLY[day.weekday()]
    every = round(1 / args.alerting) if args.alerting > 0 else 0
    main_projects = [(f"bench-{i:05d}", f"C1B{i:05d}",
                      per * DEFAULT_MIX["ivr"] / (8 if every and i % every == 0 else 1)) for i in range(args.projects)]
    probes = tuple(f"C3P{i:04d}" for i in range(args.probes))
    scale = 1.0 if args.rates == "slack" else 1000.0
    mem_sets = {n: [(f"mem{n}-{i:03d}", f"C2M{n}X{i:03d}", n * DEFAULT_MIX["ivr"]) for i in range(args.mem_projects)]
                for n in args.mem}
    profiles = [(b, per) for b, _, _ in main_projects]
    profiles += [(b, n / WEEKLY[day.weekday()]) for n, rows in mem_sets.items() for b, _, _ in rows]
    channels = [c for _, c, _ in main_projects] + [c for rows in mem_sets.values() for _, c, _ in rows]
    began = time.perf_counter()
    print(f"run-daily benchmark: {args.projects:,} projects, ~{args.payments:,} payments on {day} ({TZ}); "
          f"{os.cpu_count()} CPU(s); {'PostgreSQL' if args.postgres else 'SQLite'}; simulator and Slack workspace in child processes")

    ctx = mp.get_context("spawn")
    pq, pstop = ctx.Queue(), ctx.Event()
    sq, scmd = ctx.Queue(), ctx.Queue()
    pay = ctx.Process(target=_serve_payments, args=(pq, pstop, profiles, day), daemon=True)
    sl = ctx.Process(target=_serve_slack, args=(sq, scmd, channels, scale, probes), daemon=True)
    bq, bstop = ctx.Queue(), ctx.Event()
    served = None
    pay.start()
    sl.start()
    with tempfile.TemporaryDirectory(prefix="addon-bench-") as tmp:
        try:
            pay_url, slack_url = pq.get(timeout=120), sq.get(timeout=120)
            db_url = _make_db(Path(tmp) / "main.db", main_projects, day, probes, facts=not args.cold_facts,
                              pg=args.postgres)
            billers = [b for b, _, _ in main_projects]
            _download(pay_url, billers, day)  # warm-up: the simulator plans each biller's day once
            cpu0 = (time.process_time(), _cpu(pay.pid))
            a_s, n, pages = _download(pay_url, billers, day)
            cpu_a = (time.process_time() - cpu0[0], _cpu(pay.pid) - cpu0[1])
            print(f"\na. download only:  {n:>9,} payments, {pages:,} pages in {a_s:7.2f} s "
                  f"({n / a_s:,.0f} payments/s); CPU: client {cpu_a[0]:.1f} s, simulator {cpu_a[1]:.1f} s")
            env = _env(db_url, slack_url, pay_url)
            idle, during = [], []
            if probes:
                served = ctx.Process(target=_serve_bot, args=(bq, bstop, {**env, "SLACK_SIGNING_SECRET": SECRET,
                                                                          "LOG_LEVEL": "ERROR"}, scale), daemon=True)
                served.start()
                scmd.put(("bot_url", bq.get(timeout=120)))
                scmd.put(("probe", 3, 0.5))  # warm-up: imports, the user's organisation cached
                sq.get(timeout=120)
                scmd.put(("probe", min(40, len(probes) // 5), 0.5))
                idle = sq.get(timeout=600)
                scmd.put(("probe", 0, 0.5))  # until run-daily is over
            cpu0 = (_cpu(pay.pid), _cpu(sl.pid))
            run_began = time.time()
            b = _run_daily(env, day, scale=scale, nice=args.nice)
            if probes:
                scmd.put("probe_stop")
                during = sq.get(timeout=120)
            scmd.put("count")
            posted = sq.get(timeout=60)
            cpu_b = (_cpu(pay.pid) - cpu0[0], _cpu(sl.pid) - cpu0[1])
            print(f"b. run-daily:      {b['seconds']:7.2f} s = {b['seconds'] / a_s:.2f}x the download; "
                  f"peak RSS {b['maxrss_kib'] / 1024:,.0f} MiB; {posted['summaries']:,} summaries posted "
                  f"({posted['posts']:,} posts in all)")
            print(f"   CPU: run-daily {b['cpu']:.1f} s (+ its worker processes {b['workers_cpu']:.1f} s, peak RSS "
                  f"{b['workers_maxrss_kib'] / 1024:,.0f} MiB each at most), simulator {cpu_b[0]:.1f} s, "
                  f"Slack workspace {cpu_b[1]:.1f} s")
            print(f"   {b['summary_line']}")
            _print_rates(posted, b["seconds"], args.projects, args.rates, scale)
            if probes:
                _print_acks(idle, during, run_began)
            c = _run_daily(env, day, scale=scale)
            scmd.put("count")
            again = sq.get(timeout=60)
            print(f"c. run-daily again: {c['seconds']:6.2f} s; new posts: {again['posts'] - posted['posts']} "
                  f"(nothing is posted twice)")
            if again["errors"]:
                print(f"   Slack refusals: {again['errors']}")
            print(f"\nd. memory against volume ({args.mem_projects} projects a run, fresh database each):")
            for n_day, rows in mem_sets.items():
                url = _make_db(Path(tmp) / f"mem{n_day}.db", rows, day)
                r = _run_daily(_env(url, slack_url, pay_url), day, scale=scale)
                rt = _run_daily(_env(url, slack_url, pay_url), day, trace=True, scale=scale)
                print(f"   {n_day:>7,} payments a project a day ({n_day * len(rows):>9,} in all): "
                      f"peak RSS {r['maxrss_kib'] / 1024:6,.0f} MiB, peak traced after start-up imports "
                      f"(a re-run) {rt['traced_peak'] / 2**20:6.1f} MiB, {r['seconds']:.2f} s")
        finally:
            pstop.set()
            bstop.set()
            scmd.put("stop")
            for proc in (pay, sl) + ((served,) if served is not None else ()):
                proc.join(timeout=15)
                if proc.is_alive():
                    proc.terminate()
    print(f"\ntotal {time.perf_counter() - began:.0f} s")


if __name__ == "__main__":
    main()
