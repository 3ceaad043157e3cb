"""Overall tests across k variants: chi-square on the k×2 table and Welch's one-way ANOVA.

References: (a) R's documented outputs with the R call beside each value, at the printed
precision; (b) the statistics written out here — Σ(O - E)²/E with E = row total · column total /
n (Yates: (|O - E| - 1/2)²/E), p from the closed-form χ² tails (df 1: erfc(√(X²/2)); df 2:
exp(-X²/2)); Welch's F from its formula in plain loops, against statsmodels' independent
``anova_oneway(use_var="unequal")`` and, for two arms, against Welch's t² from scipy.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from statsmodels.stats.oneway import anova_oneway

from funnelkit.core.stats.arguments import AnalysisError
from funnelkit.core.stats.overall import overall_means, overall_proportions


def counts(conversions, users) -> pd.DataFrame:
    names = [chr(ord("A") + i) for i in range(len(users))]
    return pd.DataFrame({"variant": names, "users": users, "conversions": conversions})


def pearson_by_hand(table, yates=False) -> float:
    n = sum(sum(r) for r in table)
    rows = [sum(r) for r in table]
    cols = [sum(r[j] for r in table) for j in range(len(table[0]))]
    total = 0.0
    for i, r in enumerate(table):
        for j, o in enumerate(r):
            e = rows[i] * cols[j] / n
            d = abs(o - e)
            if yates:
                d -= min(0.5, d)
            total += d * d / e
    return total


# ---------------------------------------------------------------- proportions
def test_three_variants_against_the_formula():
    # R: chisq.test(matrix(c(20, 80, 30, 70, 45, 55), ncol = 2, byrow = TRUE))  (no Yates, k > 2)
    row = overall_proportions(counts([20, 30, 45], [100, 100, 100])).iloc[0]
    x2 = pearson_by_hand([[20, 80], [30, 70], [45, 55]])
    assert row["statistic"] == pytest.approx(x2, rel=1e-12)
    assert row["df"] == 2 and row["test"] == "chi2" and row["note"] == ""
    assert row["p_value"] == pytest.approx(math.exp(-x2 / 2), rel=1e-10)  # χ²(2) tail
    assert row["statistic"] == pytest.approx(14.634146, abs=1e-6)  # = 3000/205, for the record
    assert row["statistic"] != pytest.approx(pearson_by_hand([[20, 80], [30, 70], [45, 55]], True))


def test_matches_r_prop_test_smokers():
    # R: ?prop.test   smokers <- c(83, 90, 129, 70); patients <- c(86, 93, 136, 82)
    #    prop.test(smokers, patients)   X-squared = 12.6, df = 3, p-value = 0.005585
    row = overall_proportions(counts([83, 90, 129, 70], [86, 93, 136, 82])).iloc[0]
    assert row["statistic"] == pytest.approx(12.6, abs=5e-3)
    assert row["df"] == 3 and row["p_value"] == pytest.approx(0.005585, abs=5e-7)
    table = [[x, n - x] for x, n in zip([83, 90, 129, 70], [86, 93, 136, 82], strict=True)]
    assert row["statistic"] == pytest.approx(pearson_by_hand(table), rel=1e-12)
    assert row["note"] == "" and row["min_expected"] == pytest.approx(82 * 25 / 397)
    small = overall_proportions(counts([1, 3, 2], [20, 20, 20])).iloc[0]
    assert "smallest expected count 2 < 5" in small["note"]  # R warns: may be incorrect


def test_matches_r_chisq_test_party():
    # R: ?chisq.test   M <- as.table(rbind(c(762, 327, 468), c(484, 239, 477)))
    #    chisq.test(M)   X-squared = 30.07, df = 2, p-value = 2.954e-07   (transposed: k×2)
    row = overall_proportions(counts([762, 327, 468], [762 + 484, 327 + 239, 468 + 477])).iloc[0]
    assert row["statistic"] == pytest.approx(30.07, abs=5e-3)
    assert row["p_value"] == pytest.approx(2.954e-07, abs=5e-11)


def test_two_variants_use_yates_as_r():
    row = overall_proportions(counts([45, 60], [1000, 1000])).iloc[0]
    x2 = pearson_by_hand([[45, 955], [60, 940]], yates=True)
    assert row["test"] == "chi2_yates" and row["df"] == 1
    assert row["statistic"] == pytest.approx(x2, rel=1e-12)
    assert row["p_value"] == pytest.approx(math.erfc(math.sqrt(x2 / 2)), rel=1e-10)


def test_degenerate_and_refused_tables():
    row = overall_proportions(counts([0, 0, 0], [10, 20, 30])).iloc[0]
    assert (row["statistic"], row["p_value"]) == (0.0, 1.0) and "no variation" in row["note"]
    with pytest.raises(AnalysisError, match="at least two variants"):
        overall_proportions(counts([1], [10]))
    with pytest.raises(AnalysisError, match="more 'conversions' than 'users'"):
        overall_proportions(counts([11, 1], [10, 10]))


# ---------------------------------------------------------------- means
SLEEP_1 = [0.7, -1.6, -0.2, -1.2, -0.1, 3.4, 3.7, 0.8, 0.0, 2.0]
SLEEP_2 = [1.9, 0.8, 1.1, 0.1, -0.1, 4.4, 5.5, 1.6, 4.6, 3.4]


def long(*groups) -> pd.DataFrame:
    return pd.DataFrame(
        [(f"g{i}", v) for i, g in enumerate(groups) for v in g], columns=["variant", "value"]
    )


def welch_anova_by_hand(groups):
    """Welch (1951), term by term in plain Python."""
    k = len(groups)
    n = [len(g) for g in groups]
    m = [sum(g) / len(g) for g in groups]
    v = [sum((x - mi) ** 2 for x in g) / (ni - 1) for g, mi, ni in zip(groups, m, n, strict=True)]
    w = [ni / vi for ni, vi in zip(n, v, strict=True)]
    sw = sum(w)
    mw = sum(wi * mi for wi, mi in zip(w, m, strict=True)) / sw
    a = sum(wi * (mi - mw) ** 2 for wi, mi in zip(w, m, strict=True)) / (k - 1)
    lam = sum((1 - wi / sw) ** 2 / (ni - 1) for wi, ni in zip(w, n, strict=True))
    f = a / (1 + 2 * (k - 2) * lam / (k * k - 1))
    df2 = (k * k - 1) / (3 * lam)
    return f, df2, stats.f.sf(f, k - 1, df2)


def test_welch_anova_matches_r_sleep():
    # R: oneway.test(extra ~ group, data = sleep)
    #    F = 3.4626, num df = 1.000, denom df = 17.776, p-value = 0.07939
    row = overall_means(long(SLEEP_1, SLEEP_2)).iloc[0]
    assert row["statistic"] == pytest.approx(3.4626, abs=5e-5)
    assert row["df"] == 1 and row["df_denom"] == pytest.approx(17.776, abs=5e-4)
    assert row["p_value"] == pytest.approx(0.07939, abs=5e-6)
    welch = stats.ttest_ind(SLEEP_1, SLEEP_2, equal_var=False)  # two arms: F = t²
    assert row["statistic"] == pytest.approx(welch.statistic**2, rel=1e-12)
    assert (row["df_denom"], row["p_value"]) == pytest.approx((welch.df, welch.pvalue), rel=1e-10)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_welch_anova_matches_formula_and_statsmodels(seed):
    rng = np.random.default_rng(seed)
    sizes, sds = rng.integers(3, 60, 4), rng.uniform(0.3, 4, 4)
    groups = [
        rng.normal(0.3 * i, s, n).tolist() for i, (n, s) in enumerate(zip(sizes, sds, strict=True))
    ]
    row = overall_means(long(*groups)).iloc[0]
    f, df2, p = welch_anova_by_hand(groups)
    assert (row["statistic"], row["df_denom"], row["p_value"]) == pytest.approx(
        (f, df2, p), rel=1e-10
    )
    ref = anova_oneway([np.array(g) for g in groups], use_var="unequal")
    assert (row["statistic"], row["p_value"]) == pytest.approx(
        (ref.statistic, ref.pvalue), rel=1e-9
    )
    assert row["df"] == 3 and row["variants"] == 4 and row["test"] == "welch_anova"
    # not the equal-variance ANOVA: the test tells the two apart
    assert row["statistic"] != pytest.approx(stats.f_oneway(*groups).statistic, rel=1e-3)


def test_welch_anova_degenerate_and_refused():
    row = overall_means(long([1.0, 1.0, 1.0], [1.0, 2.0, 3.0])).iloc[0]
    assert math.isnan(row["p_value"]) and "constant" in row["note"]
    with pytest.raises(AnalysisError, match="at least 2 users"):
        overall_means(long([1.0], [1.0, 2.0]))
    with pytest.raises(AnalysisError, match="at least two variants"):
        overall_means(long([1.0, 2.0]))
