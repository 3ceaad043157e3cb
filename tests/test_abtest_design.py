"""Design: sample size, MDE, power and duration against R power.prop.test / power.t.test.

References: (a) R's documented outputs, the R call next to each value, at the printed precision
(R's own ``## =>`` comments in ?power.prop.test print 3-4 digits); (b) R's formulas written out
here: power.prop.test (strict = FALSE) has the closed form
n = (z_{α/2}·√(2·p̄·q̄) + z_β·√(p1q1 + p2q2))² / (p1 - p2)², and power.t.test (strict = FALSE) is
pt(qt(α/2, df, lower = FALSE), df, ncp, lower = FALSE) with df = 2(n - 1), ncp = √(n/2)·δ/σ,
solved with brentq at a tight tolerance; compared at 1e-9 (closed forms) / 1e-6 (root finding).
"""

from __future__ import annotations

import itertools
import math
from statistics import NormalDist

import pytest
from scipy import integrate, optimize, stats

from funnelkit.abtest.design import (
    days_needed,
    mde_mean,
    mde_proportion,
    power_mean,
    power_proportion,
    sample_size_mean,
    sample_size_proportion,
)
from funnelkit.core.stats.arguments import AnalysisError

Z = NormalDist().inv_cdf


def r_power_prop_n(p1, p2, alpha=0.05, power=0.8, sides=2, ratio=1.0):
    """power.prop.test n (strict = FALSE) in closed form, generalised to n2 = ratio·n1 with the
    pooled rate weighted by group size (ratio = 1 is R's formula exactly)."""
    pbar = (p1 + ratio * p2) / (1 + ratio)
    null = math.sqrt(pbar * (1 - pbar) * (1 + 1 / ratio))
    alt = math.sqrt(p1 * (1 - p1) + p2 * (1 - p2) / ratio)
    return ((Z(1 - alpha / sides) * null + Z(power) * alt) / (p1 - p2)) ** 2


def r_power_prop_power(n, p1, p2, alpha=0.05, sides=2):
    """power.prop.test p.body (strict = FALSE), R source transcribed."""
    q = Z(1 - alpha / sides)
    body = (math.sqrt(n * (p1 - p2) ** 2) - q * math.sqrt((p1 + p2) * (1 - (p1 + p2) / 2))) / (
        math.sqrt(p1 * (1 - p1) + p2 * (1 - p2))
    )
    return NormalDist().cdf(body)


def r_power_t_power(n1, delta, sd=1.0, alpha=0.05, sides=2, ratio=1.0):
    """power.t.test two-sample p.body (strict = FALSE) via scipy's noncentral t, with
    n2 = ratio·n1: df = n1 + n2 - 2, ncp = δ / (σ·√(1/n1 + 1/n2))."""
    n2 = ratio * n1
    df = n1 + n2 - 2
    ncp = delta / (sd * math.sqrt(1 / n1 + 1 / n2))
    return stats.nct.sf(stats.t.isf(alpha / sides, df), df, ncp)


# ---------------------------------------------------------------- R documented outputs
def test_sample_size_proportion_matches_power_prop_test():
    # R: power.prop.test(p1 = .50, p2 = .75, power = .90)  ## =>  n = 76.7
    row = sample_size_proportion(0.5, mde=0.25, power=0.9).iloc[0]
    assert row["n_control_exact"] == pytest.approx(76.7, abs=0.05)
    assert row["n_control_exact"] == pytest.approx(r_power_prop_n(0.5, 0.75, power=0.9), rel=1e-9)
    assert (row["n_control"], row["n_variant"], row["n_total"]) == (77, 77, 154)
    assert row["method"] == "r_power_prop_test"


def test_power_proportion_matches_power_prop_test():
    # R: power.prop.test(n = 50, p1 = .50, p2 = .75)  ## => power = 0.740
    assert power_proportion(0.5, target=0.75, n_control=50) == pytest.approx(0.740, abs=5e-4)
    assert power_proportion(0.5, target=0.75, n_control=50) == pytest.approx(
        r_power_prop_power(50, 0.5, 0.75), rel=1e-9
    )


def test_mde_proportion_matches_power_prop_test():
    # R: power.prop.test(n = 50, p1 = .5, power = .90)  ## => p2 = 0.8026
    row = mde_proportion(0.5, n_control=50, power=0.9).iloc[0]
    assert row["target"] == pytest.approx(0.8026, abs=5e-5)
    assert r_power_prop_power(50, 0.5, row["target"]) == pytest.approx(0.9, abs=1e-9)


