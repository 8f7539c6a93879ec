"""Evaluate the anomaly checks on real public daily count series, thinned to add-on volumes.

    .venv/bin/python bench/eval_real.py [--seed N] [--projects 30] [--days 60] [--volumes 5,20,40,80]
                                        [--dataset NAME ...] [--set check_id.name=value ...]

The series (bench/data/, each with its SOURCE and licence in bench/data/SOURCES.md):

    us_births   US daily births 1985-1988: always open, with holiday dips
                (Christmas, Thanksgiving, Independence Day) and a strong weekly rhythm
    nyc_flights departures from the three New York airports in 2013: always open,
                with holidays, a winter storm (8-9 February) and summer peaks
    bank_calls  calls to a North American bank's call centre, March-October 2003:
                closes on weekends and public holidays (Memorial Day, 4 July,
                Labor Day), like an ACH, AutoPay or counter channel; days missing
                from the published series (3 weekdays) are replayed as
                unreadable-source days

Each project takes a random 60-day stretch (with 14 earlier days of
all-channel history for a third of them) and thins it to a target volume (the
median open day = the volume, payments drawn one by one as in
eval_checks.py, the all-channel totals from the same series). Its sales
projection is the volume x an adoption error (0.65-1.5), and half of them ramp
from 70 % to 100 % over their first three weeks, as go-lives do. A quarter are
clean; the others get one or two injected windows, starting on an open day
that is not a public holiday:

    zero_run       no add-on payments for 2-6 days
    surge          2.5-5x for 1-3 days
    failure_spike  35-80 % of attempts fail for 2-4 days
    slump40        the add-on at 0.4x for 5-10 days
    slump60        the add-on at 0.6x for 7-14 days

Slumps start from the 21st day after go-live: they are judged against the
add-on's own normal (drop_vs_baseline needs two weeks of it); earlier, only
a slump far below the projection (below_projection) could be told.

Scored as in eval_checks.py (false alerts per 30 judged project-days, recall
and median delay in days by type), per dataset and volume, against the targets.
"""

from __future__ import annotations

import argparse
import csv
import math
import statistics
import sys
import time
from collections import Counter, defaultdict
from datetime import date, timedelta
from pathlib import Path
from random import Random
from typing import Optional

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import eval_checks as E  # noqa: E402
from bot.checks import DEFAULTS  # noqa: E402

DATA = Path(__file__).resolve().parent / "data"
# name -> (file, calendar, closes on weekends and holidays)
DATASETS: dict[str, tuple[str, str, bool]] = {
    "us_births": ("us_births_1985_1988.csv", "US", False),
    "nyc_flights": ("nyc_flights_2013_hourly.csv", "US", False),
    "bank_calls": ("bank_calls_2003_hourly.csv", "US", True),
}
KINDS: dict[str, tuple[int, int, float]] = {
    "zero_run": (2, 6, 3),
    "surge": (1, 3, 2),
    "failure_spike": (2, 4, 1),
    "slump40": (5, 10, 2),
    "slump60": (7, 14, 2),
}
MAGNITUDE = {"slump40": 0.4, "slump60": 0.6}
SLUMP_FROM = 21  # slumps start from this day after go-live (before it the add-on has no baseline of its own)


def load(name: str) -> tuple[dict[date, int], set[date]]:
    """Daily counts, and the days missing from a series that has its closed days as gaps."""
    fname, _cal, closes = DATASETS[name]
    daily: dict[date, int] = defaultdict(int)
    with open(DATA / fname, newline="") as fh:
        for row in csv.DictReader(fh):
            daily[date.fromisoformat(row["date"])] += int(row["count"])
    first, last = min(daily), max(daily)
    missing: set[date] = set()
    d = first
    while d <= last:
        if d not in daily:
            daily[d] = 0
            if closes and d.weekday() < 5 and not _holiday(name, d):
                missing.add(d)  # a weekday gap in the published series, not a closure
        d += timedelta(days=1)
    return dict(daily), missing


