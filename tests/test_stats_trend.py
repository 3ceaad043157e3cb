"""The Cochran–Armitage trend test against R ``prop.trend.test`` and two independent routes."""

from __future__ import annotations

import math

import numpy as np
import pytest
from statsmodels.stats.contingency_tables import Table

from funnelkit.core.errors import AnalysisError
from funnelkit.core.stats import proportion_trend_test


def test_matches_r_help_page_example():
    # R: smokers <- c(83, 90, 129, 70); patients <- c(86, 93, 136, 82)
    #    prop.trend.test(smokers, patients)
    #    X-squared = 8.2249, df = 1, p-value = 0.004132   (R's ?prop.trend.test)
    statistic, p_value = proportion_trend_test([83, 90, 129, 70], [86, 93, 136, 82])
    assert statistic == pytest.approx(8.2249, abs=5e-5)
    assert p_value == pytest.approx(0.004132, abs=5e-7)


def test_matches_hand_arithmetic_default_scores():
    # R: prop.trend.test(c(1, 2, 4), c(10, 10, 10))
    # p = 7/30, s̄ = 2, T = Σ x (s - s̄) = 1(-1) + 2(0) + 4(1) = 3,
    # V = p(1-p) Σ n (s - s̄)² = (7/30)(23/30)(10 + 0 + 10) = 3.577778,
    # X² = 9 / 3.577778 = 2.515528, p = P(χ²₁ > 2.515528) = 0.112730
    statistic, p_value = proportion_trend_test([1, 2, 4], [10, 10, 10])
    assert statistic == pytest.approx(9 / (7 / 30 * 23 / 30 * 20), rel=1e-12)
    assert statistic == pytest.approx(2.515528, abs=1e-6)
    assert p_value == pytest.approx(0.112730, abs=1e-6)


def test_matches_hand_arithmetic_given_scores():
    # R: prop.trend.test(c(5, 10, 20), c(50, 60, 70), score = c(0, 1, 3))
    # N = 180, p = 35/180, s̄ = (0·50 + 1·60 + 3·70)/180 = 1.5,
    # T = 5(-1.5) + 10(-0.5) + 20(1.5) = 17.5, Σ n (s - s̄)² = 112.5 + 15 + 157.5 = 285,
    # X² = 17.5² / ((35/180)(145/180) · 285) = 6.860254, p = 0.008813
    statistic, p_value = proportion_trend_test([5, 10, 20], [50, 60, 70], score=[0, 1, 3])
    assert statistic == pytest.approx(17.5**2 / (35 / 180 * 145 / 180 * 285), rel=1e-12)
    assert p_value == pytest.approx(0.008813, abs=1e-6)


@pytest.mark.parametrize(
    ("x", "n", "score"),
    [([83, 90, 129, 70], [86, 93, 136, 82], [1, 2, 3, 4]),
     ([1, 2, 4], [10, 10, 10], [1, 2, 3]),
     ([5, 10, 20], [50, 60, 70], [0, 1, 3])],
)  # fmt: skip
def test_equals_r_weighted_regression_and_statsmodels_up_to_n_minus_1(x, n, score):
    x, n, s = (np.asarray(v, dtype=float) for v in (x, n, score))
    statistic, _ = proportion_trend_test(x, n, score=s)
    # R's own route: lm(x/n ~ score, weights = n / (p (1 - p))), the "score" row of anova()
    p = x.sum() / n.sum()
    w = n / (p * (1 - p))
    design = np.column_stack([np.ones_like(s), s])
    beta = np.linalg.solve(design.T @ (w[:, None] * design), design.T @ (w * x / n))
    fitted = design @ beta
    regression_ss = (w * (fitted - (w * x / n).sum() / w.sum()) ** 2).sum()
    assert statistic == pytest.approx(regression_ss, rel=1e-10)
    # statsmodels' linear-by-linear association test is Mantel's M² = (N - 1) r²; the
    # Cochran–Armitage X² is N r², so z² · N / (N - 1) is R's statistic
    table = Table(np.column_stack([x, n - x]))
    z = table.test_ordinal_association(row_scores=s, col_scores=np.array([1.0, 0.0])).zscore
    assert statistic == pytest.approx(z**2 * n.sum() / (n.sum() - 1), rel=1e-10)


def test_degenerate_input_gives_nan():
    assert all(math.isnan(v) for v in proportion_trend_test([0, 0, 0], [5, 5, 5]))
    assert all(math.isnan(v) for v in proportion_trend_test([5, 5, 5], [5, 5, 5]))


def test_bad_input_is_refused():
    with pytest.raises(AnalysisError, match="same length"):
        proportion_trend_test([1, 2], [3, 4, 5])
    with pytest.raises(AnalysisError, match=r"0 <= x <= n"):
        proportion_trend_test([4, 2], [3, 4])
