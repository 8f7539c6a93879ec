"""Evaluate the anomaly checks (bot/checks) on labelled synthetic histories.

    .venv/bin/python bench/eval_checks.py [--seed N] [--projects 100] [--days 60] [--verbose]
                                          [--set check_id.name=value ...] [--real [--real-projects 60]]

With --real it goes on to the real public series of bench/eval_real.py
(US births, New York departures, a bank's call centre that closes on weekends
and holidays), per dataset and volume, with their targets. It ends with the
intraday outage watch, hour by hour (bench/eval_intraday.py): recall and delay
in hours of outages from mid-day at 5/20/40/80 a day, false alerts per 30
project-days.

Each project is a biller that went live with an add-on projected at 5-100
payments a day (log-uniform). Its add-on's real level is the projection x an
adoption factor (0.65-1.5, so projections are off as they are in life), some
projects ramp up over their first three weeks, and every day follows a weekly
rhythm (weekends lower), for half of them a monthly peak around the bills'
due date, day-to-day noise (12 %) and Poisson counts. Payments are
drawn one by one (method, status, amount) so the declines (with payers'
retries after a decline, which cluster them), pending, the odd
ACH return, refund, genuine double submission and amounts are all realistic
noise. The all-channel totals carry the other channels' payments too. A third
of the projects have a fortnight of pre-go-live days in their history, about
1 % of days have an unreadable source, and 25 % of projects are clean.

Anomaly windows are injected into the others (one or two each, apart):

    zero_run       no add-on payments for 2-6 days (the add-on broke)
    surge          2.5-5x the projection (or the real level, when higher) for 1-3 days
    failure_spike  35-80 % of add-on attempts fail for 2-4 days
    slump          add-on at 10-35 % of its level for 3-7 days
    duplicates     4-12 extra double submissions on one day
    outsized       one payment 25-200x the median on one day
    returns        4-10 extra ACH returns on one day
    source_outage  (the unreadable days, labelled so source_unavailable is scored)

The checks are replayed day by day exactly as the live run calls them: the
context is the last history_days_needed() summaries ending at the judged day;
only days on or after go-live are judged. Reported per anomaly type and
overall:

    recall            share of windows where a related check fired on a day inside the window
    median delay      days from the window's first day to the first related finding (0 = same day)
    unrelated         findings of unrelated checks on days inside windows of that type
    false alerts/30d  findings on days outside every window, or of a check unrelated to the
                      window they fall in, per 30 judged project-days (overall, by check, and
                      for the clean projects alone)

No HTTP: the DaySummary objects are built directly. Defaults were tuned on
seeds 1-5; report other seeds.
"""

from __future__ import annotations

import argparse
import math
import statistics
import sys
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from random import Random
from typing import Optional

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bot.checks import (  # noqa: E402
    CHECKS,
    DEFAULTS,
    LOOKBACK_DAYS,
    CheckContext,
    flagged_dates,
    history_days_needed,
    run_checks,
)
from bot.summary import ChannelStats, DaySummary  # noqa: E402

# Monday .. Sunday, mean 1 (the simulator's rhythm).
_W = (1.12, 1.08, 1.04, 1.02, 1.10, 0.70, 0.56)
WEEKLY = tuple(w * 7 / sum(_W) for w in _W)

RELATED: dict[str, frozenset[str]] = {
    "zero_run": frozenset({"no_payments", "below_projection", "drop_vs_baseline"}),
    "surge": frozenset({"above_projection"}),
    "failure_spike": frozenset({"failure_rate"}),
    "slump": frozenset({"below_projection", "drop_vs_baseline", "no_payments"}),
    "slump40": frozenset({"below_projection", "drop_vs_baseline", "no_payments"}),
    "slump60": frozenset({"below_projection", "drop_vs_baseline", "no_payments"}),
    "duplicates": frozenset({"duplicate_payments"}),
    "outsized": frozenset({"outsized_payment"}),
    "returns": frozenset({"returns"}),
    "source_outage": frozenset({"source_unavailable"}),
}
# kind -> (min days, max days, weight among injected windows)
KINDS: dict[str, tuple[int, int, float]] = {
    "zero_run": (2, 6, 3),
    "surge": (1, 3, 2),
    "failure_spike": (2, 4, 2),
    "slump": (3, 7, 2),
    "duplicates": (1, 1, 1),
    "outsized": (1, 1, 1),
    "returns": (1, 1, 1),
}
CHANNELS = ("ivr", "text", "autopay", "web", "mobile")
DECLINES = ("insufficient_funds", "do_not_honor", "card_expired", "invalid_card_number", "avs_mismatch")
VOLUME_BANDS = ((5, 20), (20, 40), (40, 101))  # projected payments a day, for the table by volume
ECHO_DAYS = 2  # a related finding this soon after a detected window is about that window, not a false alert
R_CODES = ("R01", "R01", "R01", "R02", "R03", "R04", "R08", "R10")