def _holiday(name: str, d: date) -> bool:
    from bot.checks.calendar_days import is_holiday  # bench helper: only where a gap needs telling apart

    return is_holiday(DATASETS[name][1], d)


def make_project(r: Random, pid: int, name: str, daily: dict[date, int], missing: set[date], volume: float,
                 n_days: int, clean: bool) -> E.Project:
    days_all = sorted(daily)
    pre = 14 if r.random() < 1 / 3 else 0
    i0 = r.randrange(pre, len(days_all) - n_days)
    golive = days_all[i0]
    span_days = days_all[i0 - pre: i0 + n_days]
    open_counts = [daily[d] for d in span_days if daily[d] > 0]
    scale = volume / statistics.median(open_counts)
    adoption = min(1.5, max(0.65, r.lognormvariate(0.0, 0.2)))
    p = E.Project(pid, volume * adoption, golive, calendar=DATASETS[name][1])
    ramp = r.random() < 0.5
    share = r.uniform(0.06, 0.35)
    tr = E.Traits(ach_share=r.uniform(0.1, 0.5), median_cents=math.exp(r.uniform(math.log(4_000), math.log(20_000))),
                  return_rate=r.uniform(0.004, 0.012), card_reversal=0.008, dup_rate=0.002,
                  other_per_day=0.0, channel=None if r.random() < 0.1 else r.choice(E.CHANNELS))
    base_fail = r.uniform(0.03, 0.09)
    injected: dict[int, tuple[str, float]] = {}
    if not clean:
        taken: set[int] = set()
        kinds, weights = list(KINDS), [KINDS[k][2] for k in KINDS]
        for _ in range(1 if r.random() < 0.5 else 2):
            kind = r.choices(kinds, weights)[0]
            lo, hi, _w = KINDS[kind]
            length = r.randint(lo, hi)
            for _try in range(40):
                # A slump is judged against the add-on's own normal, which it has from about its third week.
                start = r.randrange(SLUMP_FROM if kind in MAGNITUDE else 0, n_days - length + 1)
                window = [golive + timedelta(days=start + k) for k in range(length)]
                opened = [d for d in window if daily.get(d, 0) > 0 and d not in missing]
                span = set(range(start - 4, start + length + 4))
                # on open days: the window starts on one and has at least two (one for a surge)
                ordinary = daily.get(window[0], 0) > 0 and not _holiday(name, window[0])
                if not span & taken and ordinary and len(opened) >= (1 if kind == "surge" else 2):
                    break
            else:
                continue
            taken |= span
            p.windows.append(E.Window(kind, window[0], window[-1]))
            mag = MAGNITUDE.get(kind) or {"surge": r.uniform(2.5, 5.0), "failure_spike": r.uniform(0.35, 0.8)}.get(kind, 0)
            for k in range(start, start + length):
                injected[k] = (kind, float(mag))
    for i, d in enumerate(span_days):
        k = i - pre
        lam = daily[d] * scale * (min(1.0, 0.7 + 0.3 * k / 21) if ramp and k >= 0 else 1.0)
        other = daily[d] * scale * (1 - share) / share
        plan = E.DayPlan(0.0 if k < 0 else lam, base_fail)
        kind, mag = injected.get(k, (None, 0.0))
        if kind == "zero_run":
            plan.lam = 0.0
        elif kind == "surge":
            plan.lam = max(p.projected, volume) * mag * (daily[d] / statistics.median(open_counts))
        elif kind == "failure_spike":
            plan.fail_p = mag
        elif kind in MAGNITUDE:
            plan.lam *= mag
        if d in missing or r.random() < 0.005:
            plan.source_ok = False
            if k >= 0:
                p.windows.append(E.Window("source_outage", d, d))
        p.days.append(E.make_day(r, pid, d, plan, tr, other))
    return p