def test_power_mean_matches_power_t_test():
    # R: power.t.test(n = 20, delta = 1)  power = 0.8689528
    assert power_mean(1.0, mde=1.0, n_control=20) == pytest.approx(0.8689528, abs=5e-8)
    assert power_mean(2.0, mde=2.0, n_control=20) == pytest.approx(
        r_power_t_power(20, 1.0), rel=1e-9
    )


def test_sample_size_mean_matches_power_t_test():
    # R: power.t.test(power = .90, delta = 1)  n = 22.02110
    row = sample_size_mean(1.0, mde=1.0, power=0.9).iloc[0]
    assert row["n_control_exact"] == pytest.approx(22.02110, abs=5e-6)
    assert (row["n_control"], row["n_total"], row["method"]) == (23, 46, "r_power_t_test")


# ---------------------------------------------------------------- R's formulas by hand
@pytest.mark.parametrize(
    ("baseline", "mde", "relative", "power", "alpha"),
    [(0.04, 0.1, True, 0.8, 0.05), (0.2, 0.02, False, 0.9, 0.01), (0.5, 0.05, False, 0.8, 0.1)],
)
def test_sample_size_proportion_equals_closed_form(baseline, mde, relative, power, alpha):
    row = sample_size_proportion(baseline, mde=mde, relative=relative, power=power, alpha=alpha)
    row = row.iloc[0]
    target = baseline * (1 + mde) if relative else baseline + mde
    assert row["target"] == pytest.approx(target, rel=1e-12)
    assert row["mde_rel"] == pytest.approx(target / baseline - 1, rel=1e-9)
    exact = r_power_prop_n(baseline, target, alpha=alpha, power=power)
    assert row["n_control_exact"] == pytest.approx(exact, rel=1e-9)
    assert row["n_control"] == math.ceil(exact)


def test_unequal_allocation_sample_size_and_power():
    # ratio = n_variant / n_control = 3; closed form with the size-weighted pooled rate
    row = sample_size_proportion(0.10, mde=0.02, ratio=3.0).iloc[0]
    # statsmodels' sample 1 is the variant: n_variant = r_power_prop_n(target, base, ratio=1/3)
    n_variant = r_power_prop_n(0.12, 0.10, ratio=1 / 3)
    assert row["n_control_exact"] == pytest.approx(n_variant / 3, rel=1e-9)
    assert row["n_variant"] == math.ceil(n_variant)
    assert row["n_control"] < sample_size_proportion(0.10, mde=0.02).iloc[0]["n_control"]
    achieved = power_proportion(0.10, target=0.12, n_control=row["n_control_exact"], ratio=3.0)
    assert achieved == pytest.approx(0.8, abs=1e-9)


def test_variants_use_bonferroni_alpha():
    three = sample_size_proportion(0.1, mde=0.02, variants=3).iloc[0]
    assert three["alpha_per_comparison"] == 0.025
    exact = r_power_prop_n(0.1, 0.12, alpha=0.025)
    assert three["n_control_exact"] == pytest.approx(exact, rel=1e-9)
    assert three["n_total"] == 3 * math.ceil(exact)
    four = sample_size_mean(10.0, mde=1.0, variants=4).iloc[0]
    assert four["alpha_per_comparison"] == pytest.approx(0.05 / 3)
    assert four["n_total"] == 4 * four["n_control"]


def test_one_sided_and_smaller_alternatives():
    one = sample_size_proportion(0.1, mde=0.02, alternative="larger").iloc[0]
    assert one["n_control_exact"] == pytest.approx(r_power_prop_n(0.1, 0.12, sides=1), rel=1e-9)
    down = sample_size_proportion(0.1, mde=0.02, alternative="smaller").iloc[0]
    assert down["target"] == pytest.approx(0.08)
    assert down["n_control_exact"] == pytest.approx(r_power_prop_n(0.1, 0.08, sides=1), rel=1e-9)
    down_mde = mde_proportion(0.1, n_control=3000, alternative="smaller").iloc[0]
    assert down_mde["target"] < 0.1 and down_mde["mde_abs"] < 0


@pytest.mark.parametrize(
    ("ratio", "alternative"), [(1.0, "two-sided"), (2.5, "two-sided"), (0.5, "larger")]
)
def test_sample_size_mean_solves_r_power_t_test(ratio, alternative):
    sides = 2 if alternative == "two-sided" else 1
    row = sample_size_mean(15.0, mde=2.0, ratio=ratio, alternative=alternative).iloc[0]
    assert r_power_t_power(row["n_control_exact"], 2.0, 15.0, sides=sides, ratio=ratio) == (
        pytest.approx(0.8, abs=1e-9)
    )
    reference = optimize.brentq(
        lambda n: r_power_t_power(n, 2.0, 15.0, sides=sides, ratio=ratio) - 0.8, 2, 1e7, xtol=1e-12
    )
    assert row["n_control_exact"] == pytest.approx(reference, rel=1e-6)
    assert row["effect_size"] == pytest.approx(2 / 15)