@dataclass
class Window:
    kind: str
    start: date
    end: date  # inclusive
    detected_on: Optional[date] = None

    def covers(self, d: date) -> bool:
        return self.start <= d <= self.end


@dataclass
class Project:
    pid: int
    projected: float
    golive: date
    days: list[DaySummary] = field(default_factory=list)
    windows: list[Window] = field(default_factory=list)
    calendar: str = ""  # the public-holiday calendar the checks are given


# ---- sampling (no numpy) -------------------------------------------------------------
def poisson(r: Random, lam: float) -> int:
    """Exact Poisson draw: Knuth's method on chunks of at most 30."""
    n = 0
    while lam > 0:
        part = min(lam, 30.0)
        lam -= part
        limit, k, prod = math.exp(-part), 0, r.random()
        while prod > limit:
            k += 1
            prod *= r.random()
        n += k
    return n


def binomial(r: Random, n: int, p: float) -> int:
    return sum(1 for _ in range(n) if r.random() < p)


# ---- one day ------------------------------------------------------------------------
@dataclass
class DayPlan:
    lam: float  # expected add-on attempts
    fail_p: float
    extra_duplicates: int = 0
    outsized_factor: float = 0.0
    extra_returns: int = 0
    source_ok: bool = True


@dataclass
class Traits:
    ach_share: float
    median_cents: float
    return_rate: float  # per ACH payment that went through
    card_reversal: float
    dup_rate: float
    other_per_day: float  # the other channels' weekly-mean attempts
    channel: Optional[str]


def make_day(r: Random, pid: int, d: date, plan: DayPlan, tr: Traits, other_lam: float) -> DaySummary:
    if not plan.source_ok:
        return DaySummary(
            project_id=pid, biller_id=f"B{pid}", local_date=d, tz="America/New_York",
            addon_channel=tr.channel, source_ok=False, source_error="PaymentsUnavailable: HTTP 503 after 5 attempts",
        )
    a = ChannelStats()
    amounts: list[int] = []
    mu = math.log(tr.median_cents)

    def amount() -> int:
        sigma = 0.55 if r.random() < 0.97 else 1.0  # a few larger (commercial) payers
        return max(100, int(r.lognormvariate(mu, sigma)))

    def add(method: str, status: str, cents: int, code: Optional[str] = None) -> None:
        a.attempts += 1
        a.methods[method] = a.methods.get(method, 0) + 1
        amounts.append(cents)
        if status == "approved":
            a.approved += 1
            a.approved_cents += cents
        elif status == "pending":
            a.pending += 1
        elif status == "failed":
            a.failed += 1
            a.decline_reasons[code or "unknown"] = a.decline_reasons.get(code or "unknown", 0) + 1
        else:
            a.reversed += 1
            a.reversed_cents += cents
            if status == "returned":
                a.returned += 1
            a.return_codes[code or "unknown"] = a.return_codes.get(code or "unknown", 0) + 1

    for _ in range(poisson(r, plan.lam)):
        method = "ach" if r.random() < tr.ach_share else ("card" if r.random() < 0.85 else "wallet")
        cents = amount()
        fail_p = plan.fail_p * (0.4 if method == "ach" else 1.1)
        u = r.random()
        if u < fail_p:
            add(method, "failed", cents, r.choice(DECLINES) if method != "ach" else "invalid_routing_number")
            # Declines cluster: a payer whose card was declined often tries again, and again.
            while r.random() < 0.4:
                if r.random() < 0.5:
                    add(method, "failed", cents, r.choice(DECLINES))
                else:
                    add(method, "approved", cents)
                    break
        elif u < fail_p + 0.01:
            add(method, "pending", cents)
        elif method == "ach" and r.random() < tr.return_rate:
            add(method, "returned", cents, r.choice(R_CODES))
        elif method != "ach" and r.random() < tr.card_reversal:
            add(method, "refunded", cents, "requested_by_customer")
        else:
            add(method, "approved", cents)
    through = a.attempts - a.failed
    natural_dups = poisson(r, through * tr.dup_rate)
    for _ in range(natural_dups + plan.extra_duplicates):
        cents = amount()
        add("card", "approved", cents)  # the second submission
        a.duplicates += 1
    for _ in range(plan.extra_returns):
        add("ach", "returned", amount(), r.choice(R_CODES))
    if plan.outsized_factor > 0:
        add("card", "approved", int(tr.median_cents * plan.outsized_factor))
    if amounts:
        a.max_cents = max(amounts)
        a.median_cents = int(statistics.median(amounts))

    # All channels: the add-on plus the others (counts only matter here).
    other = poisson(r, other_lam) if tr.channel is not None else 0
    other_failed = binomial(r, other, 0.05) if other < 2000 else int(other * 0.05)
    t = ChannelStats(
        attempts=a.attempts + other, approved=a.approved + other - other_failed, pending=a.pending,
        failed=a.failed + other_failed, reversed=a.reversed, returned=a.returned,
        approved_cents=a.approved_cents + int((other - other_failed) * tr.median_cents),
        reversed_cents=a.reversed_cents, max_cents=a.max_cents, median_cents=a.median_cents or int(tr.median_cents),
        duplicates=a.duplicates, methods=dict(a.methods), decline_reasons=dict(a.decline_reasons),
        return_codes=dict(a.return_codes),
    )
    if tr.channel is None:
        t = a
    by_channel = {tr.channel or "web": a.attempts}
    if other:
        by_channel["web"] = by_channel.get("web", 0) + other
    return DaySummary(
        project_id=pid, biller_id=f"B{pid}", local_date=d, tz="America/New_York",
        addon_channel=tr.channel, addon=a, total=t, by_channel=by_channel,
    )


