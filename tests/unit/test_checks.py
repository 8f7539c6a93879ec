"""The anomaly checks (bot/checks): each fires on a constructed history and stays quiet
on a normal one; unreadable days, go-live, thresholds, run_checks; a property that
run_checks never crashes on arbitrary valid histories."""

from __future__ import annotations

import json
import logging
import re
from datetime import date, timedelta
from typing import Optional

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.checks import (
    CHECKS,
    DEFAULTS,
    SEVERITIES,
    SOFT_CHECKS,
    CheckContext,
    Finding,
    history_days_needed,
    run_checks,
    unknown_thresholds,
)
from bot.checks import base
from bot.summary import ChannelStats, DaySummary

# Monday .. Sunday, mean 1: a typical biller's week.
WEEK = (1.15, 1.1, 1.05, 1.05, 1.1, 0.8, 0.75)
GOLIVE = date(2026, 9, 1)  # a Tuesday


# ---- builders ---------------------------------------------------------------------
def stats(
    n: int,
    *,
    failed: Optional[int] = None,
    duplicates: int = 0,
    returned: int = 0,
    median_cents: int = 9_000,
    max_cents: Optional[int] = None,
    ach_share: float = 0.3,
) -> ChannelStats:
    """A plausible ChannelStats for n attempts (about 5 % failed unless given)."""
    failed = round(n * 0.05) if failed is None else failed
    reversed_ = returned
    approved = max(0, n - failed - reversed_)
    ach = round(n * ach_share)
    return ChannelStats(
        attempts=n,
        approved=approved,
        failed=failed,
        reversed=reversed_,
        returned=returned,
        approved_cents=approved * median_cents,
        reversed_cents=returned * median_cents,
        max_cents=(max_cents if max_cents is not None else (median_cents * 4 if n else 0)),
        median_cents=median_cents if n else 0,
        duplicates=duplicates,
        methods={"ach": ach, "card": n - ach} if n else {},
        decline_reasons={"insufficient_funds": failed} if failed else {},
        return_codes={"R01": returned} if returned else {},
    )


def summary(d: date, addon: ChannelStats, *, channel: Optional[str] = "ivr", ok: bool = True) -> DaySummary:
    total = ChannelStats(**{**addon.__dict__, "attempts": addon.attempts + 200})
    if not ok:
        return DaySummary(1, "B1", d, "America/New_York", channel, source_ok=False, source_error="HTTP 503")
    return DaySummary(1, "B1", d, "America/New_York", channel, addon=addon, total=total if channel else addon)


def normal_days(per_day: float, n_days: int, end: date, *, start_golive: bool = False) -> list[DaySummary]:
    """n_days of a steady add-on at per_day (weekly rhythm, no noise), ending on `end`."""
    days = []
    for i in range(n_days):
        d = end - timedelta(days=n_days - 1 - i)
        days.append(summary(d, stats(round(per_day * WEEK[d.weekday()]))))
    return days


def ctx(
    days: list[DaySummary], projected: float, *, golive: date = GOLIVE, thresholds: Optional[dict] = None
) -> CheckContext:
    return CheckContext(days=days, projected_per_day=projected, golive=golive, thresholds=thresholds or {})


def with_last(days: list[DaySummary], *last: ChannelStats) -> list[DaySummary]:
    """The history with its last len(last) days' add-on numbers replaced."""
    out = list(days)
    for i, a in enumerate(last):
        k = len(out) - len(last) + i
        out[k] = summary(out[k].local_date, a)
    return out


def fired(c: CheckContext, check_id: str) -> Optional[Finding]:
    return CHECKS[check_id](c)


END = GOLIVE + timedelta(days=45)  # a Friday, well after go-live


