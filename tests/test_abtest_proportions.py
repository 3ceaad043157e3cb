"""Proportions, SRM and p.adjust against R's printed outputs and hand-written closed forms.

References: (a) R example outputs, the R call next to each value, compared at R's printed
precision; (b) independent closed-form implementations below (pooled z, Yates X², Wilson,
Newcombe, log-ratio delta method, hypergeometric Fisher by brute force, R's ``p.adjust`` source),
compared at 1e-9 (closed forms) as ``../shared/STATS_CONVENTIONS.md`` states.
"""

from __future__ import annotations

import math
import warnings
from statistics import NormalDist

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from funnelkit.core.stats.arguments import AnalysisError, AnalysisWarning
from funnelkit.core.stats.multiple import adjust_pvalues
from funnelkit.core.stats.proportions import compare_proportions, proportion_ci, srm_test

TIGHT = {"rel": 1e-9, "abs": 1e-12}


def counts(*arms: tuple[str, int, int]) -> pd.DataFrame:
    return pd.DataFrame(arms, columns=["variant", "users", "conversions"])


# ---------------------------------------------------------------- hand-written references
def z_q(alpha: float) -> float:
    return NormalDist().inv_cdf(1 - alpha / 2)


def pooled_z(x1, n1, x2, n2) -> float:
    """Two-proportion z, pooled SE, no continuity correction (R prop.test(correct=FALSE))."""
    p = (x1 + x2) / (n1 + n2)
    return (x1 / n1 - x2 / n2) / math.sqrt(p * (1 - p) * (1 / n1 + 1 / n2))


def two_sided_normal_p(z: float) -> float:
    return math.erfc(abs(z) / math.sqrt(2))


def chi2_2x2(x1, n1, x2, n2, *, yates: bool) -> float:
    """X² of the 2×2 table, Yates term min(0.5, |O - E|) as R chisq.test/prop.test."""
    table = [[x1, n1 - x1], [x2, n2 - x2]]
    total = n1 + n2
    cols = [x1 + x2, total - x1 - x2]
    stat = 0.0
    for i, row_total in enumerate((n1, n2)):
        for j in range(2):
            e = row_total * cols[j] / total
            dev = abs(table[i][j] - e)
            stat += (dev - (min(0.5, dev) if yates else 0.0)) ** 2 / e
    return stat


def wilson(x, n, alpha=0.05) -> tuple[float, float]:
    z = z_q(alpha)
    p = x / n
    center = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return center - half, center + half


def newcombe(x1, n1, x2, n2, alpha=0.05) -> tuple[float, float]:
    """Newcombe (1998) method 10: hybrid score interval from the two Wilson intervals."""
    p1, p2 = x1 / n1, x2 / n2
    l1, u1 = wilson(x1, n1, alpha)
    l2, u2 = wilson(x2, n2, alpha)
    d = p1 - p2
    return d - math.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2), d + math.sqrt(
        (u1 - p1) ** 2 + (p2 - l2) ** 2
    )


def log_ratio_ci(x1, n1, x2, n2, alpha=0.05) -> tuple[float, float]:
    """Delta method on log(p1/p2): SE² = 1/x1 - 1/n1 + 1/x2 - 1/n2; returned minus 1."""
    r = (x1 / n1) / (x2 / n2)
    se = math.sqrt(1 / x1 - 1 / n1 + 1 / x2 - 1 / n2)
    z = z_q(alpha)
    return r * math.exp(-z * se) - 1, r * math.exp(z * se) - 1


def fisher_brute(x1, n1, x2, n2, alternative="two-sided") -> float:
    """Fisher's exact p by summing hypergeometric probabilities with math.comb (R fisher.test:
    two-sided sums tables with P <= P_observed * (1 + 1e-7))."""
    k, total = x1 + x2, n1 + n2
    lo, hi = max(0, k - n2), min(k, n1)
    prob = {
        a: math.comb(n1, a) * math.comb(n2, k - a) / math.comb(total, k) for a in range(lo, hi + 1)
    }
    if alternative == "larger":
        return sum(p for a, p in prob.items() if a >= x1)
    if alternative == "smaller":
        return sum(p for a, p in prob.items() if a <= x1)
    return min(1.0, sum(p for p in prob.values() if p <= prob[x1] * (1 + 1e-7)))


