"""Predictive CLV, the holdout check and value by channel (funnelkit.value.clv, holdout, channels).

- CLV per customer = expected purchases × expected spend × margin, by hand;
- the parametric bootstrap interval contains the point estimate and shrinks with more customers
  (customers simulated from known BG/NBD and Gamma-Gamma parameters);
- on the CDNOW 1/10 sample (calibration to 1997-09-30, holdout to 1998-06-30) the holdout check
  gives 1,882 actual and 1,653.4 predicted repeat purchases (Fader, Hardie & Lee 2005, fig. 4
  and the helper's measurement), and the fit the published r, α, a, b;
- value by channel against plain pandas on the demo client;
- clear errors without orders, with too few customers, with no repeat buyers.
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
import yaml

from conftest import SHARED_DATA
from funnelkit import load_client
from funnelkit.core.errors import DataError, ParameterError
from funnelkit.metrics.channels import channel_economics
from funnelkit.value import (
    conditional_expected_purchases,
    conditional_expected_spend,
    simulate_bgnbd,
    simulate_gammagamma,
)
from funnelkit.value.channels import value_by_channel
from funnelkit.value.clv import customer_value, value_from_summary
from funnelkit.value.forecast import predicted_purchases
from funnelkit.value.holdout import holdout_check

TRUE = {"r": 0.5, "alpha": 5.0, "a": 0.8, "b": 2.5}


def _simulated(n: int, seed: int) -> pd.DataFrame:
    data = simulate_bgnbd(n, **TRUE, T=40.0, seed=seed)
    data["monetary"] = 0.0
    repeat = data["x"] > 0
    data.loc[repeat, "monetary"] = simulate_gammagamma(
        data.loc[repeat, "x"], p=6.0, q=4.0, gamma=15.0, seed=seed + 1
    )
    data.index = [f"c{i}" for i in range(n)]
    return data


@pytest.fixture(scope="module")
def demo():
    return load_client(emit_warnings=False)


@pytest.fixture(scope="module")
def demo_value(demo):
    return customer_value(demo, draws=100)


# ---------------------------------------------------------------- CLV by hand


def test_clv_is_purchases_times_spend_times_margin_by_hand():
    data = _simulated(3000, seed=3)
    value = value_from_summary(data, horizon_weeks=26, margin=0.3, draws=0)
    rows = value.customers.set_index("customer_id")
    for customer in ["c0", "c1", "c7", data.index[data["x"].argmax()]]:
        x, t_x, T, zbar = data.loc[customer, ["x", "t_x", "T", "monetary"]]
        purchases = conditional_expected_purchases(value.purchases, 26.0, x, t_x, T)
        spend = conditional_expected_spend(value.spend, x, zbar)
        assert rows.loc[customer, "expected_purchases"] == pytest.approx(float(purchases))
        assert rows.loc[customer, "expected_spend"] == pytest.approx(float(spend))
        assert rows.loc[customer, "clv"] == pytest.approx(float(purchases * spend * 0.3))
    assert value.total("clv_mean")["value"] == pytest.approx(rows["clv"].mean())


def test_demo_clv_uses_the_gross_margin_and_says_so(demo, demo_value):
    rows = demo_value.customers
    assert demo_value.margin == demo.config.metrics.gross_margin == 0.45
    assert np.allclose(rows["clv"], rows["expected_purchases"] * rows["expected_spend"] * 0.45)
    assert rows["clv"].notna().all() and (rows["clv"] > 0).all()
    assert list(rows.columns) == [
        "customer_id", "frequency", "recency", "T", "monetary", "p_alive",
        "expected_purchases", "expected_spend", "clv",
    ]  # fmt: skip
    assert "gross margin 45% applied" in demo_value.total("clv_mean")["note"]
    assert demo_value.comparison["method"].tolist() == [
        "BG/NBD + Gamma-Gamma", "BG/NBD + Gamma-Gamma, new customer", "simple (articles)",
    ]  # fmt: skip
    assert demo_value.comparison["value"].iloc[2] == pytest.approx(33.28, abs=0.01)
    said = " ".join(demo_value.assumptions)
    assert "independent" in said and "bought again" in said and "converged" in said


def test_margin_none_is_revenue_and_a_given_margin_scales(demo):
    given = customer_value(demo, margin=0.9, draws=0)
    assert "(given)" in given.margin_note
    half = customer_value(demo, margin=0.45, draws=0)
    assert given.mean_clv == pytest.approx(2 * half.mean_clv)


def test_discounting_lowers_the_value_and_zero_changes_nothing():
    data = _simulated(2000, seed=5)
    plain = value_from_summary(data, draws=0)
    zero = value_from_summary(data, discount_rate_annual=0.0, draws=0)
    discounted = value_from_summary(data, discount_rate_annual=0.2, draws=0)
    assert zero.mean_clv == pytest.approx(plain.mean_clv)
    ratio = discounted.mean_clv / plain.mean_clv
    # within a year at 20%: between the full-year factor 1/1.2 and no discount
    assert 1 / 1.2 < ratio < 1.0


def test_predicted_purchases_stays_finite_when_a_and_b_are_huge():
    x, t_x, T = np.array([0, 1, 3, 8.0]), np.array([0, 5, 20, 30.0]), np.full(4, 40.0)
    fhl = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
    expected = conditional_expected_purchases(fhl, 39.0, x, t_x, T)
    assert np.allclose(predicted_purchases(fhl, 39.0, x, t_x, T), expected)
    found = {}
    for a in (300.0, 2e3, 2e6):  # the Euler form is NaN from a ≈ 2,000 on (0 · ∞)
        params = {"r": 0.5, "alpha": 5.0, "a": a, "b": a / 10}
        found[a] = predicted_purchases(params, 52.0, x, t_x, T)
        assert np.all(np.isfinite(found[a]))
    assert np.allclose(
        found[300.0],
        conditional_expected_purchases(
            {"r": 0.5, "alpha": 5.0, "a": 300.0, "b": 30.0}, 52.0, x, t_x, T
        ),
    )
    assert np.allclose(found[2e3], found[2e6], rtol=0.05)  # the fixed-dropout limit


# ---------------------------------------------------------------- bootstrap interval


def test_bootstrap_interval_contains_the_estimate_and_shrinks_with_more_data():
    widths = []
    for n in (600, 6000):
        value = value_from_summary(_simulated(n, seed=11), draws=300, seed=1)
        row = value.total("clv_mean")
        assert row["ci_low"] < row["value"] < row["ci_high"]
        assert "300 of 300 draws" in row["note"] or "of 300 draws" in row["note"]
        widths.append(row["ci_high"] - row["ci_low"])
        total = value.total("clv_total")
        assert total["value"] == pytest.approx(row["value"] * n)
    assert widths[1] < 0.6 * widths[0]


def test_the_bootstrap_is_reproducible():
    data = _simulated(1000, seed=2)
    one = value_from_summary(data, draws=50, seed=4).total("clv_mean")
    two = value_from_summary(data, draws=50, seed=4).total("clv_mean")
    assert one["ci_low"] == two["ci_low"] and one["ci_high"] == two["ci_high"]


# ---------------------------------------------------------------- CDNOW holdout


def _cdnow_client(root) -> object:
    source = SHARED_DATA / "cdnow" / "CDNOW_sample.txt"
    if not source.exists():
        pytest.skip(f"shared dataset cdnow/CDNOW_sample.txt not found at {source}")
    raw = pd.read_csv(
        source, sep=r"\s+", header=None, dtype={"date": str},
        names=["master_id", "customer", "date", "cds", "amount"],
    )  # fmt: skip
    raw.insert(0, "order_id", range(1, len(raw) + 1))
    (root / "data").mkdir()
    raw.to_csv(root / "data" / "orders.csv", index=False)
    document = {
        "client": "Cdnow sample", "currency": "USD",
        "period": {"start": "1997-10-01", "end": "1998-06-30"},
        "data": {"orders": {"path": "data/orders.csv", "timestamp_format": "%Y%m%d",
                            "columns": {"customer_id": "customer", "timestamp": "date",
                                        "revenue": "amount"}}},
    }  # fmt: skip
    (root / "client.yaml").write_text(yaml.safe_dump(document), encoding="utf-8")
    return load_client(root, emit_warnings=False)


@pytest.mark.shared_data
def test_holdout_check_on_cdnow_reproduces_the_totals(tmp_path):
    client = _cdnow_client(tmp_path)
    check = holdout_check(client)  # defaults: calibration to 1997-09-30, holdout = the period
    explicit = holdout_check(client, calibration_end="1997-09-30", holdout_weeks=39)
    assert explicit.totals["predicted"].item() == pytest.approx(check.totals["predicted"].item())
    totals = check.totals.iloc[0]
    assert totals["calibration_end"] == pd.Timestamp("1997-09-30")
    assert totals["holdout_end"] == pd.Timestamp("1998-06-30")
    assert totals["holdout_weeks"] == pytest.approx(39.0)
    assert totals["customers"] == 2357
    assert totals["actual"] == 1882
    assert totals["predicted"] == pytest.approx(1653.4, abs=0.5)
    fit = check.fit.params
    for name, published in {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}.items():
        assert fit[name] == pytest.approx(published, abs=0.0015)
    chart = check.by_frequency
    assert chart["frequency"].tolist() == ["0", "1", "2", "3", "4", "5", "6", "7+"]
    assert chart["customers"].sum() == 2357
    assert chart["customers"].iloc[0] == 1411
    assert chart["actual_total"].sum() == 1882
    assert chart["predicted_total"].sum() == pytest.approx(totals["predicted"])
    weekly = check.weekly
    assert weekly["period"].iloc[38] == "calibration" and weekly["period"].iloc[39] == "holdout"
    assert weekly["actual"].is_monotonic_increasing and weekly["expected"].is_monotonic_increasing
    # the cumulative curve's holdout part is the holdout total
    assert weekly["actual"].iloc[-1] - weekly["actual"].iloc[38] == 1882


@pytest.mark.shared_data
def test_customer_value_on_cdnow_uses_the_published_fits(tmp_path):
    client = _cdnow_client(tmp_path)
    value = customer_value(client, period=("1997-01-01", "1997-09-30"), horizon_weeks=39)
    assert value.purchases["r"] == pytest.approx(0.243, abs=0.0015)
    assert value.spend["p"] == pytest.approx(6.25, abs=0.01)
    assert value.spend["q"] == pytest.approx(3.74, abs=0.01)
    assert value.spend["gamma"] == pytest.approx(15.44, abs=0.01)
    assert value.total("expected_purchases")["value"] == pytest.approx(1653.4, abs=0.5)
    assert value.total("repeat_buyers")["value"] == 946
    assert "r = 0.11" in value.assumptions[0]
    assert "on revenue" in value.margin_note


# ---------------------------------------------------------------- value by channel


def test_value_by_channel_against_plain_pandas(demo, demo_value):
    orders = demo.sql("SELECT * FROM orders").sort_values(["timestamp", "order_id"])
    first = orders.groupby("customer_id").first()
    window = demo_value.window
    new = first[(first["timestamp"] >= window.start) & (first["timestamp"] < window.end)]
    spend = demo.frame("spend")
    days = pd.to_datetime(spend["date"])
    in_period = spend[(days >= window.start) & (days < window.end)]
    spend_by = in_period.groupby("channel")["cost"].sum()
    clv = demo_value.customers.set_index("customer_id")["clv"]

    table = value_by_channel(demo, demo_value, attribution="first_order").set_index("channel")
    assert (table["attribution"] == "first_order").all()
    assert table["customers"].to_dict() == first["channel"].value_counts().to_dict()
    assert table["new_customers"].to_dict() == new["channel"].value_counts().to_dict()
    by_hand = clv.groupby(first["channel"].reindex(clv.index)).mean()
    assert np.allclose(table["clv_mean"].reindex(by_hand.index), by_hand)
    assert np.allclose(table["spend"].reindex(spend_by.index), spend_by)
    paid = table[table["spend"] > 0]
    cac = spend_by.reindex(paid.index) / new["channel"].value_counts().reindex(paid.index)
    assert np.allclose(paid["cac"], cac)
    clv_new = clv.reindex(new.index).groupby(new["channel"]).mean().reindex(paid.index)
    assert np.allclose(paid["ltv_cac"], clv_new / cac)
    months = 52 * 7 / 30.4375
    assert np.allclose(paid["payback_months"], cac / (clv_new / months))
    assert (table["clv_ci_low"] < table["clv_mean"]).all()
    assert (table["clv_mean"] < table["clv_ci_high"]).all()
    assert table["note"].str.contains("orders.channel of the customer's first order").all()


def test_value_by_channel_follows_the_clients_attribution(demo, demo_value):
    table = value_by_channel(demo, demo_value).set_index("channel")
    economics = channel_economics(demo).set_index("channel")
    assert (table["attribution"] == demo.config.metrics.attribution).all()
    assert table["new_customers"].to_dict() == economics["new_customers"].to_dict()
    assert np.allclose(table["cac"].fillna(-1), economics["cac"].reindex(table.index).fillna(-1))
    assert table["customers"].sum() == len(demo_value.customers)


def test_value_by_channel_needs_a_customer_value_with_a_period(demo):
    value = value_from_summary(_simulated(500, seed=1), draws=0)
    with pytest.raises(ParameterError, match="customer_value"):
        value_by_channel(demo, value)


# ---------------------------------------------------------------- refusals


def _orders_client(root, orders: pd.DataFrame):
    (root / "data").mkdir(parents=True)
    orders.to_csv(root / "data" / "orders.csv", index=False)
    document = {
        "client": "Tiny", "period": {"start": "2024-03-01", "end": "2024-03-31"},
        "data": {"orders": {"path": "data/orders.csv"}},
    }  # fmt: skip
    (root / "client.yaml").write_text(yaml.safe_dump(document), encoding="utf-8")
    return load_client(root, emit_warnings=False)


def test_a_client_without_orders_is_refused_with_the_fix(demo):
    no_orders = SimpleNamespace(config=demo.config, has=lambda *names: False)
    with pytest.raises(DataError, match=r"no orders table.*data\.orders"):
        customer_value(no_orders)
    with pytest.raises(DataError, match="no orders table"):
        holdout_check(no_orders)


def test_too_few_customers_or_no_repeat_buyers_are_refused(tmp_path):
    few = pd.DataFrame({
        "order_id": range(10), "customer_id": [f"c{i % 5}" for i in range(10)],
        "timestamp": pd.date_range("2024-01-01", periods=10, freq="3D"), "revenue": 10.0,
    })  # fmt: skip
    with pytest.raises(DataError, match="at least 50"):
        customer_value(_orders_client(tmp_path / "few", few))
    once = pd.DataFrame({
        "order_id": range(80), "customer_id": [f"c{i}" for i in range(80)],
        "timestamp": pd.date_range("2024-01-01", periods=80, freq="1D"), "revenue": 10.0,
    })  # fmt: skip
    with pytest.raises(DataError, match="bought again"):
        customer_value(_orders_client(tmp_path / "once", once))


def test_options_out_of_range_are_refused(demo):
    with pytest.raises(ParameterError, match="horizon_weeks"):
        customer_value(demo, horizon_weeks=0)
    with pytest.raises(ParameterError, match="discount_rate_annual"):
        customer_value(demo, discount_rate_annual=1.5)
    with pytest.raises(ParameterError, match="margin"):
        customer_value(demo, margin=2.0)
    with pytest.raises(ParameterError, match="holdout_weeks"):
        holdout_check(demo, holdout_weeks=-1)