# ---- registry and contract -----------------------------------------------------------
def test_registry_ids_order_and_defaults():
    assert list(CHECKS) == [
        "source_unavailable", "no_payments", "above_projection", "below_projection", "failure_rate",
        "drop_vs_baseline", "duplicate_payments", "outsized_payment", "returns",
    ]
    assert all(k.split(".", 1)[0] in CHECKS for k in DEFAULTS)
    assert all(isinstance(v, float) for v in DEFAULTS.values())
    assert {"no_payments.max_p", "failure_rate.max_rate", "drop_vs_baseline.min_days"} <= set(DEFAULTS)
    assert SOFT_CHECKS == {"below_projection", "drop_vs_baseline", "failure_rate"}
    assert unknown_thresholds({"failure_rate.max_rate": 0.3, "nope.x": 1}) == ["nope.x"]


def test_history_days_needed_covers_the_baseline():
    n = history_days_needed()
    assert 30 <= n <= 60


def test_normal_history_is_quiet_at_every_volume():
    for per_day in (1, 5, 20, 100, 2_000):
        days = normal_days(per_day, history_days_needed(), END)
        for k in range(2, len(days) + 1):  # every day of it, with the history it would have had
            assert run_checks(ctx(days[:k], per_day), strict=True) == [], (per_day, days[k - 1].local_date)


def test_empty_context_and_only_filter():
    assert run_checks(ctx([], 10)) == []
    days = with_last(normal_days(20, 30, END), stats(0))
    assert [f.check for f in run_checks(ctx(days, 20), only=["no_payments"])] == ["no_payments"]
    assert run_checks(ctx(days, 20), only=["returns"]) == []
    with pytest.raises(ValueError, match="unknown check"):
        run_checks(ctx(days, 20), only=["no_such_check"])


def test_a_failing_check_is_logged_and_skipped_unless_strict(monkeypatch, caplog):
    def boom(c: CheckContext) -> Optional[Finding]:
        raise RuntimeError("bug")

    monkeypatch.setitem(CHECKS, "returns", boom)
    days = with_last(normal_days(20, 30, END), stats(0))
    with caplog.at_level(logging.ERROR, logger="addon_bot.checks"):
        assert [f.check for f in run_checks(ctx(days, 20))] == ["no_payments"]
    assert "check returns failed" in caplog.text
    with pytest.raises(RuntimeError):
        run_checks(ctx(days, 20), strict=True)


# ---- source_unavailable and unreadable days ---------------------------------------------
def test_source_unavailable_day_never_yields_no_payments():
    days = normal_days(50, 30, END)
    days[-1] = summary(END, ChannelStats(), ok=False)
    findings = run_checks(ctx(days, 50), strict=True)
    assert [f.check for f in findings] == ["source_unavailable"]
    f = findings[0]
    assert f.severity == "warning"
    assert "could not be read for " + END.isoformat() in f.message and "HTTP 503" in f.message


def test_source_unavailable_escalates_after_consecutive_days():
    days = normal_days(50, 30, END)
    for k in (1, 2, 3):
        days[-k] = summary(days[-k].local_date, ChannelStats(), ok=False)
    f = fired(ctx(days, 50), "source_unavailable")
    assert f is not None and f.severity == "critical" and f.evidence["consecutive_days"] == 3
    assert "3 days in a row" in f.message


def test_unreadable_days_neither_count_as_zero_nor_break_a_zero_run():
    # 1 payment a day; 3 readable zero days with 4 unreadable ones among them.
    days = normal_days(1, 30, END)
    for k in range(1, 8):
        d = days[-k].local_date
        days[-k] = summary(d, stats(0)) if k in (1, 4, 7) else summary(d, ChannelStats(), ok=False)
    f = fired(ctx(days, 1), "no_payments")
    # 3 quiet days at 1/day is unremarkable (P about 0.05): the unreadable ones add nothing.
    assert f is None
    # The same unreadable days never make any other check speak either.
    for k in (2, 3, 5, 6):
        c = ctx(days[: len(days) - k + 1], 1)
        assert [x.check for x in run_checks(c, strict=True)] == ["source_unavailable"]


def test_unreadable_days_are_left_out_of_history():
    # A baseline of unreadable days is no baseline: drop_vs_baseline must not judge.
    days = normal_days(40, 30, END)
    for k in range(3, 30):
        days[-k] = summary(days[-k].local_date, ChannelStats(), ok=False)
    days = with_last(days, stats(4), stats(3))
    assert fired(ctx(days, 40), "drop_vs_baseline") is None