def r_p_adjust(p, method):
    """Transcription of R's stats::p.adjust source (NA dropped, n = number of non-NA)."""
    p = np.asarray(p, dtype=float)
    out = p.copy()
    keep = ~np.isnan(p)
    q = p[keep]
    n = len(q)
    if n <= 1 or method == "none":
        return out
    if method == "bonferroni":
        adj = np.minimum(1, n * q)
    elif method == "holm":
        o = np.argsort(q, kind="stable")
        i = np.arange(1, n + 1)
        adj = np.empty(n)
        adj[o] = np.minimum(1, np.maximum.accumulate((n + 1 - i) * q[o]))
    elif method in ("hochberg", "bh", "by"):
        o = np.argsort(-q, kind="stable")
        i = np.arange(n, 0, -1)
        factor = {
            "hochberg": n + 1 - i,
            "bh": n / i,
            "by": sum(1 / np.arange(1, n + 1)) * n / i,
        }[method]
        adj = np.empty(n)
        adj[o] = np.minimum(1, np.minimum.accumulate(factor * q[o]))
    elif method == "hommel":
        if n == 2:
            return r_p_adjust(p, "hochberg")
        o = np.argsort(q, kind="stable")
        s = q[o]
        i = np.arange(1, n + 1)
        qq = pa = np.full(n, np.min(n * s / i))
        for m in range(n - 1, 1, -1):
            i1 = np.arange(0, n - m + 1)
            i2 = np.arange(n - m + 1, n)
            q1 = np.min(m * s[i2] / np.arange(2, m + 1))
            qq = qq.copy()
            qq[i1] = np.minimum(m * s[i1], q1)
            qq[i2] = qq[n - m]
            pa = np.maximum(pa, qq)
        adj = np.empty(n)
        adj[o] = np.maximum(pa, s)
    out[keep] = adj
    return out


# ---------------------------------------------------------------- R printed outputs
def test_fisher_matches_r_tea_tasting():
    # R: TeaTasting <- matrix(c(3, 1, 1, 3), nrow = 2); fisher.test(TeaTasting)  p-value = 0.4857
    # R: fisher.test(TeaTasting, alternative = "greater")  ## => p = 0.2429
    data = counts(("milk_first", 4, 1), ("guess_milk", 4, 3))
    two = compare_proportions(data, control="milk_first").iloc[0]
    assert two["test"] == "fisher_exact"  # expected counts 2 < 5: auto switch
    assert two["p_value"] == pytest.approx(0.4857, abs=5e-5)
    assert two["p_value"] == pytest.approx(fisher_brute(3, 4, 1, 4), **TIGHT)
    assert "smallest expected count 2 < 5" in two["note"]
    greater = compare_proportions(data, control="milk_first", alternative="larger").iloc[0]
    assert greater["p_value"] == pytest.approx(0.2429, abs=5e-5)
    assert greater["p_value"] == pytest.approx(fisher_brute(3, 4, 1, 4, "larger"), **TIGHT)


def test_fisher_matches_r_convictions():
    # R: Convictions <- matrix(c(2, 10, 15, 3), nrow = 2)  (rows dizygotic, monozygotic)
    # R: fisher.test(Convictions, alternative = "less")  p-value = 0.0004652
    # R: fisher.test(Convictions, conf.int = FALSE)      p-value = 0.0005367
    data = counts(("monozygotic", 13, 10), ("dizygotic", 17, 2))
    less = compare_proportions(data, control="monozygotic", alternative="smaller").iloc[0]
    assert less["fisher_p_value"] == pytest.approx(0.0004652, abs=5e-8)
    assert less["fisher_p_value"] == pytest.approx(fisher_brute(2, 17, 10, 13, "smaller"), **TIGHT)
    two = compare_proportions(data, control="monozygotic").iloc[0]
    assert two["fisher_p_value"] == pytest.approx(0.0005367, abs=5e-8)
    assert two["min_expected"] == pytest.approx(13 * 12 / 30)  # 5.2 >= 5: auto keeps the z-test
    assert two["test"] == "z_pooled"


