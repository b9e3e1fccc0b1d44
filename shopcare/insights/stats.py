"""The figures the dashboard shows and their 95 % intervals: pure functions, no database.

Every figure is a :class:`Figure`: its value, its sample size ``n`` and the bounds of its
95 % interval, with the value (and bounds) ``None`` below the minimum sample so that a
screen shows "too few answers" instead of a number (DOMAIN.md, "Standard figures").

Sources of the formulas:

- NPS, adjusted-Wald: Rocks, B. (2016), "Interval estimation for the 'net promoter
  score'", *The American Statistician* 70(4), 365-372; recommended by Sauro & Lewis
  (MeasuringU, "Evaluating NPS confidence intervals with real-world data", 2021). As
  DOMAIN.md states it: n' = n + 3, p' = (P + ¾)/n', d' = (D + ¾)/n',
  100·[(p' - d') ± z·√((p' + d' - (p' - d')²)/n')].
- A proportion (CSAT, return rate, SLA share): Wilson, E. B. (1927), "Probable inference,
  the law of succession, and statistical inference", *JASA* 22, 209-212 (method 3 of
  Newcombe, R. G. (1998), *Statistics in Medicine* 17, 857-872).
- A mean (CES, an index): Student's t interval, mean ± t(0.975, n - 1)·s/√n; the t quantile
  is computed here from the regularised incomplete beta function (Press et al., *Numerical
  Recipes*, 3rd ed., §6.4 and §6.14), so shopcare does not depend on SciPy.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from statistics import NormalDist
from typing import Any

#: The normal quantile for a two-sided 95 % interval.
Z95 = 1.959963984540054


@dataclass(frozen=True)
class Figure:
    """One figure with its sample: ``value`` (``None`` below the minimum n, or with no
    data at all), ``n`` (answers, units or tickets it is computed from) and ``low`` /
    ``high``, the bounds of its 95 % interval (``None`` with the value). Units are the
    figure's own: a percentage for NPS, CSAT and rates, 1-7 for CES, 0-100 for an index."""

    value: float | None
    n: int
    low: float | None = None
    high: float | None = None

    @property
    def hidden(self) -> bool:
        """True when there is a sample but too small to show (``n > 0``, no value)."""
        return self.value is None and self.n > 0

    def as_dict(self) -> dict[str, Any]:
        """``{"value", "n", "low", "high"}``, rounded to 2 decimals, for JSON and CSV."""
        value, low, high = self.value, self.low, self.high
        return {  # not dataclasses.asdict: ~1,000 figures a dashboard, each deep-copied
            "value": round(value, 2) if isinstance(value, float) else value,
            "n": self.n,
            "low": round(low, 2) if isinstance(low, float) else low,
            "high": round(high, 2) if isinstance(high, float) else high,
        }


def _hide(n: int, minimum: int) -> bool:
    return n <= 0 or n < minimum


def nps(promoters: int, detractors: int, n: int, *, minimum: int = 30) -> Figure:
    """Net Promoter Score in points (-100…100) with its adjusted-Wald 95 % interval.

    :param promoters: answers of 9 or 10; ``detractors``: answers of 0 to 6; ``n``: all
        answers (passives are ``n - promoters - detractors``).
    :raises ValueError: when the counts do not fit (negative, or more than ``n``).
    """
    if min(promoters, detractors, n) < 0 or promoters + detractors > n:
        raise ValueError("promoters + detractors must be between 0 and n")
    if _hide(n, minimum):
        return Figure(None, n)
    value = 100.0 * (promoters - detractors) / n
    n_adj = n + 3
    p = (promoters + 0.75) / n_adj
    d = (detractors + 0.75) / n_adj
    margin = Z95 * math.sqrt((p + d - (p - d) ** 2) / n_adj)
    low = max(-100.0, 100.0 * (p - d - margin))
    high = min(100.0, 100.0 * (p - d + margin))
    return Figure(value, n, low, high)


