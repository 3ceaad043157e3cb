"""The mixture SPRT (Johari, Koomen, Pekelis & Walsh 2017): always-valid p-values.

References: (a) Λ written as the mixture it is, ∫ N(θ̂; θ, V) / N(θ̂; θ₀, V) · N(θ; θ₀, τ²) dθ,
integrated numerically here and compared with the closed form; (b) simulation, fixed seed:
under H0 with 30 daily looks the chance that the always-valid p ever falls to 0.05 stays within
0.05 + 3 Monte-Carlo standard errors, while stopping at the first fixed-horizon z-test p < 0.05
exceeds that bound (so the check can fail); under a real effect the test stops, and early.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import integrate, stats

from funnelkit.core.stats.arguments import AnalysisError
from funnelkit.core.stats.sequential import always_valid_p, msprt, msprt_log_lr

SIMS, LOOKS, DAILY, RATE = 2000, 30, 500, 0.10
BOUND = 0.05 + 3 * math.sqrt(0.05 * 0.95 / SIMS)  # 0.0646


def mixture_lr_by_integration(diff, variance, tau, theta0=0.0):
    sd = math.sqrt(variance)

    def integrand(theta):
        ratio = stats.norm.pdf(diff, theta, sd) / stats.norm.pdf(diff, theta0, sd)
        return ratio * stats.norm.pdf(theta, theta0, tau)

    centre = theta0 + (diff - theta0) * tau**2 / (tau**2 + variance)  # posterior mode
    width = 12 * math.sqrt(tau**2 * variance / (tau**2 + variance))
    return integrate.quad(integrand, centre - width, centre + width, epsabs=0, epsrel=1e-12)[0]


@pytest.mark.parametrize(
    ("diff", "variance", "tau", "theta0"),
    [(0.0, 1e-4, 0.01, 0.0), (0.02, 5e-5, 0.01, 0.0), (-0.8, 0.09, 0.5, 0.0), (3.0, 1.0, 2.0, 1.0)],
)
def test_closed_form_is_the_normal_mixture(diff, variance, tau, theta0):
    found = math.exp(float(msprt_log_lr(diff, variance, tau=tau, theta0=theta0)))
    assert found == pytest.approx(mixture_lr_by_integration(diff, variance, tau, theta0), rel=1e-8)


def test_p_value_is_the_running_minimum_of_one_over_lambda():
    diff = [0.0, 0.02, 0.01, 0.04, 0.0]
    variance = [1e-4, 5e-5, 3e-5, 2e-5, 1e-5]
    lam = [mixture_lr_by_integration(d, v, 0.01) for d, v in zip(diff, variance, strict=True)]
    expected = np.minimum.accumulate([min(1.0, 1 / x) for x in lam])
    np.testing.assert_allclose(always_valid_p(diff, variance, tau=0.01), expected, rtol=1e-8)
    assert always_valid_p([0.1, 0.1], [0.0, np.nan], tau=0.01).tolist() == [1.0, 1.0]


def simulate(variant_rate: float, seed: int, tau: float = 0.01):
    """Cumulative daily counts of SIMS experiments; always-valid p and fixed-horizon z."""
    rng = np.random.default_rng(seed)
    n = DAILY * np.arange(1, LOOKS + 1)
    control = rng.binomial(DAILY, RATE, (SIMS, LOOKS)).cumsum(axis=1) / n
    variant = rng.binomial(DAILY, variant_rate, (SIMS, LOOKS)).cumsum(axis=1) / n
    diff = variant - control
    variance = control * (1 - control) / n + variant * (1 - variant) / n
    return always_valid_p(diff, variance, tau=tau), diff / np.sqrt(variance)


def test_peeking_every_day_keeps_the_false_positive_rate():
    p, z = simulate(RATE, seed=2017)
    msprt_rate = float((p[:, -1] <= 0.05).mean())  # p never rises: the last look is "ever"
    naive_rate = float((np.abs(z) > stats.norm.isf(0.025)).any(axis=1).mean())
    assert msprt_rate <= BOUND
    assert naive_rate > BOUND  # stopping at the first z-test p < 0.05 fails this very check
    assert float((np.abs(z[:, -1]) > stats.norm.isf(0.025)).mean()) <= BOUND  # one look is fine


def test_power_under_a_real_effect():
    p, z = simulate(0.12, seed=2018)  # +2 points on 10%: the fixed-horizon test always finds it
    stopped = p[:, -1] <= 0.05
    assert stopped.mean() >= 0.95
    first = np.argmax(p <= 0.05, axis=1)[stopped] + 1
    assert first.mean() < 15  # typically stops in the first half of the month
    p, z = simulate(0.11, seed=2019)  # +1 point: the price of always-valid is some power
    fixed = float((np.abs(z[:, -1]) > stats.norm.isf(0.025)).mean())
    assert 0.3 <= float((p[:, -1] <= 0.05).mean()) <= fixed


def test_frame_for_rates_matches_the_formula():
    days = pd.DataFrame({
        "date": ["d1", "d1", "d1", "d2", "d2", "d2"], "variant": ["A", "B", "C"] * 2,
        "cumulative_users": [1000, 1000, 990, 2000, 2010, 1985],
        "cumulative_conversions": [100, 130, 95, 200, 270, 190],
    })  # fmt: skip
    found = msprt(days, control="A", tau=0.02)
    assert found["variant"].tolist() == ["B", "B", "C", "C"]
    row = found.iloc[1]
    p1, p2 = 270 / 2010, 200 / 2000
    variance = p1 * (1 - p1) / 2010 + p2 * (1 - p2) / 2000
    assert (row["diff"], row["std_error"]) == pytest.approx((p1 - p2, math.sqrt(variance)))
    lam = mixture_lr_by_integration(p1 - p2, variance, 0.02)
    assert row["likelihood_ratio"] == pytest.approx(lam, rel=1e-8)
    lam_first = mixture_lr_by_integration(0.03, 0.1 * 0.9 / 1000 + 0.13 * 0.87 / 1000, 0.02)
    assert row["p_value"] == pytest.approx(min(1, 1 / lam, 1 / lam_first), rel=1e-8)
    assert row["crossed"] == (row["p_value"] <= 0.05) and bool(row["crossed"])
    assert not found.iloc[2:]["crossed"].any() and found["test"].eq("msprt_normal_mixture").all()


def test_frame_for_means_and_empty_looks():
    rng = np.random.default_rng(5)
    x, y = rng.normal(1.0, 2.0, 300), rng.normal(0.0, 2.0, 300)
    rows = []
    for look, upto in enumerate([0, 100, 300]):
        for name, values in (("ctl", y), ("new", x)):
            part = values[:upto]
            rows.append((look, name, upto, part.sum(), (part**2).sum()))
    data = pd.DataFrame(rows, columns=["day", "variant", "n", "s", "ss"])
    found = msprt(data, control="ctl", tau=0.5, look_col="day", users_col="n", sum_col="s",
                  sum_sq_col="ss")  # fmt: skip
    assert found.loc[0, "p_value"] == 1.0 and "no variance" in found.loc[0, "note"]
    last = found.iloc[-1]
    variance = x.var(ddof=1) / 300 + y.var(ddof=1) / 300
    assert last["diff"] == pytest.approx(x.mean() - y.mean(), rel=1e-12)
    assert last["std_error"] == pytest.approx(math.sqrt(variance), rel=1e-9)
    assert last["likelihood_ratio"] == pytest.approx(
        mixture_lr_by_integration(x.mean() - y.mean(), variance, 0.5), rel=1e-8
    )


def test_refused_inputs():
    days = pd.DataFrame({"date": [1, 1], "variant": ["A", "B"], "cumulative_users": [10, 10],
                         "cumulative_conversions": [1, 2]})  # fmt: skip
    with pytest.raises(AnalysisError, match="`tau` must be a finite number > 0"):
        msprt(days, control="A", tau=0)
    with pytest.raises(AnalysisError, match="`control` 'Z'"):
        msprt(days, control="Z", tau=0.01)
    with pytest.raises(AnalysisError, match="one row per variant and 'date'"):
        msprt(pd.concat([days, days]), control="A", tau=0.01)
    with pytest.raises(AnalysisError, match="cumulative counts"):
        msprt(days.assign(cumulative_conversions=[11, 2]), control="A", tau=0.01)
    with pytest.raises(AnalysisError, match="both `sum_col` and `sum_sq_col`"):
        msprt(days, control="A", tau=0.01, sum_col="cumulative_users")
