"""Cohort tables (funnelkit.value.cohorts) against hand arithmetic and plain pandas."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import yaml
from statsmodels.stats.proportion import proportion_confint

from conftest import SHARED_DATA
from funnelkit import load_client
from funnelkit.core.errors import AnalysisError, DataError
from funnelkit.value.cohorts import cohort_churn, heatmap_frame, order_cohorts, visit_cohorts

# a and b first buy in January, c in February, d in March; the period ends 2026-03-20, so March
# is only partly observed; o8 and o9 are after the end and ignored (e never exists).
ORDERS = """order_id,customer_id,timestamp,revenue
o1,a,2026-01-01 10:00:00,10
o2,a,2026-02-10 10:00:00,20
o3,b,2026-01-20 10:00:00,5
o4,b,2026-03-02 10:00:00,7
o5,c,2026-02-01 09:00:00,30
o6,c,2026-02-15 09:00:00,1
o7,d,2026-03-10 12:00:00,50
o8,a,2026-04-01 10:00:00,99
o9,e,2026-03-25 10:00:00,8
"""
# 2026-01-05 is a Monday; the period ends Wednesday 2026-01-28 (week of the 26th cut short).
EVENTS = """user_id,timestamp,event
u1,2026-01-05 10:00:00,page_view
u1,2026-01-06 10:00:00,page_view
u1,2026-01-13 10:00:00,purchase
u2,2026-01-07 10:00:00,page_view
u2,2026-01-21 10:00:00,page_view
u3,2026-01-14 10:00:00,page_view
u4,2026-01-15 10:00:00,page_view
u4,2026-01-27 10:00:00,page_view
u5,2026-01-30 10:00:00,page_view
"""
NAN = np.nan


@pytest.fixture
def shop(make_client):
    folder = make_client(
        {"orders.csv": ORDERS, "events.csv": EVENTS},
        period={"start": "2026-01-01", "end": "2026-03-20"},
        data={"orders": {"path": "data/orders.csv"}, "events": {"path": "data/events.csv"}},
    )
    return load_client(folder, emit_warnings=False)


def test_order_cohorts_by_hand(shop):
    got = order_cohorts(shop)
    assert list(got["cohort"].dt.strftime("%Y-%m")) == ["2026-01"] * 3 + ["2026-02"] * 2 + [
        "2026-03"
    ]
    assert got["period_number"].tolist() == [0, 1, 2, 0, 1, 0]
    assert got["period_start"].dt.strftime("%Y-%m").tolist() == [
        "2026-01", "2026-02", "2026-03", "2026-02", "2026-03", "2026-03"
    ]  # fmt: skip
    assert got["cohort_size"].tolist() == [2, 2, 2, 1, 1, 1]
    # Jan: a, b | Feb: a | Mar: b — Feb cohort: c, then nobody in March — Mar: d
    assert got["customers_active"].tolist() == [2, 1, 1, 1, 0, 1]
    assert got["retention"].tolist() == [1.0, 0.5, 0.5, 1.0, 0.0, 1.0]
    # Jan: 10 + 5 | 20 | 7 — Feb: 30 + 1 | 0 (observed, so a zero) — Mar: 50 (o8, o9 later)
    assert got["revenue"].tolist() == [15, 20, 7, 31, 0, 50]
    assert got["revenue_per_customer"].tolist() == [7.5, 10, 3.5, 31, 0, 50]
    assert got["cumulative_revenue_per_customer"].tolist() == [7.5, 17.5, 21, 31, 31, 50]
    # March ends on the 20th: every March cell is partial, and the March cohort's size too
    assert got["complete"].tolist() == [True, True, False, True, False, False]
    assert got["cohort_complete"].tolist() == [True, True, True, True, True, False]
    low, high = proportion_confint(got["customers_active"], got["cohort_size"], method="wilson")
    np.testing.assert_allclose(got["retention_low"], low)
    np.testing.assert_allclose(got["retention_high"], high)


def test_cells_stop_at_the_data_end_not_at_end(shop):
    got = order_cohorts(shop, end="2026-03-31")
    march = got.loc[got["cohort"] == "2026-03-01"]
    assert march["cohort_size"].tolist() == [2]  # d and e (o9 on the 25th now counts)
    # the last order up to the 31st is on the 25th: March is still partly observed
    assert not march["complete"].iloc[0] and not march["cohort_complete"].iloc[0]
    assert len(got) == 6
    # up to June, the data end at o8 (1 April): April is there (partial), May and June absent
    later = order_cohorts(shop, end="2026-06-30")
    assert later.groupby("cohort")["period_number"].max().tolist() == [3, 2, 1]
    april = later.loc[later["period_start"] == "2026-04-01"]
    assert april[["customers_active", "revenue"]].to_numpy().tolist() == [[1, 99], [0, 0], [0, 0]]
    assert not april["complete"].any()
    assert later.loc[later["period_start"] == "2026-03-01", "complete"].all()
    early = order_cohorts(shop, end="2026-01-31")
    assert early[["period_number", "cohort_size", "customers_active"]].to_numpy().tolist() == [
        [0, 2, 2]
    ]


def test_a_first_month_starting_before_the_data_is_partial(make_client):
    text = (
        "order_id,customer_id,timestamp,revenue\n"
        "o1,a,2026-01-05 10:00:00,10\no2,b,2026-02-28 10:00:00,10\n"
    )
    folder = make_client(
        {"orders.csv": text},
        period={"start": "2026-01-01", "end": "2026-02-28"},
        data={"orders": {"path": "data/orders.csv"}},
    )
    got = order_cohorts(load_client(folder, emit_warnings=False))
    assert got["complete"].tolist() == [False, True, True]  # January seen from the 5th only
    assert got["cohort_complete"].tolist() == [False, False, True]


def test_weekly_and_quarterly_order_cohorts(shop):
    weeks = order_cohorts(shop, freq="W")
    assert weeks["cohort"].iloc[0] == pd.Timestamp("2025-12-29")  # the Monday of 1 Jan
    assert weeks.groupby("cohort")["cohort_size"].first().sum() == 4
    quarters = order_cohorts(shop, freq="Q")
    assert quarters[["cohort_size", "customers_active", "revenue"]].to_numpy().tolist() == [
        [4, 4, 123]
    ]  # 10 + 20 + 5 + 7 + 30 + 1 + 50


def test_cohort_churn_is_one_minus_retention_at_whole_periods(shop):
    churn = cohort_churn(order_cohorts(shop, end="2026-04-30"))  # data end: o8 on 1 April
    # Jan: b not back in Feb → 1 − 1/2; Feb: c not back in March → 1 − 0/1; March: April partial
    assert churn["churn_1"].tolist() == pytest.approx([0.5, 1.0, NAN], nan_ok=True)
    assert churn["churn_3"].isna().all()  # Jan's month 3 (April) is partial
    assert churn["observed_periods"].tolist() == [2, 1, 0]
    low, high = proportion_confint(1, 2, method="wilson")
    assert churn.loc[0, ["churn_1_low", "churn_1_high"]].tolist() == pytest.approx(
        [1 - high, 1 - low]
    )
    # a partly observed month 1 gives no churn (it would overstate it)
    partial = cohort_churn(order_cohorts(shop), periods=(1,))
    assert partial["churn_1"].tolist() == pytest.approx([0.5, NAN, NAN], nan_ok=True)
    with pytest.raises(AnalysisError, match="periods"):
        cohort_churn(order_cohorts(shop), periods=(0,))


def test_visit_cohorts_by_hand(shop):
    got = visit_cohorts(shop, end="2026-01-28")
    assert got["cohort"].dt.strftime("%m-%d").tolist() == ["01-05"] * 4 + ["01-12"] * 3
    assert got["period_number"].tolist() == [0, 1, 2, 3, 0, 1, 2]
    assert got["cohort_size"].tolist() == [2, 2, 2, 2, 2, 2, 2]
    # week of 5th: u1, u2 | u1 back | u2 back | none — week of 12th: u3, u4 | none | u4
    assert got["visitors_active"].tolist() == [2, 1, 1, 0, 2, 0, 1]
    assert got["retention"].tolist() == [1, 0.5, 0.5, 0, 1, 0, 0.5]
    assert got["complete"].tolist() == [True, True, True, False, True, True, False]
    assert "revenue" not in got


def test_heatmap_frame_is_cohort_by_period_with_gaps(shop):
    wide = heatmap_frame(order_cohorts(shop))
    assert wide.shape == (3, 3)
    np.testing.assert_allclose(wide.to_numpy(), [[1, 0.5, 0.5], [1, 0, NAN], [1, NAN, NAN]])
    money = heatmap_frame(order_cohorts(shop), value="cumulative_revenue_per_customer")
    assert money.iloc[0].tolist() == [7.5, 17.5, 21]
    with pytest.raises(AnalysisError, match="retention"):
        heatmap_frame(order_cohorts(shop), value="retension")


def test_errors_name_the_option_and_the_fix(shop, make_client):
    with pytest.raises(AnalysisError, match=r"`freq`.*'X'"):
        order_cohorts(shop, freq="X")
    with pytest.raises(AnalysisError, match=r"`end`.*'soon'"):
        order_cohorts(shop, end="soon")
    folder = make_client(
        {"orders.csv": ORDERS}, data={"orders": {"path": "data/orders.csv"}}, name="no-events"
    )
    with pytest.raises(DataError, match=r"data\.events"):
        visit_cohorts(load_client(folder, emit_warnings=False))
    with pytest.raises(AnalysisError, match="order_cohorts"):
        cohort_churn(pd.DataFrame({"cohort": []}))


def test_nothing_before_the_end_gives_an_empty_table(shop):
    assert order_cohorts(shop, end="2025-12-31").empty


def _months(stamps: pd.Series) -> pd.Series:
    return stamps.dt.year * 12 + stamps.dt.month - 1


def _pandas_cohorts(frame: pd.DataFrame, key: str, bucket, end: pd.Timestamp) -> pd.DataFrame:
    """Plain pandas: first bucket per id, distinct ids and revenue per (cohort, bucket)."""
    rows = frame.loc[frame["timestamp"] < end + pd.Timedelta(days=1)].copy()
    rows["bucket"] = bucket(rows["timestamp"])
    rows["cohort"] = rows.groupby(key)["bucket"].transform("min")
    rows["n"] = rows["bucket"] - rows["cohort"]
    sizes = rows.groupby("cohort")[key].nunique()
    cells = rows.groupby(["cohort", "n"]).agg(
        active=(key, "nunique"), revenue=("revenue", "sum") if "revenue" in rows else (key, "size")
    )
    return cells.join(sizes.rename("size"), on="cohort").reset_index()


def test_order_cohorts_equal_plain_pandas_on_the_demo():
    client = load_client(emit_warnings=False)
    got = order_cohorts(client)
    orders = client.sql("SELECT * FROM orders")
    end = pd.Timestamp(client.config.period.end)
    want = _pandas_cohorts(orders, "customer_id", _months, end)
    seen = got.assign(cohort=_months(got["cohort"])).merge(
        want, left_on=["cohort", "period_number"], right_on=["cohort", "n"], how="left"
    )
    assert (seen["active"].fillna(0) == seen["customers_active"]).all()
    assert np.allclose(seen["revenue_x"], seen["revenue_y"].fillna(0))
    assert (seen["size"].ffill() == seen["cohort_size"]).all()
    assert len(want) == (got["customers_active"] > 0).sum()  # every cell with orders is there
    # the grid: each cohort from month 0 to the end's month, no further
    last = _months(pd.Series([end])).iloc[0]
    assert (got.groupby("cohort")["period_number"].max() + _months(
        got.groupby("cohort")["cohort"].first()) == last).all()  # fmt: skip


def test_visit_cohorts_equal_plain_pandas_on_the_demo():
    client = load_client(emit_warnings=False)
    got = visit_cohorts(client)
    events = client.sql("SELECT user_id, timestamp FROM events")
    end = pd.Timestamp(client.config.period.end)

    def weeks(stamps):  # whole weeks since Monday 1970-01-05
        return (stamps.dt.normalize() - pd.Timestamp("1970-01-05")).dt.days // 7

    want = _pandas_cohorts(events, "user_id", weeks, end)
    seen = got.assign(cohort=weeks(got["cohort"])).merge(
        want, left_on=["cohort", "period_number"], right_on=["cohort", "n"], how="left"
    )
    assert (seen["active"].fillna(0) == seen["visitors_active"]).all()
    assert len(want) == (got["visitors_active"] > 0).sum()
    assert got.groupby("cohort")["cohort_size"].first().sum() == events["user_id"].nunique()


def _cdnow_client(tmp_path):
    source = SHARED_DATA / "cdnow" / "CDNOW_master.txt"
    if not source.exists():
        pytest.skip(f"shared dataset cdnow/CDNOW_master.txt not found at {source}")
    raw = pd.read_csv(source, sep=r"\s+", header=0, names=["customer", "date", "cds", "dollars"],
                      dtype={"customer": str, "date": str})  # fmt: skip
    raw.insert(0, "order_id", range(1, len(raw) + 1))
    folder = tmp_path / "cdnow"
    (folder / "data").mkdir(parents=True)
    raw.to_csv(folder / "data" / "orders.txt", sep=" ", index=False)  # whitespace, as published
    document = {
        "client": "CDNOW", "currency": "USD",
        "period": {"start": "1997-01-01", "end": "1998-06-30"},
        "data": {"orders": {"path": "data/orders.txt", "delimiter": "whitespace",
                            "timestamp_format": "%Y%m%d",
                            "columns": {"customer_id": "customer", "timestamp": "date",
                                        "revenue": "dollars"}}},
    }  # fmt: skip
    (folder / "client.yaml").write_text(yaml.safe_dump(document), encoding="utf-8")
    raw["timestamp"] = pd.to_datetime(raw["date"], format="%Y%m%d")
    return load_client(folder, emit_warnings=False), raw


@pytest.mark.shared_data
def test_order_cohorts_on_cdnow_equal_plain_pandas(tmp_path):
    client, raw = _cdnow_client(tmp_path)
    got = order_cohorts(client)
    first = raw.groupby("customer")["timestamp"].min().dt.to_period("M")
    assert first.value_counts().sum() == 23_570 and len(raw) == 69_659
    # CDNOW's customers all made their first purchase in 1997 Q1 (the published sample)
    assert got.groupby("cohort")["cohort_size"].first().sum() == 23_570
    january = got.loc[got["cohort"] == "1997-01-01"].set_index("period_number")
    members = first.index[first == pd.Period("1997-01", "M")]
    assert january.loc[0, "cohort_size"] == len(members)  # 7,846
    in_february = raw.loc[raw["customer"].isin(members) & (raw["timestamp"].dt.month == 2)
                          & (raw["timestamp"].dt.year == 1997), "customer"].nunique()  # fmt: skip
    assert january.loc[1, "customers_active"] == in_february
    assert january.loc[1, "retention"] == pytest.approx(in_february / len(members))
    assert january.index.max() == 17  # January 1997 → June 1998, nothing after
    assert got["revenue"].sum() == pytest.approx(raw["dollars"].sum())
    assert got["complete"].all()