def test_smokers_four_groups_pairwise_against_hand_formulas():
    # R: smokers <- c(83, 90, 129, 70); patients <- c(86, 93, 136, 82)
    # R: prop.test(smokers, patients)  X-squared = 12.6, df = 3, p-value = 0.005585
    # (the 4-group test checks the transcription; funnelkit compares each group with group 1)
    smokers, patients = [83, 90, 129, 70], [86, 93, 136, 82]
    table = np.column_stack([smokers, np.subtract(patients, smokers)])
    k_group = stats.chi2_contingency(table)
    assert k_group.statistic == pytest.approx(12.6, abs=5e-2)
    assert k_group.pvalue == pytest.approx(0.005585, abs=5e-7)
    data = counts(
        *[(f"g{i}", n, x) for i, (x, n) in enumerate(zip(smokers, patients, strict=True))]
    )
    with pytest.warns(AnalysisWarning, match="Chi-squared approximation may be incorrect"):
        result = compare_proportions(data, control="g0", test="z")
    for row, x, n in zip(result.itertuples(), smokers[1:], patients[1:], strict=True):
        z = pooled_z(x, n, 83, 86)
        assert row.statistic == pytest.approx(z, **TIGHT)
        assert row.z_p_value == pytest.approx(two_sided_normal_p(z), **TIGHT)
        assert row.chi2_p_value == pytest.approx(two_sided_normal_p(z), **TIGHT)  # X² = z²
    assert result["p_value_adjusted"].to_numpy() == pytest.approx(
        r_p_adjust(result["p_value"], "holm"), **TIGHT
    )
    auto = compare_proportions(data, control="g0")  # few non-smokers: expected counts < 5
    assert auto["test"].tolist() == ["fisher_exact", "fisher_exact", "z_pooled"]
    assert auto["min_expected"].round(2).tolist() == [2.88, 3.87, 7.32]


# ---------------------------------------------------------------- closed forms
@pytest.mark.parametrize(
    ("x1", "n1", "x2", "n2"),
    [(60, 1000, 45, 1000), (45, 1000, 60, 1000), (130, 1000, 550, 5000), (500, 800, 450, 820)],
)
def test_all_p_values_and_intervals_match_closed_forms(x1, n1, x2, n2):
    # z: pooled SE, no continuity correction, two-sided (= R prop.test(correct = FALSE));
    # chi2 with/without Yates (= R prop.test() / chisq.test(correct = FALSE)); Fisher brute force;
    # Newcombe hybrid score difference CI; log-ratio delta-method relative-lift CI.
    row = compare_proportions(counts(("A", n2, x2), ("B", n1, x1)), control="A").iloc[0]
    z = pooled_z(x1, n1, x2, n2)
    assert row["test"] == "z_pooled"
    assert row["statistic"] == pytest.approx(z, **TIGHT)
    assert row["p_value"] == pytest.approx(two_sided_normal_p(z), **TIGHT)
    chi2 = chi2_2x2(x1, n1, x2, n2, yates=False)
    assert chi2 == pytest.approx(z * z, **TIGHT)
    assert row["chi2_p_value"] == pytest.approx(stats.chi2.sf(chi2, 1), **TIGHT)
    yates = chi2_2x2(x1, n1, x2, n2, yates=True)
    assert row["chi2_yates_p_value"] == pytest.approx(stats.chi2.sf(yates, 1), **TIGHT)
    assert row["fisher_p_value"] == pytest.approx(fisher_brute(x1, n1, x2, n2), rel=1e-7)
    assert (row["abs_ci_low"], row["abs_ci_high"]) == pytest.approx(
        newcombe(x1, n1, x2, n2), **TIGHT
    )
    assert row["rel_lift"] == pytest.approx((x1 / n1) / (x2 / n2) - 1, **TIGHT)
    assert (row["rel_ci_low"], row["rel_ci_high"]) == pytest.approx(
        log_ratio_ci(x1, n1, x2, n2), **TIGHT
    )
    assert row["min_expected"] == pytest.approx(
        min(n1, n2) * min(x1 + x2, n1 + n2 - x1 - x2) / (n1 + n2)
    )
    assert row["note"] == ""
    assert row["ci_method"] == "newcombe_hybrid_score"


def test_forced_chi2_is_yates_and_forced_fisher():
    data = counts(("A", 1000, 45), ("B", 1000, 60))
    chi2 = compare_proportions(data, control="A", test="chi2").iloc[0]
    assert chi2["test"] == "chi2_yates"
    assert chi2["statistic"] == pytest.approx(chi2_2x2(60, 1000, 45, 1000, yates=True), **TIGHT)
    assert chi2["p_value"] == chi2["chi2_yates_p_value"]
    fisher = compare_proportions(data, control="A", test="fisher").iloc[0]
    assert fisher["p_value"] == pytest.approx(fisher_brute(60, 1000, 45, 1000), rel=1e-7)
    # statistic: conditional MLE odds ratio (R fisher.test()$estimate), near the sample OR
    assert fisher["statistic"] == pytest.approx((60 * 955) / (940 * 45), rel=1e-2)


