"""The statistics the checks share: Poisson and binomial tails (exact, in log
space, no scipy), median and MAD. Pure functions of numbers."""

from __future__ import annotations

import math
from typing import Iterable, Optional, Sequence


def _log_poisson(k: int, lam: float) -> float:
    return k * math.log(lam) - lam - math.lgamma(k + 1)


def poisson_sf(k: int, lam: float) -> float:
    """P(X >= k) for X ~ Poisson(lam)."""
    if k <= 0:
        return 1.0
    if lam <= 0:
        return 0.0
    if k <= lam:
        return max(0.0, 1.0 - poisson_cdf(k - 1, lam))
    # Terms decrease from k upwards (k > lam): sum until negligible.
    total, i = 0.0, k
    term = math.exp(_log_poisson(k, lam))
    while term > 0 and (term > total * 1e-15):
        total += term
        i += 1
        term *= lam / i
    return min(1.0, total)


def poisson_cdf(k: int, lam: float) -> float:
    """P(X <= k) for X ~ Poisson(lam)."""
    if k < 0:
        return 0.0
    if lam <= 0:
        return 1.0
    if k >= lam:
        return max(0.0, 1.0 - poisson_sf(k + 1, lam))
    # Terms decrease from k downwards (k < lam).
    total, i = 0.0, k
    term = math.exp(_log_poisson(k, lam))
    while i >= 0 and term > 0 and term > total * 1e-15:
        total += term
        term *= i / lam
        i -= 1
    return min(1.0, total)


def binom_sf(k: int, n: int, p: float) -> float:
    """P(X >= k) for X ~ Binomial(n, p)."""
    if k <= 0:
        return 1.0
    if k > n or p <= 0:
        return 0.0
    if p >= 1:
        return 1.0
    if k <= n * p:
        return 1.0 - _binom_cdf_low(k - 1, n, p)
    logt = math.lgamma(n + 1) - math.lgamma(k + 1) - math.lgamma(n - k + 1) + k * math.log(p) + (n - k) * math.log1p(-p)
    term, total, i = math.exp(logt), 0.0, k
    while i <= n and term > 0 and term > total * 1e-15:
        total += term
        term *= (n - i) / (i + 1) * p / (1 - p)
        i += 1
    return min(1.0, total)


def _binom_cdf_low(k: int, n: int, p: float) -> float:
    """P(X <= k) for k < n*p: terms decrease from k downwards."""
    if k < 0:
        return 0.0
    logt = math.lgamma(n + 1) - math.lgamma(k + 1) - math.lgamma(n - k + 1) + k * math.log(p) + (n - k) * math.log1p(-p)
    term, total, i = math.exp(logt), 0.0, k
    while i >= 0 and term > 0 and term > total * 1e-15:
        total += term
        term *= i / (n - i + 1) * (1 - p) / p
        i -= 1
    return min(1.0, total)


def median(xs: Iterable[float]) -> Optional[float]:
    v = sorted(xs)
    if not v:
        return None
    m = len(v) // 2
    return float(v[m]) if len(v) % 2 else (v[m - 1] + v[m]) / 2.0


def mad(xs: Sequence[float], center: float) -> float:
    """Median absolute deviation around `center`."""
    m = median(abs(x - center) for x in xs)
    return 0.0 if m is None else m