def test_mde_round_trips():
    for sd, n in [(1.0, 23), (40.0, 5000)]:
        mde = mde_mean(sd, n_control=n, power=0.9).iloc[0]["mde"]
        assert sample_size_mean(sd, mde=mde, power=0.9).iloc[0]["n_control_exact"] == (
            pytest.approx(n, rel=1e-6)
        )
    target = mde_proportion(0.04, n_control=20_000, ratio=2.0).iloc[0]["target"]
    back = sample_size_proportion(0.04, mde=target - 0.04, ratio=2.0).iloc[0]
    assert back["n_control_exact"] == pytest.approx(20_000, rel=1e-6)


def test_huge_effect_needs_the_minimum_two_users():
    assert sample_size_mean(1.0, mde=50.0).iloc[0]["n_control_exact"] == 2.0


def test_days_needed():
    row = days_needed(10_000, daily_users=1_200, share_in_test=0.5).iloc[0]
    assert (row["users_per_day"], row["days"]) == (600.0, 17)  # ceil(10000 / 600) = ceil(16.67)
    assert days_needed(1000, daily_users=100).iloc[0]["days"] == 10  # exact: no extra day
    assert days_needed(1000, daily_users=1000, share_in_test=0.1).iloc[0]["days"] == 10


# ---------------------------------------------------------------- errors
@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"baseline": 0.0}, r"`baseline` must be strictly between 0 and 1, but 0.0"),
        ({"baseline": 1.2}, r"`baseline` must be strictly between 0 and 1"),
        ({"mde": 0}, r"`mde` must be a finite number > 0, but 0.0"),
        ({"mde": -0.01}, r"`mde` must be a finite number > 0"),
        ({"mde": 0.6}, r"target rate baseline \+ mde = 1.1 must be strictly between 0 and 1"),
        ({"mde": 0.6, "alternative": "smaller"}, r"baseline - mde = -0.1 must be strictly between"),
        ({"power": 1.0}, r"`power` must be strictly between 0 and 1"),
        ({"alpha": -0.05}, r"`alpha` must be strictly between 0 and 1"),
        ({"variants": 1}, r"`variants` counts all arms including control.*>= 2"),
        ({"ratio": 0}, r"`ratio` must be a finite number > 0"),
        ({"alternative": "one-sided"}, r"`alternative` must be one of \['two-sided'"),
        ({"power": 0.01}, r"`power` \(0.01\) must exceed the one-tail alpha"),
        ({"mde": "big"}, r"`mde` must be a number > 0, but 'big'"),
    ],
)
def test_sample_size_proportion_errors(kwargs, match):
    arguments = {"baseline": 0.5, "mde": 0.05} | kwargs
    with pytest.raises(AnalysisError, match=match):
        sample_size_proportion(arguments.pop("baseline"), **arguments)


def test_other_design_errors():
    with pytest.raises(AnalysisError, match=r"`sd` must be a finite number > 0"):
        sample_size_mean(0.0, mde=1.0)
    with pytest.raises(AnalysisError, match=r"`mde`=1e-06 is too small for sd=100.0"):
        sample_size_mean(100.0, mde=1e-6)
    with pytest.raises(AnalysisError, match=r"`n_control` must be >= 2"):
        mde_mean(1.0, n_control=1.5)
    with pytest.raises(AnalysisError, match=r"With n_control=2 not even a move of the rate"):
        mde_proportion(0.5, n_control=2, power=0.99)
    with pytest.raises(AnalysisError, match=r"`share_in_test` is the share of daily traffic"):
        days_needed(100, daily_users=10, share_in_test=1.5)
    with pytest.raises(AnalysisError, match=r"`daily_users` must be a finite number > 0"):
        days_needed(100, daily_users=0)