@pytest.mark.parametrize("alternative", ["larger", "smaller"])
def test_one_sided_p_values_and_intervals(alternative):
    # One-sided z = normal tail of the pooled z; chi2 one-sided from the signed root of X²
    # (R prop.test(alternative = ...)); one-sided CI = the 1 - 2*alpha bound on the tested side.
    x1, n1, x2, n2 = 60, 1000, 45, 1000
    row = compare_proportions(
        counts(("A", n2, x2), ("B", n1, x1)), control="A", alternative=alternative
    ).iloc[0]
    z = pooled_z(x1, n1, x2, n2)
    tail = NormalDist().cdf(-z) if alternative == "larger" else NormalDist().cdf(z)
    assert row["p_value"] == pytest.approx(tail, **TIGHT)
    assert row["chi2_p_value"] == pytest.approx(tail, **TIGHT)
    assert row["fisher_p_value"] == pytest.approx(
        fisher_brute(x1, n1, x2, n2, alternative), rel=1e-7
    )
    low, high = newcombe(x1, n1, x2, n2, alpha=0.10)
    rel_low, rel_high = log_ratio_ci(x1, n1, x2, n2, alpha=0.10)
    if alternative == "larger":
        assert (row["abs_ci_low"], row["abs_ci_high"]) == pytest.approx((low, 1.0), **TIGHT)
        assert (row["rel_ci_low"], row["rel_ci_high"]) == pytest.approx((rel_low, np.inf), **TIGHT)
    else:
        assert (row["abs_ci_low"], row["abs_ci_high"]) == pytest.approx((-1.0, high), **TIGHT)
        assert (row["rel_ci_low"], row["rel_ci_high"]) == pytest.approx((-1.0, rel_high), **TIGHT)


# ---------------------------------------------------------------- edge cases
def test_zero_conversions_in_control_gives_nan_relative_lift_with_note():
    row = compare_proportions(counts(("A", 100, 0), ("B", 100, 5)), control="A").iloc[0]
    assert row["abs_lift"] == pytest.approx(0.05)
    assert (
        np.isnan(row["rel_lift"]) and np.isnan(row["rel_ci_low"]) and np.isnan(row["rel_ci_high"])
    )
    assert "control has 0 conversions" in row["note"]
    assert row["test"] == "fisher_exact"  # expected 2.5 < 5
    assert row["p_value"] == pytest.approx(fisher_brute(5, 100, 0, 100), **TIGHT)
    assert (row["abs_ci_low"], row["abs_ci_high"]) == pytest.approx(
        newcombe(5, 100, 0, 100), **TIGHT
    )


def test_zero_conversions_in_variant_gives_minus_one_lift_and_nan_ci():
    row = compare_proportions(counts(("A", 1000, 50), ("B", 1000, 0)), control="A").iloc[0]
    assert row["rel_lift"] == -1.0
    assert np.isnan(row["rel_ci_low"]) and np.isnan(row["rel_ci_high"])
    assert "variant has 0 conversions" in row["note"]
    assert row["z_p_value"] == pytest.approx(
        two_sided_normal_p(pooled_z(0, 1000, 50, 1000)), **TIGHT
    )