# ---- no_payments ------------------------------------------------------------------------
def test_no_payments_fires_on_a_zero_day_at_normal_volume():
    days = with_last(normal_days(14, 30, END), stats(0))
    f = fired(ctx(days, 14), "no_payments")
    assert f is not None and f.severity == "critical"
    assert f.message.startswith(f"No payments on ivr on {END.isoformat()}; about ")
    assert "projection 14/day" in f.message
    assert f.evidence["zero_days"] == 1 and f.evidence["p_zero"] < DEFAULTS["no_payments.max_p"]
    # Summaries with payments are never a no_payments finding.
    assert fired(ctx(normal_days(14, 30, END), 14), "no_payments") is None


def test_no_payments_pools_zero_days_at_low_volume():
    base = normal_days(1, 30, END)  # a 1-payment-a-day biller
    first_fire = None
    for zeros in range(1, 15):
        days = with_last(base, *[stats(0)] * zeros)
        f = fired(ctx(days, 1), "no_payments")
        if f is not None:
            first_fire = zeros
            assert f.evidence["zero_days"] == zeros
            assert f"({zeros} days without one)" in f.message
            break
    assert first_fire is not None and 5 <= first_fire <= 10


def test_no_payments_uses_the_add_on_history_when_it_is_below_the_projection():
    # Projected 20/day but settled at 2/day: one zero day is not remarkable (P ~ e^-2).
    days = with_last(normal_days(2, 30, END), stats(0))
    assert fired(ctx(days, 20), "no_payments") is None
    # At go-live there is no history: the projection alone says 20 were expected.
    assert fired(ctx([summary(GOLIVE, stats(0))], 20), "no_payments") is not None


def test_no_payments_says_when_every_channel_is_empty():
    days = normal_days(30, 30, END)
    days[-1] = DaySummary(1, "B1", END, "America/New_York", "ivr")  # nothing at all that day
    f = fired(ctx(days, 30), "no_payments")
    assert f is not None and f.evidence["all_channels_zero"] and "any other channel" in f.message


def test_nothing_is_judged_before_go_live():
    # The add-on channel is empty before go-live by construction.
    days = [summary(GOLIVE - timedelta(days=k), stats(0)) for k in range(20, 0, -1)]
    assert run_checks(ctx(days, 50), strict=True) == []
    # And pre-go-live zeros are not part of the run or the history on go-live day.
    days.append(summary(GOLIVE, stats(0)))
    f = fired(ctx(days, 50), "no_payments")
    assert f is not None and f.evidence["zero_days"] == 1 and f.evidence["history_days"] == 0


# ---- above / below projection -------------------------------------------------------------
def test_above_projection_fires_far_above_and_not_on_noise():
    days = normal_days(20, 30, END)
    f = fired(ctx(with_last(days, stats(80)), 20), "above_projection")
    assert f is not None and f.severity == "warning"
    assert f.message.startswith(f"80 payments on ivr on {END.isoformat()}: ")
    assert "expected from the projection (20/day" in f.message
    assert fired(ctx(with_last(days, stats(30)), 20), "above_projection") is None
    # 5 a day: 11 on one day is noise, not news.
    assert fired(ctx(with_last(normal_days(5, 30, END), stats(11)), 5), "above_projection") is None


def test_above_projection_formats_thousands():
    days = with_last(normal_days(500, 30, END), stats(2_400))
    f = fired(ctx(days, 500), "above_projection")
    assert f is not None and f.message.startswith("2,400 payments on ivr")


def test_above_projection_quiets_once_the_add_on_settled_above_it():
    # Projected 10, running at 30 for weeks: 30 is its normal now, 35 is not a surge.
    days = with_last(normal_days(30, 30, END), stats(35))
    assert fired(ctx(days, 10), "above_projection") is None
    # But a real surge above the new normal still is.
    assert fired(ctx(with_last(normal_days(30, 30, END), stats(150)), 10), "above_projection") is not None


