"""Mann–Whitney (Wilcoxon rank-sum) as R ``wilcox.test(x, y)`` by default: exact when small.

R computes the exact p-value when both samples have fewer than 50 values and there are no ties,
else the normal approximation with continuity and tie correction. References: (a) R's documented
example (Hollander & Wolfe, the R call beside the printed value); (b) the exact null distribution
of U written here twice, by enumerating every split of the ranks and by the q-binomial recursion
f(m, n, u) = f(m - 1, n, u - n) + f(m, n - 1, u), with R's p-value rule (two-sided: twice the
smaller tail, at most 1); (c) the tie-corrected normal formula for the other cases.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pandas as pd
import pytest

from funnelkit.core.stats.columns import MeansComparison, mann_whitney
from funnelkit.core.stats.means import compare_means, compare_means_from_summary

# R: ?wilcox.test, Hollander & Wolfe (1973), 69f. (permeability constants; no ties)
HW_X = [0.80, 0.83, 1.89, 1.04, 1.45, 1.38, 1.91, 1.64, 0.73, 1.46]
HW_Y = [1.15, 0.88, 0.90, 0.74, 1.21]


def long(**arms) -> pd.DataFrame:
    return pd.DataFrame(
        [(k, v) for k, values in arms.items() for v in values], columns=["variant", "value"]
    )


def u_of(x, y) -> float:
    return float(sum((a > b) + 0.5 * (a == b) for a in x for b in y))


def u_counts_by_enumeration(n1: int, n2: int) -> np.ndarray:
    """Number of rank splits giving each U (U = rank sum of x - n1(n1 + 1)/2)."""
    counts = np.zeros(n1 * n2 + 1)
    for chosen in itertools.combinations(range(1, n1 + n2 + 1), n1):
        counts[sum(chosen) - n1 * (n1 + 1) // 2] += 1
    return counts


def u_counts_by_recursion(n1: int, n2: int) -> np.ndarray:
    """f(m, n, u): the largest of m + n values is in x (adds n to U) or in y."""
    table = {(m, 0): np.ones(1) for m in range(n1 + 1)}
    table |= {(0, n): np.ones(1) for n in range(n2 + 1)}
    for m in range(1, n1 + 1):
        for n in range(1, n2 + 1):
            f = np.zeros(m * n + 1)
            f[n:] += table[m - 1, n]
            f[: (m * (n - 1)) + 1] += table[m, n - 1]
            table[m, n] = f
    return table[n1, n2]


def r_exact_p(u: float, counts: np.ndarray, alternative: str) -> float:
    """R wilcox.test exact p from the null counts of U (x's W)."""
    pmf = counts / counts.sum()
    upper, lower = pmf[int(u) :].sum(), pmf[: int(u) + 1].sum()
    if alternative == "larger":
        return float(upper)
    if alternative == "smaller":
        return float(lower)
    p = upper if u > (len(pmf) - 1) / 2 else lower  # len(pmf) - 1 = n1·n2
    return float(min(1.0, 2 * p))


def normal_p(x, y, alternative: str) -> float:
    """R wilcox.test(exact = FALSE, correct = TRUE): tie-corrected sd, continuity 0.5."""
    n1, n2 = len(x), len(y)
    n = n1 + n2
    _, ties = np.unique(np.concatenate([x, y]), return_counts=True)
    sigma = math.sqrt(n1 * n2 / 12 * ((n + 1) - (ties**3 - ties).sum() / (n * (n - 1))))
    z = u_of(x, y) - n1 * n2 / 2

    def above(v: float) -> float:  # P(Z > v)
        return 0.5 * math.erfc(v / math.sqrt(2))

    if alternative == "larger":
        return above((z - 0.5) / sigma)
    if alternative == "smaller":
        return 1 - above((z + 0.5) / sigma)
    return min(1.0, 2 * above((abs(z) - 0.5) / sigma))


def test_matches_r_documented_example():
    # R: wilcox.test(x, y, alternative = "g")   W = 35, p-value = 0.1272
    row = compare_means(long(y=HW_Y, x=HW_X), control="y", alternative="larger").iloc[0]
    assert row["mw_statistic"] == 35.0 and row["mw_method"] == "exact"
    assert row["mw_p_value"] == pytest.approx(0.1272, abs=5e-5)
    # the same against the exact distribution written here
    counts = u_counts_by_enumeration(10, 5)
    assert row["mw_p_value"] == pytest.approx(r_exact_p(35, counts, "larger"), rel=1e-12)
    # the normal approximation would differ: the test can tell exact from approximate
    assert abs(row["mw_p_value"] - normal_p(np.array(HW_X), np.array(HW_Y), "larger")) > 1e-3


def test_recursion_agrees_with_enumeration():
    for n1, n2 in [(1, 4), (3, 7), (6, 6), (8, 5)]:
        np.testing.assert_array_equal(
            u_counts_by_recursion(n1, n2), u_counts_by_enumeration(n1, n2)
        )


@pytest.mark.parametrize("alternative", ["two-sided", "larger", "smaller"])
@pytest.mark.parametrize(("n1", "n2", "shift"), [(3, 7, 0.0), (8, 6, 0.5), (12, 4, -0.8)])
def test_exact_p_equals_enumeration(alternative, n1, n2, shift):
    rng = np.random.default_rng(n1 * 100 + n2)
    x, y = rng.normal(shift, 1, n1).round(6), rng.normal(0, 1, n2).round(6)
    u, p, method = mann_whitney(x, y, alternative)
    assert method == "exact" and u == u_of(x, y)
    assert p == pytest.approx(r_exact_p(u, u_counts_by_enumeration(n1, n2), alternative), rel=1e-12)


@pytest.mark.parametrize("alternative", ["two-sided", "larger"])
def test_exact_up_to_49_values_per_arm(alternative):
    rng = np.random.default_rng(49)
    x, y = rng.normal(0.3, 1, 49), rng.normal(0, 1, 49)
    row = compare_means(long(A=y, B=x), control="A", alternative=alternative, bootstrap=0).iloc[0]
    assert row["mw_method"] == "exact"
    expected = r_exact_p(u_of(x, y), u_counts_by_recursion(49, 49), alternative)
    assert row["mw_p_value"] == pytest.approx(expected, rel=1e-9)


def test_normal_with_50_values_or_with_ties():
    rng = np.random.default_rng(50)
    x, y = rng.normal(0.3, 1, 50), rng.normal(0, 1, 10)  # 50 values in one arm
    row = compare_means(long(A=y, B=x), control="A", bootstrap=0).iloc[0]
    assert row["mw_method"] == "normal"
    assert row["mw_p_value"] == pytest.approx(normal_p(x, y, "two-sided"), rel=1e-9)
    # ties, small samples (the depression data of ?wilcox.test, unpaired: y has two ties): R
    # warns "cannot compute exact p-value with ties" and uses the normal approximation
    x = np.array([1.83, 0.50, 1.62, 2.48, 1.68, 1.88, 1.55, 3.06, 1.30])
    y = np.array([0.878, 0.647, 0.598, 2.05, 1.06, 1.29, 1.06, 3.14, 1.29])
    row = compare_means(long(y=y, x=x), control="y", bootstrap=0).iloc[0]
    assert row["mw_method"] == "normal" and row["mw_statistic"] == u_of(x, y)
    assert row["mw_p_value"] == pytest.approx(normal_p(x, y, "two-sided"), rel=1e-9)


def test_method_is_known_before_the_robust_numbers():
    first = MeansComparison(long(A=HW_Y, B=HW_X), ["value"], control="A").frames(robust=False)
    assert first["value"]["mw_method"].tolist() == ["exact"]
    assert first["value"]["mw_p_value"].isna().all()
    sums = pd.DataFrame({"variant": ["A", "B"], "users": [5, 5], "sum": [3, 7], "sum_sq": [5, 17]})
    assert compare_means_from_summary(sums, control="A")["mw_method"].isna().all()