def wilson(successes: int, n: int, *, minimum: int = 30) -> Figure:
    """A share in percent (0…100) with its Wilson score 95 % interval (no continuity
    correction): CSAT (answers of 4 or 5 out of all), a return rate, an SLA share.

    :raises ValueError: when ``successes`` is not between 0 and ``n``.
    """
    if not 0 <= successes <= max(n, 0):
        raise ValueError("successes must be between 0 and n")
    if _hide(n, minimum):
        return Figure(None, n)
    p = successes / n
    z2 = Z95 * Z95
    centre = (p + z2 / (2 * n)) / (1 + z2 / n)
    half = Z95 * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / (1 + z2 / n)
    return Figure(100.0 * p, n, 100.0 * max(0.0, centre - half), 100.0 * min(1.0, centre + half))


def mean_t(n: int, total: float, total_squares: float, *, minimum: int = 30) -> Figure:
    """A mean with its Student t 95 % interval, from the sums SQL gives: ``n`` values,
    their ``total`` and the total of their squares (so the database never returns rows).

    One value has no spread: its interval is ``None`` (the value is shown only if the
    minimum allows a sample of one).
    """
    if _hide(n, minimum):
        return Figure(None, n)
    mean = total / n
    if n < 2:
        return Figure(mean, n)
    variance = max(0.0, (total_squares - n * mean * mean) / (n - 1))
    margin = t_quantile(0.975, n - 1) * math.sqrt(variance / n)
    return Figure(mean, n, mean - margin, mean + margin)


def t_quantile(p: float, df: float) -> float:
    """The ``p`` quantile of Student's t with ``df`` degrees of freedom (``p`` in (0, 1));
    accurate to 1e-9.

    Closed forms for 1 and 2 degrees of freedom; otherwise Newton's method on the t
    distribution function from the Cornish-Fisher expansion (Abramowitz & Stegun
    26.7.5), kept inside a bracket that bisection narrows whenever a step would leave it.
    Memoised: a dashboard asks for the same few hundred quantiles on every request.

    :raises ValueError: for ``p`` outside (0, 1) or ``df`` not positive.
    """
    if not 0.0 < p < 1.0 or df <= 0:
        raise ValueError("p must be in (0, 1) and df positive")
    return _t_quantile(float(p), float(df))


@functools.lru_cache(maxsize=4096)
def _t_quantile(p: float, df: float) -> float:
    if p < 0.5:
        return -_t_quantile(1.0 - p, df)
    if df == 1.0:
        return math.tan(math.pi * (p - 0.5))
    if df == 2.0:
        return (2.0 * p - 1.0) / math.sqrt(2.0 * p * (1.0 - p))
    z = NormalDist().inv_cdf(p)
    t = z + sum(
        term / df**power
        for power, term in enumerate(
            (
                (z**3 + z) / 4.0,
                (5 * z**5 + 16 * z**3 + 3 * z) / 96.0,
                (3 * z**7 + 19 * z**5 + 17 * z**3 - 15 * z) / 384.0,
                (79 * z**9 + 776 * z**7 + 1482 * z**5 - 1920 * z**3 - 945 * z) / 92160.0,
            ),
            start=1,
        )
    )
    low, high = 0.0, max(1.0, 2.0 * t)
    while t_cdf(high, df) < p:
        high *= 2.0
    log_density = (
        math.lgamma((df + 1.0) / 2.0) - math.lgamma(df / 2.0) - 0.5 * math.log(df * math.pi)
    )
    for _ in range(100):
        error = t_cdf(t, df) - p
        if error < 0:
            low = t
        else:
            high = t
        density = math.exp(log_density - (df + 1.0) / 2.0 * math.log1p(t * t / df))
        step = error / density
        following = t - step
        if not low < following < high:  # Newton would leave the bracket: bisect
            following = (low + high) / 2.0
        if abs(following - t) < 1e-12 * max(1.0, abs(t)) or high - low < 1e-12:
            return following
        t = following
    return t