def test_below_projection_is_soft_needs_two_days():
    days = normal_days(20, 30, END)
    one = with_last(days, stats(2))
    assert fired(ctx(one, 20), "below_projection") is None
    two = with_last(days, stats(3), stats(2))
    f = fired(ctx(two, 20), "below_projection")
    assert f is not None and f.evidence["payments"] == [3, 2]
    assert "expected from the projection (20/day" in f.message and "from " in f.message
    # Modestly low (60 %) is not far below.
    assert fired(ctx(with_last(days, stats(12), stats(11)), 20), "below_projection") is None


def test_below_projection_needs_the_day_before_to_be_readable():
    days = normal_days(20, 30, END)
    days = with_last(days, stats(2), stats(2))
    days[-2] = summary(days[-2].local_date, ChannelStats(), ok=False)
    assert fired(ctx(days, 20), "below_projection") is None


def test_weekend_lows_are_not_below_projection():
    # Weekends at half the weekday level, four weeks of it: a quiet Sat+Sun is normal.
    end = date(2026, 10, 11)  # a Sunday
    days = []
    for i in range(30):
        d = end - timedelta(days=29 - i)
        days.append(summary(d, stats(24 if d.weekday() < 5 else 6)))
    c = ctx(days, 20)
    assert fired(c, "below_projection") is None
    assert fired(c, "drop_vs_baseline") is None
    # The same counts on a Monday and Tuesday are a drop.
    tue = date(2026, 10, 13)
    days2 = days + [summary(tue - timedelta(days=1), stats(6)), summary(tue, stats(6))]
    assert fired(ctx(days2, 20), "drop_vs_baseline") is not None


# ---- failure_rate ------------------------------------------------------------------------
def test_failure_rate_strong_evidence_fires_same_day():
    days = with_last(normal_days(100, 30, END), stats(100, failed=45))
    f = fired(ctx(days, 100), "failure_rate")
    assert f is not None and f.evidence["days"] == [END.isoformat()]
    assert f.message.startswith(f"45.0% of payments on ivr failed on {END.isoformat()} (45 of 100 decided)")
    assert "against a usual" in f.message and "insufficient_funds (45)" in f.message


def test_failure_rate_minimum_count():
    # 1 of 2 failed is not an alert, nor is 3 of 4.
    for n, failed in ((2, 1), (4, 3)):
        days = with_last(normal_days(3, 30, END), stats(n, failed=failed))
        assert fired(ctx(days, 3), "failure_rate") is None


def test_failure_rate_moderate_evidence_is_soft():
    days = normal_days(60, 30, END)
    one = with_last(days, stats(60, failed=12))  # 20 %: elevated, not strong
    assert fired(ctx(one, 60), "failure_rate") is None
    two = with_last(days, stats(60, failed=12), stats(60, failed=12))
    f = fired(ctx(two, 60), "failure_rate")
    assert f is not None and len(f.evidence["days"]) == 2 and f.severity == "warning"


def test_failure_rate_quiet_at_usual_rates_and_critical_when_most_fail():
    assert fired(ctx(with_last(normal_days(80, 30, END), stats(80, failed=7)), 80), "failure_rate") is None
    f = fired(ctx(with_last(normal_days(80, 30, END), stats(80, failed=60)), 80), "failure_rate")
    assert f is not None and f.severity == "critical"


# ---- drop_vs_baseline --------------------------------------------------------------------
def test_drop_vs_baseline_fires_on_two_low_days():
    days = with_last(normal_days(40, 32, END), stats(8), stats(6))
    f = fired(ctx(days, 40), "drop_vs_baseline")
    assert f is not None and f.evidence["payments"] == [8, 6]
    assert "expected from the add-on's usual" in f.message
    assert fired(ctx(with_last(normal_days(40, 32, END), stats(6)), 40), "drop_vs_baseline") is None
    # Far below the projection too, but the drop is the sharper finding: run_checks keeps that one.
    assert fired(ctx(days, 40), "below_projection") is not None
    assert [x.check for x in run_checks(ctx(days, 40), strict=True)] == ["drop_vs_baseline"]


