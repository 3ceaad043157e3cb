"""The value of a new customer and the forecast's caveats (funnelkit.value.newcomer, checks).

- the expected repeat purchases of a just-acquired customer against a Monte Carlo of customers
  simulated from the same BG/NBD parameters over the horizon (the brute force);
- the value against its arithmetic (first order + purchases × mean spend, × margin), and with
  discounting against a week-by-week sum written out here;
- first-order spend against plain pandas on the CDNOW sample;
- on the demo the model's new-customer value sits next to the simple formula's CLV (both count
  the first order), while the current customers' mean predicted value (future purchases only) is
  far lower, and the 13-week history against a 52-week horizon is a caveat.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from conftest import SHARED_DATA
from funnelkit import load_client
from funnelkit.core.errors import DataError
from funnelkit.value import expected_purchases, fit_bgnbd, fit_gammagamma, simulate_bgnbd
from funnelkit.value.checks import MIN_REPEAT_BUYERS, caveats
from funnelkit.value.clv import customer_value
from funnelkit.value.newcomer import first_purchase_spend, new_customer_value
from funnelkit.value.simulate import simulate_gammagamma

BG = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}  # FHL 2005, CDNOW
GG = {"p": 6.25, "q": 3.74, "gamma": 15.44}  # Fader, Hardie & Lee (2005b), CDNOW


def test_repeat_purchases_match_a_simulation_of_new_customers():
    # 200,000 customers who all just bought, observed for 52 weeks: their mean x is E[X(52)]
    simulated = simulate_bgnbd(200_000, **BG, T=52.0, seed=3)["x"]
    frame = new_customer_value(BG, GG, [30.0], horizon=52.0, draws=0).set_index("component")
    repeat = frame.loc["repeat_purchases", "value"]
    se = simulated.std() / np.sqrt(len(simulated))
    assert abs(repeat - simulated.mean()) < 3 * se, (repeat, simulated.mean(), se)
    assert repeat == pytest.approx(float(expected_purchases(BG, 52.0)), rel=1e-9)


def test_value_is_first_order_plus_purchases_times_mean_spend():
    frame = new_customer_value(BG, GG, [20.0, 40.0, 60.0], horizon=39.0, margin=0.5, draws=0)
    rows = frame.set_index("component")["value"]
    mean_spend = 6.25 * 15.44 / (3.74 - 1)  # pγ/(q−1) = 35.22
    purchases = 1.197  # E[X(39)], FHL 2005 (the doctest of expected_purchases)
    assert rows["first_order"] == pytest.approx(0.5 * 40.0)
    assert rows["repeat_spend"] == pytest.approx(0.5 * mean_spend)
    assert rows["repeat_purchases"] == pytest.approx(purchases, abs=5e-4)
    assert rows["value"] == pytest.approx(0.5 * (40.0 + rows["repeat_purchases"] * mean_spend))


def test_discounting_is_the_week_by_week_sum():
    weekly = 1.1 ** (7 / 365.25) - 1  # 10% a year
    frame = new_customer_value(BG, GG, [30.0], horizon=10.0, weekly=weekly, draws=0)
    cumulative = [float(expected_purchases(BG, week)) for week in range(0, 11)]
    by_hand = sum(
        (cumulative[k] - cumulative[k - 1]) / (1 + weekly) ** k for k in range(1, 11)
    )  # week k's purchases discounted k weeks
    repeat = frame.set_index("component").loc["repeat_purchases", "value"]
    assert repeat == pytest.approx(by_hand, rel=1e-12)
    assert repeat < cumulative[-1]


def test_the_interval_brackets_the_value_and_needs_fits():
    data = simulate_bgnbd(3000, **BG, T=39.0, seed=5)
    # spend that differs between customers, as Gamma-Gamma assumes (spend that barely varies
    # drives q and γ off to infinity, and the covariance at such a fit is rounding noise); the
    # 1,252 buyers give an interior optimum, p, q, γ = 5.39, 3.76, 18.3, whose log-scale
    # covariance has eigenvalues 9.7e-5, 2.8e-3, 6.5e-2 (BG/NBD's: 6.3e-4 to 8.9e-2)
    buyers = data["x"] > 0
    data["monetary"] = 0.0
    data.loc[buyers, "monetary"] = simulate_gammagamma(data.loc[buyers, "x"], **GG, seed=6)
    bg, gg = fit_bgnbd(data), fit_gammagamma(data)
    frame = new_customer_value(bg, gg, np.linspace(10, 50, 300), horizon=52.0, draws=200)
    row = frame.set_index("component").loc["value"]
    assert row["ci_low"] < row["value"] < row["ci_high"]
    plain = new_customer_value(dict(bg.params), dict(gg.params), [30.0], horizon=52.0)
    assert np.isnan(plain.set_index("component").loc["value", "ci_low"])  # no covariance
    with pytest.raises(DataError, match="first-order revenue"):
        new_customer_value(bg, gg, [np.nan], horizon=52.0)


@pytest.mark.shared_data
def test_first_purchase_spend_against_plain_pandas():
    source = SHARED_DATA / "cdnow" / "CDNOW_sample.txt"
    if not source.exists():
        pytest.skip(f"shared dataset cdnow/CDNOW_sample.txt not found at {source}")
    raw = pd.read_csv(source, sep=r"\s+", header=None, dtype={"date": str},
                      names=["master", "customer_id", "date", "cds", "revenue"])  # fmt: skip
    raw["timestamp"] = pd.to_datetime(raw["date"], format="%Y%m%d")
    found = first_purchase_spend(raw)
    first_day = raw.groupby("customer_id")["timestamp"].transform("min")
    expected = raw[raw["timestamp"] == first_day].groupby("customer_id")["revenue"].sum()
    assert len(found) == 2357
    pd.testing.assert_series_equal(found, expected, check_names=False)


def test_caveats_name_each_reason():
    fine = {"repeat": 500, "history_weeks": 78.0, "horizon_weeks": 52.0}
    assert caveats({}, {}, **fine) == []
    assert caveats({}, {}, **{**fine, "history_weeks": 25.9}) == ["short_history"]
    assert caveats({}, {}, **{**fine, "history_weeks": 26.0}) == []  # half the horizon is fine
    assert caveats({}, {}, **{**fine, "repeat": MIN_REPEAT_BUYERS - 1}) == ["few_repeat_buyers"]
    unsettled = type("Fit", (), {"converged": False})()
    assert caveats(unsettled, {}, **fine) == ["not_converged"]


def test_demo_new_customer_value_sits_beside_the_simple_formula():
    value = customer_value(load_client(emit_warnings=False), draws=100)
    methods = value.comparison.set_index("method")["value"]
    new, simple = methods["BG/NBD + Gamma-Gamma, new customer"], methods["simple (articles)"]
    # measured: €34.75 (model, first order + 52 weeks) vs €33.28 (simple, 1.5-month lifetime);
    # the current customers' mean (future purchases only) is €1.82
    assert new == pytest.approx(simple, rel=0.15)
    assert methods["BG/NBD + Gamma-Gamma"] < new / 5
    assert value.caveats == ["short_history"] and not value.reliable
    assert value.history_weeks == pytest.approx(12.714, abs=0.01)
    row = value.new_customer.set_index("component").loc["value"]
    assert row["ci_low"] < row["value"] < row["ci_high"]