# ---- one project ----------------------------------------------------------------------
def make_project(r: Random, pid: int, n_days: int, clean: bool) -> Project:
    projected = math.exp(r.uniform(math.log(5), math.log(100)))
    adoption = min(1.5, max(0.65, r.lognormvariate(0.0, 0.2)))
    ramp = r.random() < 0.5  # ramps from 70 % to 100 % over the first three weeks
    share = r.uniform(0.06, 0.35)
    channel = None if r.random() < 0.1 else r.choice(CHANNELS)
    tr = Traits(
        ach_share=r.uniform(0.1, 0.5),
        median_cents=math.exp(r.uniform(math.log(4_000), math.log(20_000))),
        return_rate=r.uniform(0.004, 0.012),
        card_reversal=0.008,
        dup_rate=0.002,
        other_per_day=projected * adoption * (1 - share) / share,
        channel=channel,
    )
    base_fail = r.uniform(0.03, 0.09)
    golive = date(2026, 1, 5) + timedelta(days=r.randrange(0, 120))
    pre = 14 if r.random() < 1 / 3 else 0
    p = Project(pid, projected, golive)

    # Anomaly windows (by day offset from go-live), non-overlapping with a gap.
    injected: dict[int, tuple[str, float]] = {}  # day offset -> (kind, magnitude)
    if not clean:
        taken: set[int] = set()
        kinds, weights = list(KINDS), [KINDS[k][2] for k in KINDS]
        for _ in range(1 if r.random() < 0.5 else 2):
            kind = r.choices(kinds, weights)[0]
            lo, hi, _w = KINDS[kind]
            length = r.randint(lo, hi)
            for _try in range(20):
                start = r.randrange(0, n_days - length + 1)
                span = set(range(start - 3, start + length + 3))
                if not span & taken:
                    break
            else:
                continue
            taken |= span
            p.windows.append(Window(kind, golive + timedelta(days=start), golive + timedelta(days=start + length - 1)))
            magnitude = {
                "surge": r.uniform(2.5, 5.0), "failure_spike": r.uniform(0.35, 0.8), "slump": r.uniform(0.1, 0.35),
                "duplicates": r.randint(4, 12), "outsized": r.uniform(25, 200), "returns": r.randint(4, 10),
            }.get(kind, 0.0)
            for i in range(start, start + length):
                injected[i] = (kind, float(magnitude))

    # Utilities see a monthly peak around the bills' due date for about half the projects.
    due_day, due_amp = r.randint(1, 28), (r.uniform(0.2, 0.6) if r.random() < 0.5 else 0.0)

    def monthly(d: date) -> float:
        dist = min(abs(d.day - due_day), 30 - abs(d.day - due_day))
        return (1 + due_amp * math.exp(-0.5 * (dist / 1.5) ** 2)) / (1 + due_amp * 0.125)

    for i in range(-pre, n_days):
        d = golive + timedelta(days=i)
        level = projected * adoption * monthly(d) * (min(1.0, 0.7 + 0.3 * i / 21) if ramp else 1.0)
        noise = r.lognormvariate(0.0, 0.12)
        lam = 0.0 if i < 0 else level * WEEKLY[d.weekday()] * noise
        plan = DayPlan(lam, base_fail)
        kind, mag = injected.get(i, (None, 0.0))
        if kind == "zero_run":
            plan.lam = 0.0
        elif kind == "surge":  # well above the projection and above the add-on's real level
            plan.lam = max(projected, level) * mag * WEEKLY[d.weekday()] * noise
        elif kind == "failure_spike":
            plan.fail_p = mag
        elif kind == "slump":
            plan.lam *= mag
        elif kind == "duplicates":
            plan.extra_duplicates = int(mag)
        elif kind == "outsized":
            plan.outsized_factor = mag
        elif kind == "returns":
            plan.extra_returns = int(mag)
        if r.random() < 0.01:
            plan.source_ok = False
            if i >= 0:
                p.windows.append(Window("source_outage", d, d))
        other_lam = tr.other_per_day * WEEKLY[d.weekday()] * noise
        p.days.append(make_day(r, pid, d, plan, tr, other_lam))
    return p


