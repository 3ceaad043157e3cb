"""Means (Welch, Mann–Whitney, bootstrap), the aggregated path, and CUPED.

References: (a) R's ``sleep`` examples with the R call next to each printed value, compared at the
printed precision; (b) closed forms written here (Welch–Satterthwaite df, Welch t/CI, delta-method
ratio CI, tie-corrected normal Mann–Whitney with continuity correction, CUPED θ), compared at 1e-9.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from funnelkit.abtest.cuped import cuped
from funnelkit.core.stats.arguments import AnalysisError
from funnelkit.core.stats.means import compare_means, compare_means_from_summary

TIGHT = {"rel": 1e-9, "abs": 1e-12}
# R: sleep$extra by group (datasets::sleep)
SLEEP_1 = [0.7, -1.6, -0.2, -1.2, -0.1, 3.4, 3.7, 0.8, 0.0, 2.0]
SLEEP_2 = [1.9, 0.8, 1.1, 0.1, -0.1, 4.4, 5.5, 1.6, 4.6, 3.4]
WELCH_COLUMNS = ["users", "mean", "control_users", "control_mean", "diff", "ci_low", "ci_high",
                 "rel_lift", "rel_ci_low", "rel_ci_high", "statistic", "df", "p_value",
                 "p_value_adjusted"]  # fmt: skip


def long(**arms: list[float]) -> pd.DataFrame:
    return pd.DataFrame(
        [(name, v) for name, values in arms.items() for v in values], columns=["variant", "value"]
    )


def summary(frame: pd.DataFrame) -> pd.DataFrame:
    grouped = frame.groupby("variant", sort=False)["value"]
    return pd.DataFrame(
        {
            "users": grouped.size(),
            "sum": grouped.sum(),
            "sum_sq": frame.assign(sq=frame["value"] ** 2)
            .groupby("variant", sort=False)["sq"]
            .sum(),
        }
    ).reset_index()


def revenue(n: int, *, seed: int, buy_rate: float, scale: float) -> np.ndarray:
    """Revenue per user: mostly zeros, lognormal order values."""
    rng = np.random.default_rng(seed)
    return np.where(rng.random(n) < buy_rate, rng.lognormal(np.log(scale), 1.0, n), 0.0).round(2)


# ---------------------------------------------------------------- hand-written references
def welch_by_hand(x, y, alpha=0.05):
    """Welch t, Welch–Satterthwaite df, two-sided p and CI of mean(x) - mean(y)."""
    x, y = np.asarray(x, float), np.asarray(y, float)
    a, b = x.var(ddof=1) / len(x), y.var(ddof=1) / len(y)
    df = (a + b) ** 2 / (a**2 / (len(x) - 1) + b**2 / (len(y) - 1))
    diff = x.mean() - y.mean()
    se = math.sqrt(a + b)
    half = stats.t.isf(alpha / 2, df) * se
    return diff / se, df, 2 * stats.t.sf(abs(diff / se), df), diff - half, diff + half


def ratio_delta_by_hand(x, y, alpha=0.05):
    """Delta method on R = mean(x)/mean(y): Var ≈ R²(vx/(nx mx²) + vy/(ny my²)); minus 1."""
    x, y = np.asarray(x, float), np.asarray(y, float)
    mx, my = x.mean(), y.mean()
    r = mx / my
    se = abs(r) * math.sqrt(x.var(ddof=1) / (len(x) * mx**2) + y.var(ddof=1) / (len(y) * my**2))
    z = stats.norm.isf(alpha / 2)
    return r - 1, r - 1 - z * se, r - 1 + z * se


def mann_whitney_by_hand(x, y):
    """U of x, and the normal p with tie correction and continuity correction 0.5 (R
    wilcox.test(exact = FALSE, correct = TRUE), two-sided)."""
    x, y = np.asarray(x, float), np.asarray(y, float)
    n1, n2 = len(x), len(y)
    ranks = stats.rankdata(np.concatenate([x, y]))
    u = ranks[:n1].sum() - n1 * (n1 + 1) / 2
    n = n1 + n2
    _, ties = np.unique(np.concatenate([x, y]), return_counts=True)
    sigma = math.sqrt(n1 * n2 / 12 * ((n + 1) - (ties**3 - ties).sum() / (n * (n - 1))))
    z = u - n1 * n2 / 2
    z = (z - math.copysign(0.5, z)) / sigma
    return u, math.erfc(abs(z) / math.sqrt(2))


# ---------------------------------------------------------------- R printed outputs
def test_welch_matches_r_sleep():
    # R: t.test(extra ~ group, data = sleep)   (Welch, two-sided; group 1 minus group 2)
    #    t = -1.8608, df = 17.776, p-value = 0.07939
    #    95 percent confidence interval: -3.3654832  0.2054832
    #    mean in group 1 0.75, mean in group 2 2.33
    row = compare_means(long(g2=SLEEP_2, g1=SLEEP_1), control="g2").iloc[0]
    assert row["variant"] == "g1" and row["test"] == "welch_t"
    assert row["statistic"] == pytest.approx(-1.8608, abs=5e-5)
    assert row["df"] == pytest.approx(17.776, abs=5e-4)
    assert row["p_value"] == pytest.approx(0.07939, abs=5e-6)
    assert row["ci_low"] == pytest.approx(-3.3654832, abs=5e-8)
    assert row["ci_high"] == pytest.approx(0.2054832, abs=5e-8)
    assert (row["mean"], row["control_mean"]) == pytest.approx((0.75, 2.33))


def test_mann_whitney_matches_r_sleep():
    # R: wilcox.test(extra ~ group, data = sleep, exact = FALSE)   (correct = TRUE default)
    #    W = 25.5, p-value = 0.06933
    row = compare_means(long(g2=SLEEP_2, g1=SLEEP_1), control="g2").iloc[0]
    assert row["mw_statistic"] == 25.5
    assert row["mw_p_value"] == pytest.approx(0.06933, abs=5e-6)
    assert (row["mw_statistic"], row["mw_p_value"]) == pytest.approx(
        mann_whitney_by_hand(SLEEP_1, SLEEP_2), **TIGHT
    )


# ---------------------------------------------------------------- closed forms
@pytest.mark.parametrize(("n_control", "n_variant"), [(400, 400), (300, 1200), (1000, 150)])
def test_welch_relative_lift_and_mann_whitney_match_closed_forms(n_control, n_variant):
    y = revenue(n_control, seed=1, buy_rate=0.10, scale=40)
    x = revenue(n_variant, seed=2, buy_rate=0.12, scale=42)
    row = compare_means(long(A=y, B=x), control="A", bootstrap=0).iloc[0]
    t, df, p, low, high = welch_by_hand(x, y)
    assert (row["statistic"], row["df"], row["p_value"]) == pytest.approx((t, df, p), **TIGHT)
    assert (row["ci_low"], row["ci_high"]) == pytest.approx((low, high), **TIGHT)
    assert (row["rel_lift"], row["rel_ci_low"], row["rel_ci_high"]) == pytest.approx(
        ratio_delta_by_hand(x, y), **TIGHT
    )
    assert (row["mw_statistic"], row["mw_p_value"]) == pytest.approx(
        mann_whitney_by_hand(x, y), **TIGHT
    )
    assert row["note"] == "bootstrap skipped (bootstrap=0)"


@pytest.mark.parametrize("alternative", ["larger", "smaller"])
def test_one_sided_welch_and_bootstrap(alternative):
    # One-sided p = one t tail; the CI is one-sided (R t.test: the other end ±Inf)
    y = revenue(500, seed=3, buy_rate=0.1, scale=40)
    x = revenue(500, seed=4, buy_rate=0.1, scale=45)
    row = compare_means(long(A=y, B=x), control="A", alternative=alternative, bootstrap=300).iloc[0]
    t, df, *_ = welch_by_hand(x, y)
    _, _, _, low90, high90 = welch_by_hand(x, y, alpha=0.10)
    if alternative == "larger":
        assert row["p_value"] == pytest.approx(stats.t.sf(t, df), **TIGHT)
        assert (row["ci_low"], row["ci_high"]) == pytest.approx((low90, np.inf), **TIGHT)
        assert row["boot_ci_high"] == np.inf and np.isfinite(row["boot_ci_low"])
    else:
        assert row["p_value"] == pytest.approx(stats.t.cdf(t, df), **TIGHT)
        assert (row["ci_low"], row["ci_high"]) == pytest.approx((-np.inf, high90), **TIGHT)
        assert row["boot_ci_low"] == -np.inf and np.isfinite(row["boot_ci_high"])


def test_bootstrap_is_seeded_reproducible_and_close_to_welch():
    y = revenue(3000, seed=5, buy_rate=0.1, scale=40)
    x = revenue(3000, seed=6, buy_rate=0.1, scale=44)
    data = long(A=y, B=x)
    first = compare_means(data, control="A")
    again = compare_means(data, control="A")
    other = compare_means(data, control="A", seed=1)
    assert first[["boot_ci_low", "boot_ci_high"]].equals(again[["boot_ci_low", "boot_ci_high"]])
    assert not first[["boot_ci_low", "boot_ci_high"]].equals(other[["boot_ci_low", "boot_ci_high"]])
    row = first.iloc[0]
    width = row["ci_high"] - row["ci_low"]
    # percentile bootstrap of a mean difference ≈ Welch CI at n = 3000 (CLT), to 10% of width
    assert row["boot_ci_low"] == pytest.approx(row["ci_low"], abs=0.1 * width)
    assert row["boot_ci_high"] == pytest.approx(row["ci_high"], abs=0.1 * width)
    # one variant's interval does not depend on other variants being present
    with_c = compare_means(pd.concat([data, long(C=y[:100])]), control="A")
    assert with_c.iloc[0]["boot_ci_low"] == row["boot_ci_low"]


def test_bootstrap_matches_an_independent_resampling_loop():
    # A plain per-resample loop over the same generator stream gives the same percentiles.
    y, x = np.array([0, 0, 10.0, 20, 0, 5]), np.array([0, 15, 30.0, 0, 25])
    row = compare_means(long(A=y, B=x), control="A", bootstrap=500, seed=11).iloc[0]
    rng = np.random.default_rng(11)
    bx = [x[rng.integers(0, len(x), len(x))].mean() for _ in range(500)]
    by = [y[rng.integers(0, len(y), len(y))].mean() for _ in range(500)]
    diffs = np.subtract(bx, by)
    assert (row["boot_ci_low"], row["boot_ci_high"]) == pytest.approx(
        tuple(np.quantile(diffs, [0.025, 0.975])), **TIGHT
    )


def test_summary_path_gives_the_same_welch_numbers():
    # n, Σx, Σx² → mean and variance (Σx² - (Σx)²/n)/(n - 1): same Welch/delta-method numbers
    data = long(
        A=revenue(2000, seed=7, buy_rate=0.1, scale=40),
        B=revenue(1500, seed=8, buy_rate=0.12, scale=40),
        C=revenue(1800, seed=9, buy_rate=0.09, scale=50),
    )
    for alternative in ["two-sided", "larger", "smaller"]:
        user_level = compare_means(data, control="A", alternative=alternative, bootstrap=0)
        from_sums = compare_means_from_summary(summary(data), control="A", alternative=alternative)
        assert list(from_sums.columns) == list(user_level.columns)
        assert from_sums["variant"].tolist() == ["B", "C"]
        np.testing.assert_allclose(
            from_sums[WELCH_COLUMNS].to_numpy(float), user_level[WELCH_COLUMNS].to_numpy(float),
            rtol=1e-9, atol=1e-12,
        )  # fmt: skip
    assert from_sums[["mw_p_value", "boot_ci_low"]].isna().all().all()
    assert from_sums["note"].str.contains("need user-level values").all()


def test_summary_path_matches_r_sleep():
    # R: t.test(extra ~ group, data = sleep): t = -1.8608, df = 17.776, p-value = 0.07939
    row = compare_means_from_summary(summary(long(g2=SLEEP_2, g1=SLEEP_1)), control="g2").iloc[0]
    assert (row["statistic"], row["df"], row["p_value"]) == pytest.approx(
        (-1.8608, 17.776, 0.07939), abs=5e-4
    )
    assert row["ci_low"] == pytest.approx(-3.3654832, abs=5e-8)


def test_three_variants_holm_and_bh():
    data = long(
        A=revenue(800, seed=10, buy_rate=0.1, scale=40),
        B=revenue(800, seed=11, buy_rate=0.14, scale=40),
        C=revenue(800, seed=12, buy_rate=0.1, scale=41),
        D=revenue(800, seed=13, buy_rate=0.13, scale=40),
    )
    holm = compare_means(data, control="A", bootstrap=0)
    p = holm["p_value"].to_numpy()
    order = np.argsort(p)
    expected = np.empty(3)
    expected[order] = np.minimum(1, np.maximum.accumulate((3 - np.arange(3)) * p[order]))
    assert holm["p_value_adjusted"].to_numpy() == pytest.approx(expected, **TIGHT)
    bh = compare_means(data, control="A", bootstrap=0, adjust="bh")
    assert bh["adjust_method"].eq("bh").all()
    assert (bh["p_value_adjusted"] <= holm["p_value_adjusted"] + 1e-15).all()


def test_a_million_users():
    y = revenue(1_000_000, seed=14, buy_rate=0.05, scale=40)
    x = revenue(1_000_000, seed=15, buy_rate=0.0505, scale=40)
    row = compare_means(long(A=y, B=x), control="A", bootstrap=20).iloc[0]
    t, df, p, *_ = welch_by_hand(x, y)
    assert (row["statistic"], row["df"], row["p_value"]) == pytest.approx((t, df, p), rel=1e-9)
    assert row["boot_ci_low"] < row["boot_ci_high"]


# ---------------------------------------------------------------- edge cases
def test_zero_control_mean_gives_nan_relative_lift_with_note():
    row = compare_means(long(A=[0, 0, 0, 0], B=[0, 5, 0, 10]), control="A", bootstrap=50).iloc[0]
    assert np.isnan(row["rel_lift"]) and np.isnan(row["rel_ci_low"])
    assert "control mean is 0" in row["note"]
    assert row["diff"] == 3.75 and np.isfinite(row["p_value"])


def test_constant_arms_never_raise():
    same = compare_means(long(A=[2, 2, 2], B=[2, 2, 2]), control="A", bootstrap=10).iloc[0]
    assert same["p_value"] == 1.0 and same["diff"] == 0.0 and np.isnan(same["statistic"])
    assert "no variation" in same["note"]
    apart = compare_means(long(A=[1, 1, 1], B=[2, 2, 2]), control="A", bootstrap=10).iloc[0]
    assert np.isnan(apart["p_value"]) and "both arms constant" in apart["note"]
    assert apart["rel_lift"] == 1.0


@pytest.mark.parametrize(
    ("frame", "kwargs", "match"),
    [
        (long(A=[1, 2], B=[1, np.nan, 3]), {}, r"Column 'value' has 1 missing or non-numeric"),
        (long(A=[1, 2], B=[1]), {}, r"Variant\(s\) \{'B': 1\} have fewer than 2 users"),
        (long(A=[1, 2], B=[1, 3]), {"control": "Z"}, r"`control` 'Z' is not a value of column"),
        (long(A=[1, 2]), {}, r"holds only the control 'A'"),
        (long(A=[1, 2], B=[1, 3]), {"bootstrap": -5}, r"`bootstrap` must be a whole number"),
        (long(A=[1, 2], B=[1, 3]), {"bootstrap": 10.5}, r"`bootstrap` must be a whole number"),
        (long(A=[1, 2], B=[1, 3]), {"value_col": "revenue"}, r"no column\(s\) \['revenue'\]"),
        (long(A=[1, 2], B=[1, 3]), {"alternative": "less"}, r"`alternative` must be one of"),
        (long(A=[1, 2], B=[1, 3]), {"alpha": 0}, r"`alpha` must be strictly between 0 and 1"),
        (long(A=[1, 2], B=[1, 3]), {"adjust": "sidak"}, r"`adjust` must be one of"),
    ],
)
def test_compare_means_errors(frame, kwargs, match):
    with pytest.raises(AnalysisError, match=match):
        compare_means(frame, **({"control": "A"} | kwargs))


def sums(users, total, total_sq) -> pd.DataFrame:
    return pd.DataFrame({"variant": ["A", "B"], "users": users, "sum": total, "sum_sq": total_sq})


@pytest.mark.parametrize(
    ("frame", "match"),
    [
        (sums([5, 1], [1, 1], [1, 1]), r"Variant\(s\) \{'B': 1\} have fewer than 2 users"),
        (sums([5, 5], [10, 10], [30, 10]),
         r"'sum_sq' is smaller than 'sum'²/users for variant\(s\) \['B'\]"),
        (sums([5, 5], [10, None], [30, 30]), r"Columns 'sum' and 'sum_sq' must be numbers"),
        (sums([5, 5], [10, 10], [30, 30]).drop(columns=["sum", "sum_sq"]),
         r"no column\(s\) \['sum', 'sum_sq'\]"),
    ],
)  # fmt: skip
def test_compare_means_from_summary_errors(frame, match):
    with pytest.raises(AnalysisError, match=match):
        compare_means_from_summary(frame, control="A")


# ---------------------------------------------------------------- CUPED
def _pre_post(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    pre = rng.gamma(2.0, 20.0, n)
    variant = np.where(rng.random(n) < 0.5, "A", "B")
    post = 0.8 * pre + rng.normal(0, 10, n) + np.where(variant == "B", 3.0, 0.0)
    return pd.DataFrame({"variant": variant, "value": post, "pre_value": pre})


def test_cuped_theta_and_variance_reduction_by_hand():
    # θ = cov(Y, X)/var(X) pooled over arms; 1 - var(Y - θX)/var(Y) = corr(Y, X)² exactly.
    data = _pre_post(5000, seed=21)
    before = data.copy()
    adjusted, info = cuped(data)
    pd.testing.assert_frame_equal(data, before)
    y, x = data["value"].to_numpy(), data["pre_value"].to_numpy()
    theta = ((y - y.mean()) * (x - x.mean())).sum() / ((x - x.mean()) ** 2).sum()
    r = np.corrcoef(y, x)[0, 1]
    assert info["theta"] == pytest.approx(theta, **TIGHT)
    assert info["correlation"] == pytest.approx(r, **TIGHT)
    assert info["variance_reduction"] == pytest.approx(r**2, rel=1e-9)
    assert adjusted["value_cuped"].to_numpy() == pytest.approx(y - theta * (x - x.mean()), **TIGHT)
    assert adjusted["value_cuped"].mean() == pytest.approx(y.mean(), **TIGHT)


def test_cuped_feeds_compare_means_with_a_narrower_interval():
    adjusted, _ = cuped(_pre_post(4000, seed=22))
    raw = compare_means(adjusted, control="A", bootstrap=0).iloc[0]
    cup = compare_means(adjusted, control="A", value_col="value_cuped", bootstrap=0).iloc[0]
    assert cup["ci_high"] - cup["ci_low"] < 0.7 * (raw["ci_high"] - raw["ci_low"])
    assert cup["ci_low"] < 3.0 < cup["ci_high"]  # the planted +3 effect


@pytest.mark.parametrize(
    ("frame", "kwargs", "match"),
    [
        (pd.DataFrame({"variant": ["A", "B"], "value": [1.0, 2.0], "pre_value": [5.0, 5.0]}), {},
         r"non-constant 'value' and 'pre_value'.*analyse the metric without CUPED"),
        (pd.DataFrame({"variant": ["A", "B"], "value": [1.0, 2.0], "pre_value": [5.0, None]}), {},
         r"Column 'pre_value' has 1 missing or non-numeric value"),
        (pd.DataFrame({"variant": ["A", "B"], "value": [1.0, 2.0]}), {},
         r"no column\(s\) \['pre_value'\]"),
    ],
)  # fmt: skip
def test_cuped_errors(frame, kwargs, match):
    with pytest.raises(AnalysisError, match=match):
        cuped(frame, **kwargs)


def test_mann_whitney_method_column_follows_r_defaults():
    # R: wilcox.test(extra ~ group, data = sleep) has ties: normal approximation (R warns that it
    # cannot compute the exact p-value); 10 tie-free values per arm: exact, as R's default
    row = compare_means(long(g2=SLEEP_2, g1=SLEEP_1), control="g2").iloc[0]
    assert row["mw_method"] == "normal"
    clean = compare_means(long(A=[1.0, 2.5, 3.1, 4.2], B=[5.0, 6.5, 7.25, 8.0]), control="A")
    assert clean.iloc[0]["mw_method"] == "exact"
    # exact two-sided p for complete separation of 4 and 4: 2 / C(8, 4)
    assert clean.iloc[0]["mw_p_value"] == pytest.approx(2 / math.comb(8, 4), rel=1e-12)