def test_no_baseline_judgement_in_the_first_days_after_go_live():
    golive = END - timedelta(days=10)
    days = with_last(normal_days(40, 11, END), stats(8), stats(6))
    assert days[0].local_date == golive
    assert fired(ctx(days, 40, golive=golive), "drop_vs_baseline") is None
    # Enough days since go-live: judged.
    golive = END - timedelta(days=20)
    days = with_last(normal_days(40, 21, END), stats(8), stats(6))
    assert fired(ctx(days, 40, golive=golive), "drop_vs_baseline") is not None


def test_no_payments_supersedes_the_softer_low_findings():
    days = with_last(normal_days(40, 32, END), stats(0), stats(0))
    checks = [f.check for f in run_checks(ctx(days, 40), strict=True)]
    assert checks == ["no_payments"]


# ---- duplicates, outsized, returns --------------------------------------------------------
def test_duplicate_payments():
    days = normal_days(60, 30, END)
    f = fired(ctx(with_last(days, stats(60, duplicates=6)), 60), "duplicate_payments")
    assert f is not None and f.message.startswith(f"6 likely duplicate payments on ivr on {END.isoformat()}")
    assert "expected at the usual" in f.message
    assert fired(ctx(with_last(days, stats(60, duplicates=1)), 60), "duplicate_payments") is None


def test_outsized_payment():
    days = normal_days(30, 30, END)
    f = fired(ctx(with_last(days, stats(30, max_cents=1_250_000)), 30), "outsized_payment")
    assert f is not None
    assert f.message.startswith(f"A $12,500.00 payment on ivr on {END.isoformat()}: 139x the typical $90.00")
    assert fired(ctx(with_last(days, stats(30, max_cents=60_000)), 30), "outsized_payment") is None
    # A recurring large payer is that biller's normal.
    big = [summary(x.local_date, stats(x.addon.attempts, max_cents=1_000_000)) for x in days]
    assert fired(ctx(with_last(big, stats(30, max_cents=1_250_000)), 30), "outsized_payment") is None


def test_returns():
    days = normal_days(60, 30, END)
    f = fired(ctx(with_last(days, stats(60, returned=5)), 60), "returns")
    assert f is not None and "5 ACH returns among the 18 ACH payments" in f.message and "R01 (5)" in f.message
    assert "$450.00" in f.message
    assert fired(ctx(with_last(days, stats(60, returned=1)), 60), "returns") is None


# ---- thresholds -----------------------------------------------------------------------------
def test_thresholds_override_defaults():
    days = with_last(normal_days(20, 30, END), stats(80))
    assert fired(ctx(days, 20), "above_projection") is not None
    assert fired(ctx(days, 20, thresholds={"above_projection.ratio": 5}), "above_projection") is None
    # A stricter failure rate makes a moderate day strong evidence.
    days = with_last(normal_days(60, 30, END), stats(60, failed=12))
    assert fired(ctx(days, 60), "failure_rate") is None
    assert fired(ctx(days, 60, thresholds={"failure_rate.max_rate": 0.15}), "failure_rate") is not None
    # Other checks' keys and junk values are ignored.
    assert base.params(ctx(days, 60, thresholds={"returns.min_count": 9, "failure_rate.max_rate": "x"}),
                       "failure_rate", {"max_rate": 0.25}) == {"max_rate": 0.25}


def test_drop_vs_baseline_min_days_override():
    golive = END - timedelta(days=10)
    days = with_last(normal_days(40, 11, END), stats(8), stats(6))
    assert fired(ctx(days, 40, golive=golive), "drop_vs_baseline") is None
    c = ctx(days, 40, golive=golive, thresholds={"drop_vs_baseline.min_days": 7})
    assert fired(c, "drop_vs_baseline") is not None