# ---- replay and score -------------------------------------------------------------------
@dataclass
class Score:
    windows: dict[str, list[Window]] = field(default_factory=lambda: defaultdict(list))
    false_by_check: Counter = field(default_factory=Counter)
    false_in_window: Counter = field(default_factory=Counter)  # window kind -> unrelated findings inside
    false_examples: list[str] = field(default_factory=list)
    missed: list[str] = field(default_factory=list)
    project_days: int = 0
    clean_days: int = 0
    clean_false: int = 0
    findings: int = 0
    echoes: int = 0  # related findings in the ECHO_DAYS after a window: the same anomaly, told late


def replay(p: Project, score: Score, clean: bool, verbose: bool, thresholds: dict[str, float]) -> None:
    h = history_days_needed()
    flagged: set[date] = set()  # days with a volume alert, as the live run reads them from its alerts
    for i, s in enumerate(p.days):
        if s.local_date < p.golive:
            continue  # the live run does not judge a project before go-live
        ctx = CheckContext(days=p.days[max(0, i - h + 1): i + 1], projected_per_day=p.projected, golive=p.golive,
                           thresholds=thresholds, calendar=p.calendar,
                           lookback=p.days[max(0, i - LOOKBACK_DAYS + 1): max(0, i - h + 1)],
                           flagged=frozenset(flagged))
        findings = run_checks(ctx, strict=True)
        for f in findings:
            flagged |= flagged_dates(f.check, s.local_date, f.evidence)
        score.project_days += 1
        score.clean_days += clean
        for f in findings:
            score.findings += 1
            w = next((w for w in p.windows if w.covers(s.local_date) and f.check in RELATED[w.kind]), None)
            if w is None and any(f.check in RELATED[x.kind] and x.detected_on is not None
                                 and x.end < s.local_date <= x.end + timedelta(days=ECHO_DAYS) for x in p.windows):
                score.echoes += 1  # a pooled check still sees the anomaly that just ended
                continue
            if w is None:
                score.false_by_check[f.check] += 1
                score.clean_false += clean
                inside = [x.kind for x in p.windows if x.covers(s.local_date)]
                if inside:
                    score.false_in_window[inside[0]] += 1
                if verbose:
                    score.false_examples.append(
                        f"  P{p.pid} proj={p.projected:.0f} day+{(s.local_date - p.golive).days} "
                        f"{s.local_date:%a} {f.check} (in {inside or 'no window'}): {f.message}"
                    )
            elif w.detected_on is None:
                w.detected_on = s.local_date
    for w in p.windows:
        score.windows[w.kind].append(w)
        if verbose and w.detected_on is None:
            shown = [x for x in p.days if w.start - timedelta(days=2) <= x.local_date <= w.end]
            score.missed.append(
                f"  missed {w.kind} {w.start}..{w.end} P{p.pid} proj={p.projected:.1f} "
                f"day+{(w.start - p.golive).days}: "
                + ", ".join(f"{x.local_date:%a}{'*' if w.covers(x.local_date) else ''} "
                            f"{x.addon.attempts}/{x.addon.failed}f/{x.addon.duplicates}d/{x.addon.returned}r"
                            + ("" if x.source_ok else " (no source)") for x in shown)
            )


