"""Goodhart curves: Gao, Schulman & Hilton's (2022, arXiv 2210.10760) functional forms, fitted.

Gao et al. found that the gold (here: the oracle's) reward gained over the start, R = score(d) −
score(0), follows simple forms in d = √KL(π‖π_init):

- RL: ``R(d) = d(α − β·log d)``;
- best-of-n: ``R(d) = d(α − β·d)``.

Both are linear in (α, β), so they are fitted by least squares with no intercept (R(0) = 0 by
construction). ``r2`` is 1 − SS_res / SS_tot with SS_tot about the mean of R. The fitted form peaks
at ``d* = exp(α/β − 1)`` (RL) or ``d* = α / (2β)`` (best-of-n) when β > 0; with β ≤ 0 it never turns
down (no peak). Intervals come from a bootstrap over runs (seeds), or over points for one run.
:func:`alarm_position` says where on the curve the reward-hacking monitor first fired and whether
that was before the oracle's peak was passed. Pure numpy: no training here.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from r1safe.train import metric_names as names

Form = Literal["rl", "bon"]


@dataclass(frozen=True)
class Signal:
    """Where one reward model's scores sit: on an RL curve point (the reward-hacking monitor's keys,
    see :func:`r1safe.train.monitors.goodhart_curve`) and on a best-of-n row
    (:func:`r1safe.study.best_of_n.curve_from_scores`)."""

    oracle: str
    proxy: str
    alarms: tuple[str, str]
    bon_oracle: str
    bon_proxy: str
    title: str


SIGNALS = {
    "safe": Signal(names.JUDGE_SAFE, names.PROXY_SAFE, (names.ALARM, names.ALARM_SINCE_START), "oracle_safe",
                   "proxy_safe", "harmlessness: safe share"),
    "helpful": Signal(names.HELPFUL_JUDGE, names.HELPFUL_PROXY, (names.HELPFUL_ALARM, names.HELPFUL_ALARM_SINCE_START),
                      "oracle_helpful", "proxy_helpful", "helpfulness: helpful share"),
}


@dataclass(frozen=True)
class GoodhartFit:
    """A fitted form: ``R(d) = d(α − β·log d)`` (``rl``) or ``d(α − β·d)`` (``bon``)."""

    form: Form
    alpha: float
    beta: float
    r2: float | None
    n_points: int
    peak_d: float | None
    peak_value: float | None

    def predict(self, d: Sequence[float] | np.ndarray) -> np.ndarray:
        """R at each d (R(0) = 0)."""
        return self.alpha * np.asarray(d, dtype=float) - self.beta * _shape(self.form, np.asarray(d, dtype=float))

    def as_dict(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


def _shape(form: Form, d: np.ndarray) -> np.ndarray:
    """The β term's shape: d·log d (0 at d = 0) for RL, d² for best-of-n."""
    if form == "rl":
        safe = np.where(d > 0, d, 1.0)
        return np.where(d > 0, d * np.log(safe), 0.0)
    if form == "bon":
        return d * d
    raise ValueError(f"form must be 'rl' or 'bon', got {form!r}")


def _peak(form: Form, alpha: float, beta: float) -> tuple[float | None, float | None]:
    """Where the fitted form peaks and its value there; (None, None) when it never turns down."""
    if beta <= 0 or not math.isfinite(alpha) or not math.isfinite(beta):
        return None, None
    if form == "rl":
        exponent = alpha / beta - 1.0
        if exponent > 700:  # beyond float range: the peak is out of any reachable d
            return math.inf, math.inf
        d = math.exp(exponent)
        return d, beta * d  # R(d*) = d*(α − β(α/β − 1)) = β·d*
    d = max(alpha / (2.0 * beta), 0.0)
    return d, d * (alpha - beta * d)


def fit(d: Sequence[float] | np.ndarray, r: Sequence[float] | np.ndarray, form: Form) -> GoodhartFit:
    """Least-squares (α, β) of ``form`` through the points (d, R); at least two points with d > 0."""
    x = np.asarray(d, dtype=float)
    y = np.asarray(r, dtype=float)
    if x.shape != y.shape:
        raise ValueError(f"d and r differ in length: {x.shape} vs {y.shape}")
    keep = np.isfinite(x) & np.isfinite(y)
    x, y = x[keep], y[keep]
    if int((x > 0).sum()) < 2:
        raise ValueError("a Goodhart fit needs at least two points with d > 0")
    design = np.column_stack([x, -_shape(form, x)])
    (alpha, beta), *_ = np.linalg.lstsq(design, y, rcond=None)
    resid = y - design @ np.array([alpha, beta])
    ss_tot = float(((y - y.mean()) ** 2).sum())
    r2 = 1.0 - float((resid**2).sum()) / ss_tot if ss_tot > 0 else None
    peak_d, peak_value = _peak(form, float(alpha), float(beta))
    return GoodhartFit(form, float(alpha), float(beta), r2, len(x), peak_d, peak_value)


def fit_rl(d: Sequence[float], r: Sequence[float]) -> GoodhartFit:
    """Gao's RL form ``R(d) = d(α − β·log d)``."""
    return fit(d, r, "rl")


def fit_bon(d: Sequence[float], r: Sequence[float]) -> GoodhartFit:
    """Gao's best-of-n form ``R(d) = d(α − β·d)``."""
    return fit(d, r, "bon")