@pytest.mark.parametrize(("x", "rel"), [(0, np.nan), (200, 0.0)])
def test_no_variation_at_all_gives_p_one_and_never_raises(x, rel):
    # 0/n vs 0/n and n/n vs n/n: R prop.test gives NaN, fisher.test p = 1; funnelkit: p = 1.
    result = compare_proportions(
        counts(("A", 200, x), ("B", 200, x), ("C", 100, x // 2)), control="A"
    )
    for col in ["p_value", "p_value_adjusted", "z_p_value", "chi2_p_value", "chi2_yates_p_value",
                "fisher_p_value"]:  # fmt: skip
        assert (result[col] == 1.0).all(), col
    assert (result["abs_lift"] == 0).all()
    assert np.isfinite(result[["abs_ci_low", "abs_ci_high"]].to_numpy()).all()
    assert result["rel_lift"].isna().all() if np.isnan(rel) else (result["rel_lift"] == 0).all()
    assert result["note"].str.contains("no variation").all()


def test_hundred_percent_conversion_in_one_arm():
    row = compare_proportions(counts(("A", 100, 90), ("B", 100, 100)), control="A", test="z").iloc[
        0
    ]
    assert row["rate"] == 1.0
    assert row["statistic"] == pytest.approx(pooled_z(100, 100, 90, 100), **TIGHT)
    assert (row["rel_ci_low"], row["rel_ci_high"]) == pytest.approx(
        log_ratio_ci(100, 100, 90, 100), **TIGHT
    )
    assert row["abs_ci_high"] <= 1.0


def test_a_million_users_per_arm():
    x1, n1, x2, n2 = 121_000, 1_000_000, 120_000, 1_000_000
    row = compare_proportions(counts(("A", n2, x2), ("B", n1, x1)), control="A").iloc[0]
    z = pooled_z(x1, n1, x2, n2)
    assert row["p_value"] == pytest.approx(two_sided_normal_p(z), **TIGHT)
    assert row["chi2_yates_p_value"] == pytest.approx(
        stats.chi2.sf(chi2_2x2(x1, n1, x2, n2, yates=True), 1), **TIGHT
    )
    assert row["fisher_p_value"] == pytest.approx(row["z_p_value"], rel=2e-2)  # asymptotics
    assert (row["abs_ci_low"], row["abs_ci_high"]) == pytest.approx(
        newcombe(x1, n1, x2, n2), **TIGHT
    )


def test_unequal_split_and_input_order_kept():
    data = counts(("B", 9000, 470), ("A", 1000, 45), ("C", 3000, 160))
    result = compare_proportions(data, control="A")
    assert result["variant"].tolist() == ["B", "C"]
    assert result.loc[0, "statistic"] == pytest.approx(pooled_z(470, 9000, 45, 1000), **TIGHT)
    assert result.loc[1, "statistic"] == pytest.approx(pooled_z(160, 3000, 45, 1000), **TIGHT)


@pytest.mark.parametrize("method", ["holm", "bh", "bonferroni", "hochberg", "by", "none"])
def test_three_and_four_variants_adjusted_like_p_adjust(method):
    data = counts(("A", 2000, 100), ("B", 2000, 130), ("C", 2000, 112), ("D", 2000, 140))
    result = compare_proportions(data, control="A", adjust=method)
    assert result["adjust_method"].eq(method).all()
    assert result["p_value_adjusted"].to_numpy() == pytest.approx(
        r_p_adjust(result["p_value"], method), **TIGHT
    )
    three = compare_proportions(data.iloc[:3], control="A", adjust=method)
    assert three["p_value_adjusted"].to_numpy() == pytest.approx(
        r_p_adjust(three["p_value"], method), **TIGHT
    )


def test_forcing_z_on_tiny_samples_warns_like_r():
    # R: prop.test warns "Chi-squared approximation may be incorrect"
    with pytest.warns(AnalysisWarning, match="Chi-squared approximation may be incorrect"):
        row = compare_proportions(counts(("A", 10, 1), ("B", 10, 4)), control="A", test="z").iloc[0]
    assert "approximation doubtful" in row["note"]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        compare_proportions(counts(("A", 10, 1), ("B", 10, 4)), control="A")  # auto: no warning


def test_input_is_not_mutated_and_columns_are_complete():
    data = counts(("A", 1000, 45), ("B", 1000, 60))
    before = data.copy()
    result = compare_proportions(data, control="A")
    pd.testing.assert_frame_equal(data, before)
    assert list(result.columns[:27]) == [
        "variant", "control", "users", "conversions", "rate", "control_users",
        "control_conversions", "control_rate", "abs_lift", "abs_ci_low", "abs_ci_high",
        "rel_lift", "rel_ci_low", "rel_ci_high", "test", "statistic", "p_value",
        "p_value_adjusted", "adjust_method", "z_p_value", "chi2_p_value", "chi2_yates_p_value",
        "fisher_p_value", "min_expected", "ci_method", "rel_ci_method", "alpha",
    ]  # fmt: skip
    assert {"alternative", "note"} <= set(result.columns)


# ---------------------------------------------------------------- errors
@pytest.mark.parametrize(
    ("frame", "kwargs", "match"),
    [
        (counts(("A", 100, 5), ("B", 0, 0)), {}, r"Variant\(s\) \['B'\] have 0 users"),
        (counts(("A", 100, 5), ("B", 10, 11)), {}, r"more 'conversions' than 'users'"),
        (counts(("A", 100, 5), ("B", 10, -1)), {}, r"non-negative whole counts.*\['B'\]"),
        (counts(("A", 100, 5), ("B", 10.5, 1)), {}, r"Column 'users' must hold non-negative whole"),
        (counts(("A", 100, 5), ("A", 10, 1)), {}, r"one row per variant.*\['A'\]"),
        (counts(("A", 100, 5), ("B", 10, 1)), {"control": "Z"}, r"`control` 'Z' is not a value"),
        (counts(("A", 100, 5)), {}, r"holds only the control 'A'"),
        (counts(("A", 100, 5), ("B", 10, 1)), {"test": "t"}, r"`test` must be one of \['auto'"),
        (
            counts(("A", 100, 5), ("B", 10, 1)),
            {"alternative": "greater"},
            r"`alternative`.*'greater'",
        ),
        (counts(("A", 100, 5), ("B", 10, 1)), {"adjust": "fdr"}, r"`adjust` must be one of"),
        (counts(("A", 100, 5), ("B", 10, 1)), {"alpha": 5}, r"`alpha` must be strictly between 0"),
        (
            counts(("A", 100, 5), ("B", 10, 1)),
            {"users_col": "n"},
            r"no column\(s\) \['n'\]; columns present",
        ),
    ],
)
def test_compare_proportions_errors(frame, kwargs, match):
    with pytest.raises(AnalysisError, match=match):
        compare_proportions(frame, **({"control": "A"} | kwargs))


def test_data_must_be_a_frame():
    with pytest.raises(AnalysisError, match="must be a pandas DataFrame, but a dict"):
        compare_proportions({"variant": ["A"]}, control="A")


# ---------------------------------------------------------------- proportion_ci (Wilson)
@pytest.mark.parametrize(("x", "n"), [(0, 10), (1, 10), (45, 1000), (10, 10), (500_000, 1_000_000)])
def test_proportion_ci_is_wilson(x, n):
    # R: prop.test(x, n, correct = FALSE)$conf.int is Wilson, clipped to [0, 1]
    low, high = proportion_ci(x, n)
    ref_low, ref_high = wilson(x, n)
    assert low == pytest.approx(max(ref_low, 0.0), abs=1e-12)
    assert high == pytest.approx(min(ref_high, 1.0), abs=1e-12)
    if x == 0:
        assert low == 0.0  # exactly 0, not 2.8e-17
    if x == n:
        assert high == 1.0


def test_proportion_ci_vectorised_and_errors():
    low, high = proportion_ci(np.array([0, 5]), np.array([10, 10]), alpha=0.1)
    assert low[0] == 0.0 and high[1] == pytest.approx(wilson(5, 10, 0.1)[1], **TIGHT)
    with pytest.raises(AnalysisError, match=r"trials > 0 and 0 <= successes <= trials"):
        proportion_ci(11, 10)
    with pytest.raises(AnalysisError, match=r"trials > 0"):
        proportion_ci(0, 0)


# ---------------------------------------------------------------- srm_test
def test_srm_matches_r_chisq_test_examples():
    # R: x <- c(89,37,30,28,2); p <- c(40,20,20,15,5)
    # R: chisq.test(x, p = p, rescale.p = TRUE)  X-squared = 9.9901, df = 4, p-value = 0.04059
    # R: chisq.test(x, p = c(0.40,0.20,0.20,0.19,0.01))  X-squared = 5.7947, df = 4, p-value = 0.215
    data = pd.DataFrame({"variant": list("abcde"), "users": [89, 37, 30, 28, 2]})
    result = srm_test(data, planned_split=dict(zip("abcde", [40, 20, 20, 15, 5], strict=True)))
    assert result["statistic"].iloc[0] == pytest.approx(9.9901, abs=5e-5)
    assert result["p_value"].iloc[0] == pytest.approx(0.04059, abs=5e-6)
    assert result["df"].iloc[0] == 4
    assert result["expected_share"].tolist() == pytest.approx([0.4, 0.2, 0.2, 0.15, 0.05])
    other = srm_test(
        data, planned_split=dict(zip("abcde", [0.4, 0.2, 0.2, 0.19, 0.01], strict=True))
    )
    assert other["statistic"].iloc[0] == pytest.approx(5.7947, abs=5e-5)
    assert other["p_value"].iloc[0] == pytest.approx(0.215, abs=5e-4)


def test_srm_equal_split_hand_formula_and_missing_planned_variant():
    data = pd.DataFrame({"variant": ["A", "B"], "users": [5050, 4950]})
    result = srm_test(data)
    # X² = Σ (O - E)² / E = (50² + 50²) / 5000 = 1; p = P(χ²₁ > 1) = erfc(√0.5)
    assert result["statistic"].tolist() == pytest.approx([1.0, 1.0], **TIGHT)
    assert result["p_value"].iloc[0] == pytest.approx(math.erfc(math.sqrt(0.5)), **TIGHT)
    assert result["share"].tolist() == pytest.approx([0.505, 0.495])
    three = srm_test(data, planned_split={"A": 1, "B": 1, "C": 2})
    assert three["variant"].tolist() == ["A", "B", "C"]
    assert three["users"].tolist() == [5050, 4950, 0]
    assert three["expected_users"].tolist() == pytest.approx([2500, 2500, 5000])
    assert three["p_value"].iloc[0] < 1e-100


@pytest.mark.parametrize(
    ("plan", "match"),
    [
        ({"A": 1}, r"Variant\(s\) \['B'\] in column 'variant' are not in `planned_split`"),
        ({"A": 1, "B": 0}, r"`planned_split` weights must be positive"),
    ],
)
def test_srm_errors(plan, match):
    data = pd.DataFrame({"variant": ["A", "B"], "users": [10, 12]})
    with pytest.raises(AnalysisError, match=match):
        srm_test(data, planned_split=plan)


def test_srm_needs_two_variants():
    with pytest.raises(AnalysisError, match="at least two variants"):
        srm_test(pd.DataFrame({"variant": ["A"], "users": [10]}))


# ---------------------------------------------------------------- adjust_pvalues
def test_p_adjust_hand_example():
    # By hand from R's p.adjust definitions, p = (.01, .02, .03, .04, .05):
    p = [0.01, 0.02, 0.03, 0.04, 0.05]
    assert adjust_pvalues(p, method="holm") == pytest.approx([0.05, 0.08, 0.09, 0.09, 0.09])
    assert adjust_pvalues(p, method="bh") == pytest.approx([0.05] * 5)
    assert adjust_pvalues(p, method="bonferroni") == pytest.approx([0.05, 0.1, 0.15, 0.2, 0.25])
    assert adjust_pvalues(p, method="hochberg") == pytest.approx([0.05] * 5)
    assert adjust_pvalues(p, method="none") == pytest.approx(p)


@pytest.mark.parametrize("method", ["holm", "bh", "bonferroni", "hochberg", "by", "hommel"])
def test_p_adjust_matches_r_source_with_nan(method):
    rng = np.random.default_rng(7)
    p = np.concatenate([rng.uniform(0, 0.06, 6), rng.uniform(0, 1, 6)])
    p[[2, 9]] = np.nan
    adjusted = adjust_pvalues(p, method=method)
    assert np.isnan(adjusted[[2, 9]]).all()
    assert adjusted == pytest.approx(r_p_adjust(p, method), nan_ok=True, **TIGHT)
    # NaN excluded from n: same as adjusting the 10 non-missing values alone
    kept = ~np.isnan(p)
    assert adjusted[kept] == pytest.approx(adjust_pvalues(p[kept], method=method), **TIGHT)


def test_p_adjust_degenerate_inputs():
    assert adjust_pvalues([], method="holm").size == 0
    assert adjust_pvalues([0.03], method="bonferroni") == pytest.approx([0.03])  # n = 1
    assert adjust_pvalues([0.03, np.nan], method="holm") == pytest.approx(
        [0.03, np.nan], nan_ok=True
    )
    assert np.isnan(adjust_pvalues([np.nan, np.nan])).all()
    assert adjust_pvalues([0.01, 0.2], method="FDR") == pytest.approx([0.02, 0.2])  # R alias


def test_p_adjust_errors():
    with pytest.raises(
        AnalysisError, match=r"`method` must be one of \['holm', .*'bh'.*'bonferrroni'"
    ):
        adjust_pvalues([0.1], method="bonferrroni")
    with pytest.raises(AnalysisError, match=r"`p_values` must lie in \[0, 1\]"):
        adjust_pvalues([0.1, 1.5])
    with pytest.raises(AnalysisError, match=r"`p_values` must be numbers"):
        adjust_pvalues(["a", "b"])