def targets(volume: float, closes: bool) -> dict[str, float]:
    t = {"fa30": 1.0 if closes else 0.5, "slump40": 0.9}
    if volume >= 20:
        t.update({"zero_run": 0.95, "surge": 0.9, "slump60": 0.7})
    if volume >= 80:
        t["slump60"] = 0.9
    return t


def evaluate(name: str, volume: float, n_projects: int, n_days: int, seed: int,
             thresholds: dict[str, float]) -> tuple[E.Score, bool, list[str]]:
    daily, missing = load(name)
    r = Random(f"{seed}:{name}:{volume}")
    score = E.Score()
    for pid in range(1, n_projects + 1):
        clean = r.random() < 0.25
        p = make_project(r, pid, name, daily, missing, volume, n_days, clean)
        E.replay(p, score, clean, False, thresholds)
    closes = DATASETS[name][2]
    fa30 = sum(score.false_by_check.values()) / max(1, score.project_days) * 30
    t, misses = targets(volume, closes), []
    if fa30 > t["fa30"]:
        misses.append(f"false alerts {fa30:.2f} > {t['fa30']}")
    for kind in KINDS:
        ws = score.windows.get(kind, [])
        if kind in t and ws:
            rec = sum(w.detected_on is not None for w in ws) / len(ws)
            if rec < t[kind]:
                misses.append(f"{kind} recall {rec:.2f} < {t[kind]}")
    return score, not misses, misses


def row(label: str, score: E.Score, kinds) -> str:
    fa30 = sum(score.false_by_check.values()) / max(1, score.project_days) * 30
    cells = []
    for kind in kinds:
        ws = score.windows.get(kind, [])
        hit = [w for w in ws if w.detected_on is not None]
        if not ws:
            cells.append(f"{'-':>15}")
            continue
        delay = statistics.median((w.detected_on - w.start).days for w in hit) if hit else float("nan")
        cells.append(f"{len(hit) / len(ws):>8.2f} {delay:>2.0f}d{len(ws):>4}")
    return f"{label:<22}{score.project_days:>6}{fa30:>7.2f}" + "".join(cells)


def header(kinds) -> str:
    return (f"{'dataset / volume':<22}{'days':>6}{'FA/30':>7}" + "".join(f"{k:>15}" for k in kinds)
            + "\n" + " " * 35 + "   (recall, median delay, windows)")


def main(argv: Optional[list[str]] = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seed", type=int, default=2026)
    ap.add_argument("--projects", type=int, default=30, help="projects per dataset and volume")
    ap.add_argument("--days", type=int, default=60)
    ap.add_argument("--volumes", default="5,20,40,80")
    ap.add_argument("--dataset", action="append", choices=list(DATASETS))
    ap.add_argument("--set", action="append", default=[], metavar="CHECK.NAME=VALUE")
    args = ap.parse_args(argv)
    thresholds: dict[str, float] = {}
    for item in args.set:
        key, _, value = item.partition("=")
        if key not in DEFAULTS:
            ap.error(f"unknown threshold {key!r}")
        thresholds[key] = float(value)
    t0 = time.perf_counter()
    ok = True
    print(header(KINDS))
    for name in args.dataset or list(DATASETS):
        for v in (float(x) for x in args.volumes.split(",")):
            score, met, misses = evaluate(name, v, args.projects, args.days, args.seed, thresholds)
            ok &= met
            print(row(f"{name} {v:g}/day", score, KINDS) + ("" if met else "   NOT met: " + "; ".join(misses)))
            print(f"{'':<22}false by check: {dict(Counter(score.false_by_check).most_common())}; "
                  f"echoes {score.echoes}")
    print(f"{time.perf_counter() - t0:.0f}s; targets (FA/30 <= 0.5 always-open, <= 1.0 closing; zero_run >= 0.95, "
          f"surge >= 0.9, slump60 >= 0.7 at 20+/day, >= 0.9 at 80; slump40 >= 0.9): " + ("met" if ok else "NOT met"))
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