def report(score: Score, seed: int, elapsed: float, n_projects: int, verbose: bool) -> bool:
    print(f"seed {seed}: {n_projects} projects, {score.project_days:,} judged project-days, "
          f"{score.findings:,} findings, {elapsed:.1f}s")
    print(f"{'anomaly':<15}{'windows':>8}{'recall':>8}{'median delay':>14}{'unrelated':>11}")
    all_w: list[Window] = []  # the injected anomalies (source outages are scored on their own line)
    for kind in list(KINDS) + ["source_outage"]:
        ws = score.windows.get(kind, [])
        if kind != "source_outage":
            all_w += ws
        if not ws:
            continue
        hit = [w for w in ws if w.detected_on is not None]
        delay = statistics.median((w.detected_on - w.start).days for w in hit) if hit else float("nan")
        print(f"{kind:<15}{len(ws):>8}{len(hit) / len(ws):>8.2f}{delay:>14.1f}{score.false_in_window[kind]:>11}")
    hit = [w for w in all_w if w.detected_on is not None]
    recall = len(hit) / len(all_w) if all_w else 1.0
    delay = statistics.median((w.detected_on - w.start).days for w in hit) if hit else float("nan")
    false = sum(score.false_by_check.values())
    fa30 = false / score.project_days * 30 if score.project_days else 0.0
    clean30 = score.clean_false / score.clean_days * 30 if score.clean_days else 0.0
    inside = sum(v for k, v in score.false_in_window.items() if k != "source_outage")
    print(f"{'overall*':<15}{len(all_w):>8}{recall:>8.2f}{delay:>14.1f}{inside:>11}")
    print("* the injected anomalies, source outages excluded")
    print(f"false alerts: {false} = {fa30:.2f} per 30 project-days (clean projects alone: {clean30:.2f}); "
          f"by check: {dict(score.false_by_check.most_common()) or '{}'}")
    if verbose:
        print("\n".join(score.missed))
        print("\n".join(score.false_examples))
    ok = recall >= 0.9 and fa30 <= 1.0 and delay <= 0
    print("targets (recall >= 0.9, <= 1 false alert per 30 project-days, median delay 0): "
          + ("met" if ok else "NOT met"))
    return ok


def main(argv: Optional[list[str]] = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seed", type=int, default=2026)
    ap.add_argument("--projects", type=int, default=100)
    ap.add_argument("--days", type=int, default=60, help="judged days per project after go-live")
    ap.add_argument("--verbose", action="store_true", help="list missed windows and false alerts")
    ap.add_argument("--set", action="append", default=[], metavar="CHECK.NAME=VALUE",
                    help="override a threshold, as CHECK_THRESHOLDS would (repeatable)")
    ap.add_argument("--real", action="store_true",
                    help="then the real public series of bench/eval_real.py (per dataset and volume)")
    ap.add_argument("--real-projects", type=int, default=60, help="projects per real dataset and volume")
    ap.add_argument("--intraday-projects", type=int, default=20,
                    help="projects per series and volume of the intraday watch's evaluation (bench/eval_intraday.py; 0: none)")
    args = ap.parse_args(argv)
    thresholds: dict[str, float] = {}
    for item in args.set:
        key, _, value = item.partition("=")
        if key not in DEFAULTS:
            ap.error(f"unknown threshold {key!r}; known: {', '.join(DEFAULTS)}")
        thresholds[key] = float(value)
    assert set(CHECKS) >= set().union(*RELATED.values())
    t0 = time.perf_counter()
    r = Random(args.seed)
    score = Score()
    by_volume: dict[str, Score] = defaultdict(Score)  # the same projects, by projected volume
    for pid in range(1, args.projects + 1):
        clean = r.random() < 0.25
        p = make_project(r, pid, args.days, clean)
        replay(p, score, clean, args.verbose, thresholds)
        band = next(f"{lo}-{hi}/day" for lo, hi in VOLUME_BANDS if p.projected < hi)
        replay(p, by_volume[band], clean, False, thresholds)  # windows keep their first detection
    ok = report(score, args.seed, time.perf_counter() - t0, args.projects, args.verbose)
    import eval_real  # noqa: PLC0415 - the real-series evaluation shares this module's generators

    print()
    print(eval_real.header(list(KINDS)[:4]))
    for lo, hi in VOLUME_BANDS:
        band = f"{lo}-{hi}/day"
        if band in by_volume:
            print(eval_real.row(f"synthetic {band}", by_volume[band], list(KINDS)[:4]))
    if args.real:
        print()
        real = ["--seed", str(args.seed), "--projects", str(args.real_projects)]
        ok = eval_real.main(real + [x for item in args.set for x in ("--set", item)]) == 0 and ok
    if args.intraday_projects > 0:
        import eval_intraday  # noqa: PLC0415 - the intraday watch's evaluation, hour by hour

        print()
        intraday = ["--seed", str(args.seed), "--projects", str(args.intraday_projects), "--days", str(args.days)]
        ok = eval_intraday.main(intraday + [x for item in args.set if item.startswith("no_payments.intraday_")
                                            for x in ("--set", item)]) == 0 and ok
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