@dataclass(frozen=True)
class BootstrapFit:
    """The fit on all points with percentile intervals; ``unit`` says what was resampled (``runs`` or
    ``points``); ``peak_share`` is the share of resamples whose fit has a peak (the peak interval is
    over those)."""

    fit: GoodhartFit
    alpha_ci: tuple[float, float]
    beta_ci: tuple[float, float]
    peak_d_ci: tuple[float, float] | None
    peak_share: float
    n_boot: int
    unit: str

    def as_dict(self) -> dict[str, Any]:
        return {"fit": self.fit.as_dict(), "alpha_ci": self.alpha_ci, "beta_ci": self.beta_ci,
                "peak_d_ci": self.peak_d_ci, "peak_share": self.peak_share, "n_boot": self.n_boot, "unit": self.unit}


def bootstrap_fit(
    groups: Sequence[tuple[Sequence[float], Sequence[float]]],
    form: Form,
    n_boot: int = 1000,
    seed: int = 0,
    level: float = 0.95,
) -> BootstrapFit:
    """Fit ``form`` to the (d, R) points of all ``groups`` (one group per run), with intervals from
    resampling whole runs with replacement (points, when there is one run). Resamples too small to
    fit are skipped."""
    if not groups:
        raise ValueError("bootstrap_fit needs at least one group of points")
    arrays = [(np.asarray(d, dtype=float), np.asarray(r, dtype=float)) for d, r in groups]
    whole = fit(np.concatenate([a[0] for a in arrays]), np.concatenate([a[1] for a in arrays]), form)
    rng = np.random.default_rng(seed)
    by_runs = len(arrays) > 1
    d_all, r_all = arrays[0] if not by_runs else (None, None)
    fits: list[GoodhartFit] = []
    for _ in range(n_boot):
        if by_runs:
            pick = rng.integers(0, len(arrays), len(arrays))
            d = np.concatenate([arrays[i][0] for i in pick])
            r = np.concatenate([arrays[i][1] for i in pick])
        else:
            pick = rng.integers(0, len(d_all), len(d_all))  # type: ignore[arg-type]
            d, r = d_all[pick], r_all[pick]  # type: ignore[index]
        try:
            fits.append(fit(d, r, form))
        except (ValueError, np.linalg.LinAlgError):
            continue
    tail = (1.0 - level) / 2.0 * 100.0

    def ci(values: list[float]) -> tuple[float, float]:
        lo, hi = np.percentile(values, [tail, 100.0 - tail])
        return float(lo), float(hi)

    if not fits:
        return BootstrapFit(whole, (whole.alpha,) * 2, (whole.beta,) * 2, None, 0.0, 0, "runs" if by_runs else "points")
    peaks = [f.peak_d for f in fits if f.peak_d is not None]
    return BootstrapFit(
        whole,
        ci([f.alpha for f in fits]),
        ci([f.beta for f in fits]),
        ci(peaks) if peaks else None,
        len(peaks) / len(fits),
        len(fits),
        "runs" if by_runs else "points",
    )


def empirical_peak(d: Sequence[float], r: Sequence[float]) -> tuple[float, float] | None:
    """(d, R) of the highest measured point (the first of equals, in the given order), or None."""
    pairs = [(x, y) for x, y in zip(d, r, strict=True) if x is not None and y is not None and math.isfinite(y)]
    if not pairs:
        return None
    best = max(range(len(pairs)), key=lambda i: (pairs[i][1], -i))
    return pairs[best]


def gains(curve: Sequence[dict[str, Any]], key: str, d_key: str = "d_init") -> tuple[list[float], list[float]]:
    """(d, R) of one run's curve: ``key``'s gain over the curve's first point, where both are logged."""
    points = [(c[d_key], c[key]) for c in curve if c.get(d_key) is not None and c.get(key) is not None]
    if not points:
        return [], []
    start = points[0][1]
    return [p[0] for p in points], [p[1] - start for p in points]


@dataclass(frozen=True)
class AlarmPosition:
    """Where the reward-hacking alarm first fired on a curve, against the oracle's peak.

    ``fired_before_peak``: True when the first alarm came at or before the oracle's highest point
    and the oracle then fell (the peak was passed), False when it came after, None when the alarm
    never fired or the oracle never fell after its highest point (no peak passed). An alarm that
    compares with the previous probe point can at best fire at the first point past the peak
    (``lag`` 1, False): ``lag`` is the first alarm's distance from the peak in probe points."""

    alarm_d: float | None
    alarm_step: int | None
    peak_d: float | None
    peak_step: int | None
    fired_before_peak: bool | None
    lag: int | None = None


def alarm_position(
    curve: Sequence[dict[str, Any]],
    oracle: str = "judge_safe",
    alarms: Sequence[str] = ("alarm", "alarm_since_start"),
    d_key: str = "d_init",
) -> AlarmPosition:
    """The first alarm on one run's curve (in training order, one stage: d restarts with each stage),
    against the oracle's peak; ``oracle="helpful_judge"`` with ``alarms=("helpful_alarm",
    "helpful_alarm_since_start")`` reads the helpfulness signal."""
    points = [c for c in curve if c.get(oracle) is not None]
    fired = next((i for i, c in enumerate(points) if any(c.get(a) == 1 for a in alarms)), None)
    peak = max(range(len(points)), key=lambda i: (points[i][oracle], -i)) if points else None
    passed = peak is not None and any(c[oracle] < points[peak][oracle] for c in points[peak + 1:])

    def where(i: int | None) -> tuple[float | None, int | None]:
        if i is None:
            return None, None
        return points[i].get(d_key), points[i].get("global_step", points[i].get("step"))

    alarm_d, alarm_step = where(fired)
    peak_d, peak_step = where(peak if passed else None)
    if fired is None or not passed or peak is None:
        return AlarmPosition(alarm_d, alarm_step, peak_d, peak_step, None)
    return AlarmPosition(alarm_d, alarm_step, peak_d, peak_step, fired <= peak, fired - peak)
