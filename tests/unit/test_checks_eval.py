"""Smoke test of bench/eval_checks.py: the evaluation runs end to end on a small sample."""

from __future__ import annotations

import importlib.util
import sys

import pytest

from bot.checks import CHECKS, history_days_needed
from tests.support.paths import REPO_ROOT

EVAL = REPO_ROOT / "bench" / "eval_checks.py"


@pytest.fixture(scope="module")
def ev():
    spec = importlib.util.spec_from_file_location("eval_checks", EVAL)
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod  # dataclasses look their module up while the class is made
    try:
        spec.loader.exec_module(mod)
        yield mod
    finally:
        sys.modules.pop(spec.name, None)


def test_eval_runs_and_reports(ev, capsys):
    code = ev.main(["--seed", "99", "--projects", "12", "--days", "40", "--intraday-projects", "1"])
    out = capsys.readouterr().out
    assert code in (0, 1)  # targets are judged on full-size runs, not on this sample
    assert "overall*" in out and "false alerts:" in out and "per 30 project-days" in out


def test_eval_histories_are_valid_summaries(ev):
    from random import Random

    p = ev.make_project(Random(5), 1, 45, clean=False)
    dates = [d.local_date for d in p.days]
    assert all((b - a).days == 1 for a, b in zip(dates, dates[1:]))  # consecutive local dates
    for d in p.days:
        if d.source_ok:
            a = d.addon
            assert a.attempts == a.approved + a.pending + a.failed + a.reversed + a.other
            assert d.total.attempts >= a.attempts
    assert set().union(*ev.RELATED.values()) <= set(CHECKS)
    assert history_days_needed() <= 45