def t_cdf(t: float, df: float) -> float:
    """Student's t distribution function: P(T ≤ t)."""
    tail = 0.5 * _incomplete_beta(df / 2.0, 0.5, df / (df + t * t))
    return 1.0 - tail if t >= 0 else tail


def _incomplete_beta(a: float, b: float, x: float) -> float:
    """The regularised incomplete beta function I_x(a, b) (Numerical Recipes §6.4)."""
    if x <= 0.0:
        return 0.0
    if x >= 1.0:
        return 1.0
    front = math.exp(
        math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log1p(-x)
    )
    if x < (a + 1.0) / (a + b + 2.0):
        return front * _beta_fraction(a, b, x) / a
    return 1.0 - front * _beta_fraction(b, a, 1.0 - x) / b


def _beta_fraction(a: float, b: float, x: float) -> float:
    """The continued fraction of the incomplete beta function (modified Lentz)."""
    tiny = 1e-300
    c = 1.0
    d = 1.0 - (a + b) * x / (a + 1.0)
    d = 1.0 / (d if abs(d) > tiny else tiny)
    h = d
    for m in range(1, 500):
        m2 = 2 * m
        aa = m * (b - m) * x / ((a + m2 - 1) * (a + m2))
        d = 1.0 + aa * d
        d = 1.0 / (d if abs(d) > tiny else tiny)
        c = 1.0 + aa / c
        c = c if abs(c) > tiny else tiny
        h *= d * c
        aa = -(a + m) * (a + b + m) * x / ((a + m2) * (a + m2 + 1))
        d = 1.0 + aa * d
        d = 1.0 / (d if abs(d) > tiny else tiny)
        c = 1.0 + aa / c
        c = c if abs(c) > tiny else tiny
        delta = d * c
        h *= delta
        if abs(delta - 1.0) < 1e-15:
            break
    return h


#: What :func:`change` says about two figures.
RISE, FALL, NO_CLEAR_CHANGE, NO_DATA = "rise", "fall", "no_clear_change", "no_data"


def change(current: Figure, previous: Figure) -> str:
    """How ``current`` compares with ``previous``: ``"rise"`` or ``"fall"`` only when
    their 95 % intervals do not overlap; ``"no_clear_change"`` when they do (or when a
    figure has no interval); ``"no_data"`` when either has no value to compare."""
    if current.value is None or previous.value is None:
        return NO_DATA
    if None in (current.low, current.high, previous.low, previous.high):
        return NO_CLEAR_CHANGE
    assert current.low is not None and current.high is not None
    assert previous.low is not None and previous.high is not None
    if current.low > previous.high:
        return RISE
    if current.high < previous.low:
        return FALL
    return NO_CLEAR_CHANGE


def answer_score(value: float, points: int) -> float:
    """The 0-100 score of an answer ``value`` (1…``points``) on a ``points``-point scale:
    ``100·(v - 1)/(k - 1)`` (DOMAIN.md, "The eight satisfaction indices")."""
    if points < 2:
        raise ValueError("a scale has at least two points")
    return 100.0 * (value - 1) / (points - 1)


@dataclass(frozen=True)
class SlaShare:
    """The share of tickets answered (or resolved) within their target, with its stated
    denominator: only tickets that have a target count; a ticket still open past its
    target counts as missed."""

    figure: Figure
    met: int
    denominator: int
    rule: str


def sla_share(*, met: int, breached: int, overdue: int) -> SlaShare:
    """``met`` of the tickets with a target, where the tickets with a target are those met,
    those ``breached`` (closed late) and those ``overdue`` (still open past the target);
    tickets without a target are left out of the denominator (PITFALLS, "An SLA share
    with an unstated denominator"). Wilson interval, shown from one ticket."""
    denominator = met + breached + overdue
    return SlaShare(
        wilson(met, denominator, minimum=1),
        met,
        denominator,
        f"{met} of {denominator} tickets with a target met it "
        f"({breached} closed late, {overdue} open past it; tickets without a target not counted)",
    )