# ---- statistics helpers ----------------------------------------------------------------------
def test_poisson_and_binomial_tails():
    import math

    assert base.poisson_sf(0, 3.0) == 1.0
    assert base.poisson_cdf(0, 3.0) == pytest.approx(math.exp(-3))
    for lam in (0.5, 4.0, 30.0, 400.0):
        for k in (0, 1, int(lam), int(lam) + 1, int(3 * lam) + 2):
            assert base.poisson_sf(k, lam) + base.poisson_cdf(k - 1, lam) == pytest.approx(1.0, abs=1e-9)
    assert base.binom_sf(1, 2, 0.5) == pytest.approx(0.75)
    assert base.binom_sf(5, 10, 0.1) == pytest.approx(0.0016349374, rel=1e-6)
    assert base.binom_sf(2, 100, 0.5) == pytest.approx(1.0)


# ---- property: never crashes, findings well formed -----------------------------------------------
@st.composite
def channel_stats(draw) -> ChannelStats:
    approved, pending, failed, other = (draw(st.integers(0, 3_000)) for _ in range(4))
    returned = draw(st.integers(0, 50))
    reversed_ = returned + draw(st.integers(0, 50))
    attempts = approved + pending + failed + reversed_ + other
    median = draw(st.integers(0, 10**7))
    ach = draw(st.integers(0, attempts))
    return ChannelStats(
        attempts=attempts, approved=approved, pending=pending, failed=failed, reversed=reversed_,
        returned=returned, other=other, approved_cents=approved * median, reversed_cents=reversed_ * median,
        max_cents=median + draw(st.integers(0, 10**9)) if attempts else 0, median_cents=median if attempts else 0,
        duplicates=draw(st.integers(0, max(0, attempts - failed))),
        methods=draw(st.sampled_from([{}, {"ach": ach, "card": attempts - ach}])),
        decline_reasons={"do_not_honor": failed} if failed else {},
        return_codes=draw(st.sampled_from([{}, {"R01": returned, "refund": reversed_ - returned}])),
    )


@st.composite
def histories(draw) -> CheckContext:
    n = draw(st.integers(1, 40))
    end = date(2026, 6, 1) + timedelta(days=draw(st.integers(0, 400)))
    channel = draw(st.sampled_from(["ivr", "text", None]))
    days = []
    for i in range(n):
        d = end - timedelta(days=n - 1 - i)
        if draw(st.integers(0, 9)) == 0:
            days.append(DaySummary(1, "B", d, "UTC", channel, source_ok=False,
                                   source_error=draw(st.sampled_from([None, "boom", "x" * 2000]))))
        else:
            sparse = draw(st.booleans())
            addon = ChannelStats() if sparse and draw(st.booleans()) else draw(channel_stats())
            total = addon if channel is None else ChannelStats(attempts=addon.attempts + draw(st.integers(0, 10**5)))
            days.append(DaySummary(1, "B", d, "UTC", channel, addon=addon, total=total))
    golive = end - timedelta(days=draw(st.integers(-5, 60)))
    keys = draw(st.lists(st.sampled_from(sorted(DEFAULTS)), max_size=4, unique=True))
    thresholds = {k: draw(st.floats(-5, 1_000, allow_nan=False)) for k in keys}
    projected = draw(st.floats(0.01, 1e6, allow_nan=False, allow_infinity=False))
    return CheckContext(days=days, projected_per_day=projected, golive=golive, thresholds=thresholds)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(histories())
def test_run_checks_never_crashes_and_findings_are_well_formed(c: CheckContext):
    findings = run_checks(c, strict=True)
    assert len({f.check for f in findings}) == len(findings)
    for f in findings:
        assert f.check in CHECKS and f.severity in SEVERITIES
        assert f.message and "\n" not in f.message and len(f.message) <= 1000
        json.dumps(f.evidence, allow_nan=False)
        # Money in messages is always $1,234.56 style.
        for m in re.findall(r"\$[\d,]+(?:\.\d+)?", f.message):
            assert re.fullmatch(r"\$\d{1,3}(,\d{3})*\.\d\d", m), m
    today = c.days[-1]
    if not today.source_ok:
        assert [f.check for f in findings] == ["source_unavailable"]
    if today.local_date < c.golive:
        assert {f.check for f in findings} <= {"source_unavailable"}