# ---------------------------------------------------------------- power.t.test over its range
def t_power_by_integration(n1, delta, sd=1.0, alpha=0.05, sides=2, ratio=1.0):
    """power.t.test p.body without scipy's noncentral t: with T' = (Z + ncp) / √(V/df),
    V ~ χ²(df) and c > 0, P(T' > c) = ∫_{-ncp}^∞ φ(z) · P(V < df·((z + ncp)/c)²) dz, integrated
    with quad piecewise around the step of the χ² cdf at z = c - ncp."""
    n2 = ratio * n1
    df = n1 + n2 - 2
    ncp = delta / (sd * math.sqrt(1 / n1 + 1 / n2))
    c = stats.t.isf(alpha / sides, df)

    def integrand(z):
        return stats.norm.pdf(z) * stats.chi2.cdf(df * ((z + ncp) / c) ** 2, df)

    start, step, width = max(-ncp, -40.0), c - ncp, 10 * c / math.sqrt(df)
    cuts = sorted({start, *(max(start, min(x, 40.0)) for x in (step - width, step, step + width)),
                   max(start, 40.0)})  # fmt: skip
    return sum(
        integrate.quad(integrand, a, b, epsabs=1e-14, epsrel=1e-12, limit=200)[0]
        for a, b in itertools.pairwise(cuts)
        if b > a
    )


def test_power_t_test_documented_examples():
    # R: power.t.test(delta = 0.5, sd = 1, power = 0.8)   n = 63.76576  (crashed before: NaN)
    assert sample_size_mean(1.0, mde=0.5).iloc[0]["n_control_exact"] == pytest.approx(
        63.76576, abs=5e-6
    )
    # R: power.t.test(power = .90, delta = 1, alternative = "one.sided")   n = 17.84713
    # (R's uniroot stops at tol = .Machine$double.eps^0.25 ≈ 1.2e-4; the exact root is 17.847121)
    one = sample_size_mean(1.0, mde=1.0, power=0.9, alternative="larger").iloc[0]
    assert one["n_control_exact"] == pytest.approx(17.84713, abs=1.3e-4)
    assert t_power_by_integration(one["n_control_exact"], 1.0, sides=1) == pytest.approx(
        0.9, abs=1e-9
    )
    # R: power.t.test(power = .90, delta = 1)   n = 22.02110;  power.t.test(n = 20, delta = 1)
    #    power = 0.8689528
    assert sample_size_mean(1.0, mde=1.0, power=0.9).iloc[0]["n_control_exact"] == (
        pytest.approx(22.02110, abs=5e-6)
    )
    assert power_mean(1.0, mde=1.0, n_control=20) == pytest.approx(0.8689528, abs=5e-8)
    assert t_power_by_integration(20, 1.0) == pytest.approx(0.8689528, abs=5e-8)  # the reference


@pytest.mark.parametrize("effect", [0.01, 0.05, 0.2, 0.5, 1.0, 2.0, 3.0])
@pytest.mark.parametrize("power", [0.5, 0.8, 0.99])
def test_sample_size_mean_over_the_whole_range(effect, power):
    # n solves power.t.test: the integrated power at n equals the target (power rises with n)
    row = sample_size_mean(1.0, mde=effect, power=power).iloc[0]
    n = row["n_control_exact"]
    assert 2.0 < n < 1e7 and row["n_control"] == math.ceil(n)
    assert t_power_by_integration(n, effect) == pytest.approx(power, abs=1e-8)


@pytest.mark.parametrize("n", [2, 10, 1_000, 100_000, 10_000_000])
@pytest.mark.parametrize("effect", [0.01, 0.5, 1.0, 3.0])
def test_power_mean_over_the_whole_range(n, effect):
    found = power_mean(1.0, mde=effect, n_control=n)  # was NaN at large n
    assert math.isfinite(found)
    assert found == pytest.approx(t_power_by_integration(n, effect), abs=1e-9)


def test_power_mean_unequal_groups_and_the_normal_fallback():
    found = power_mean(3.0, mde=1.0, n_control=40, ratio=2.5, alternative="larger")
    assert found == pytest.approx(
        t_power_by_integration(40, 1.0, 3.0, sides=1, ratio=2.5), abs=1e-9
    )
    # df above 1e12 (an extreme ratio): the normal approximation P(Z > t_crit - ncp)
    n1, ratio, delta = 1e6, 1e7, 0.003
    ncp = delta / math.sqrt(1 / n1 + 1 / (n1 * ratio))
    normal = 1 - NormalDist().cdf(NormalDist().inv_cdf(0.975) - ncp)
    assert power_mean(1.0, mde=delta, n_control=n1, ratio=ratio) == pytest.approx(normal, abs=1e-9)


def test_mde_mean_over_the_range():
    for n, power in [(2, 0.5), (50, 0.8), (100_000, 0.99), (10_000_000, 0.8)]:
        mde = mde_mean(1.0, n_control=n, power=power).iloc[0]["mde"]
        assert t_power_by_integration(n, mde) == pytest.approx(power, abs=1e-8)
