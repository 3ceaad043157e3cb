"""The bootstrap's shortcuts change no number: shared draws, integer sums, deferred means."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from funnelkit import load_client
from funnelkit.abtest import analyze_experiment, compare_means
from funnelkit.abtest.outcomes import experiment_outcomes
from funnelkit.core.stats.bootstrap import boot_means
from funnelkit.core.stats.columns import MeansComparison


def plain(values: np.ndarray, n_boot: int, rng: np.random.Generator, step: int) -> np.ndarray:
    """The reference: resamples drawn in blocks and averaged as floats."""
    n, out = len(values), []
    for start in range(0, n_boot, step):
        out.append(values[rng.integers(0, n, size=(min(step, n_boot - start), n))].mean(axis=1))
    return np.concatenate(out)


@pytest.mark.parametrize("n", [1, 2, 7, 1000, 50_000])
def test_boot_means_are_the_plain_resampling_bit_for_bit(n, monkeypatch):
    monkeypatch.setattr("funnelkit.core.stats.bootstrap.MAX_DRAWS", 4096)  # several blocks
    gen = np.random.default_rng(n)
    revenue = np.where(gen.random(n) < 0.1, gen.gamma(2.0, 30.0, n).round(2), 0.0)
    orders = (revenue > 0) * gen.integers(1, 4, n).astype(float)  # whole numbers: integer path
    negative = orders - 2  # int16 path
    big = orders * 2**40  # too large to sum exactly as float64 integers: float path
    columns = [revenue, orders, negative, big]
    rng, reference = np.random.default_rng(5), np.random.default_rng(5)
    found = boot_means(columns, 300, rng)
    step = max(1, 4096 // n)
    for values, means in zip(columns, found, strict=True):
        expected = plain(values, 300, np.random.default_rng(5), step)
        assert np.array_equal(means, expected)
    plain(revenue, 300, reference, step)  # the generator ends where one column's loop would
    assert rng.bit_generator.state == reference.bit_generator.state


def test_signed_zeros_average_as_numpy_does():
    values = np.array([-0.0, -0.0, -0.0])
    found = boot_means([values], 3, np.random.default_rng(1))[0]
    expected = plain(values, 3, np.random.default_rng(1), 3)
    assert np.array_equal(np.signbit(found), np.signbit(expected))


def test_several_columns_give_each_column_s_own_frame():
    gen = np.random.default_rng(2)
    users = pd.DataFrame({
        "variant": gen.choice(["A", "B", "C"], 3000),
        "revenue": np.where(gen.random(3000) < 0.2, gen.gamma(2.0, 20.0, 3000), 0.0),
        "orders": gen.integers(0, 3, 3000),
    })  # fmt: skip
    users.loc[5, "broken"] = 1.0  # a column with missing values: refused for that column only
    found = MeansComparison(users, ["revenue", "orders", "broken"], control="A",
                            bootstrap=400).frames()  # fmt: skip
    for column in ("revenue", "orders"):
        alone = compare_means(users, control="A", value_col=column, bootstrap=400)
        pd.testing.assert_frame_equal(found[column], alone)
    with pytest.raises(Exception, match="missing or non-numeric") as refused:
        compare_means(users, control="A", value_col="broken")
    assert str(found["broken"]) == str(refused.value)
    first = MeansComparison(users, ["revenue"], control="A", bootstrap=400).frames(robust=False)
    full = found["revenue"]
    robust = ["mw_statistic", "mw_p_value", "boot_ci_low", "boot_ci_high"]
    assert first["revenue"][robust].isna().all().all()
    pd.testing.assert_frame_equal(first["revenue"].drop(columns=robust), full.drop(columns=robust))


def test_deferred_means_are_those_of_compare_means():
    client = load_client(emit_warnings=False)
    result = analyze_experiment(client, "hero_banner", bootstrap=300)
    assert result._means_later is not None  # not computed until read
    means = result.means.set_index(["metric", "variant"])
    outcomes = experiment_outcomes(client, "hero_banner")
    kept = outcomes[outcomes["excluded_reason"].isna()]
    order = {v: i for i, v in enumerate(result.variants["variant"])}  # the aggregate's order
    kept = kept.iloc[np.argsort(kept["variant"].map(order).to_numpy(), kind="stable")]
    for metric, column, data in [
        ("revenue_per_user", "revenue", kept), ("orders_per_user", "orders", kept),
        ("revenue_per_buyer", "revenue", kept[kept["orders"] > 0]),
    ]:  # fmt: skip
        alone = compare_means(data, control="control", value_col=column, bootstrap=300)
        got = means.loc[metric].reset_index()[alone.columns]
        pd.testing.assert_frame_equal(got, alone)
