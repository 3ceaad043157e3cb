"""Metrics on two real public datasets: their published counts and brute-force pandas values.

The datasets stay in ``../shared/data`` (licences allow internal validation only; never copied
into this repository; the tests write converted copies into a temporary folder). Point
``FUNNELKIT_SHARED_DATA`` elsewhere if needed; absent files skip with the path.

Published figures used:
- Olist marketing funnel (``olist_marketing_funnel/SOURCE.md``): 8,000 marketing-qualified leads
  with first contact between 2017-06-14 and 2018-05-31, of which 842 became closed deals
  (10.525%). Olist has no separate SQL stage, so the converted leads table sets ``sql_at`` to the
  first contact: ``win_rate`` (won / SQL) is then the MQL→deal conversion.
- CDNOW (Fader & Hardie; ``cdnow/SOURCE.md``): 69,659 transactions of the 23,570 customers whose
  first purchase was in Q1 1997, tracked to 1998-06-30.
"""

from __future__ import annotations

import math
import os
from pathlib import Path

import pandas as pd
import pytest

from funnelkit import load_client
from funnelkit.metrics import compute_metric

pytestmark = pytest.mark.shared_data

SHARED = Path(
    os.environ.get("FUNNELKIT_SHARED_DATA", Path(__file__).resolve().parents[2] / "shared" / "data")
)


def _path(relative: str) -> Path:
    path = SHARED / relative
    if not path.exists():
        pytest.skip(f"shared dataset {relative} not found at {path}")
    return path


def _client(folder: Path, period: tuple[str, str], data: dict) -> object:
    import yaml

    document = {"client": "Validation", "timezone": "UTC", "business_type": "b2b",
                "period": {"start": period[0], "end": period[1]}, "data": data}  # fmt: skip
    (folder / "client.yaml").write_text(yaml.safe_dump(document), encoding="utf-8")
    return load_client(folder, emit_warnings=False)


@pytest.fixture(scope="module")
def olist(tmp_path_factory):
    mql = pd.read_csv(_path("olist_marketing_funnel/olist_marketing_qualified_leads_dataset.csv"))
    deals = pd.read_csv(_path("olist_marketing_funnel/olist_closed_deals_dataset.csv"))
    leads = mql.merge(deals[["mql_id", "won_date"]], on="mql_id", how="left")
    table = pd.DataFrame(
        {
            "lead_id": leads["mql_id"],
            "created_at": leads["first_contact_date"] + " 00:00:00",
            # 60 leads have no origin; leads.channel is required, so the loader would stop with
            # their line numbers (tested in test_data.py); they are labelled as a consultant would
            "channel": leads["origin"].fillna("(none)"),
            "mql_at": leads["first_contact_date"] + " 00:00:00",
            "sql_at": leads["first_contact_date"] + " 00:00:00",
            "won_at": leads["won_date"],
        }
    )
    folder = tmp_path_factory.mktemp("olist")
    table.to_csv(folder / "leads.csv", index=False)
    client = _client(folder, ("2017-06-01", "2018-05-31"), {"leads": {"path": "leads.csv"}})
    return client, leads


def test_olist_lead_counts_and_mql_to_deal_conversion(olist):
    client, _ = olist
    assert compute_metric(client, "leads").iloc[0]["value"] == 8000  # published: 8,000 MQLs
    win = compute_metric(client, "win_rate").iloc[0]
    assert (win["numerator"], win["denominator"]) == (842, 8000)  # published: 842 deals
    assert win["value"] == pytest.approx(0.10525)
    # Wilson 95% by hand: centre (p + z^2/2n)/(1 + z^2/n), half z sqrt(p(1-p)/n + z^2/4n^2)/(...)
    z, n, p = 1.959963984540054, 8000, 0.10525
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    assert (win["ci_low"], win["ci_high"]) == pytest.approx((centre - half, centre + half))


def test_olist_conversion_by_origin_matches_pandas(olist):
    client, leads = olist
    table = compute_metric(client, "win_rate", by="channel").set_index("channel")
    brute = (
        leads.assign(origin=leads["origin"].fillna("(none)"))
        .groupby("origin")
        .agg(won=("won_date", lambda s: s.notna().sum()), n=("mql_id", "size"))
    )
    assert sorted(table.index) == sorted(brute.index)
    for origin, row in brute.iterrows():
        assert (table.loc[origin, "numerator"], table.loc[origin, "denominator"]) == (
            row["won"], row["n"])  # fmt: skip


def test_olist_lead_to_deal_days_matches_pandas(olist):
    client, leads = olist
    row = compute_metric(client, "lead_to_deal_days").iloc[0]
    won = leads.dropna(subset=["won_date"])
    days = pd.to_datetime(won["won_date"]) - pd.to_datetime(won["first_contact_date"])
    days = days.dt.total_seconds() / 86400
    assert row["denominator"] == len(won) == 842
    assert row["value"] == pytest.approx(days.mean())
    assert row["median_days"] == pytest.approx(days.median())


@pytest.fixture(scope="module")
def cdnow(tmp_path_factory):
    raw = pd.read_csv(_path("cdnow/CDNOW_master.txt"), sep=r"\s+", dtype={"customer_id": str})
    orders = pd.DataFrame(
        {
            "order_id": [f"t{i:05d}" for i in range(len(raw))],
            "customer_id": raw["customer_id"],
            "timestamp": pd.to_datetime(raw["date"].astype(str)).dt.strftime("%Y-%m-%d 00:00:00"),
            "revenue": raw["dollar_value"],
        }
    )
    folder = tmp_path_factory.mktemp("cdnow")
    orders.to_csv(folder / "orders.csv", index=False)
    data = {"orders": {"path": "orders.csv"}}
    whole = _client(folder, ("1997-01-01", "1998-06-30"), data)
    q2 = _client(folder, ("1997-04-01", "1997-06-29"), data)  # 90 days; the one before is Q1
    frame = orders.assign(timestamp=pd.to_datetime(orders["timestamp"]))
    return whole, q2, frame


def test_cdnow_published_counts(cdnow):
    whole, _, _ = cdnow
    assert compute_metric(whole, "orders").iloc[0]["value"] == 69659  # published transactions
    assert compute_metric(whole, "buyers").iloc[0]["value"] == 23570  # published cohort size


def test_cdnow_retention_and_repeat_purchase_match_pandas(cdnow):
    _, q2, frame = cdnow
    q1_start, q2_start, q2_end = (
        pd.Timestamp(d) for d in ("1997-01-01", "1997-04-01", "1997-06-30")
    )
    in_q1 = set(
        frame.loc[frame.timestamp.between(q1_start, q2_start, inclusive="left"), "customer_id"]
    )
    in_q2 = set(
        frame.loc[frame.timestamp.between(q2_start, q2_end, inclusive="left"), "customer_id"]
    )
    assert len(in_q1) == 23570  # every customer's first purchase is in Q1 1997 (published)
    retention = compute_metric(q2, "retention_rate").iloc[0]
    assert (retention["numerator"], retention["denominator"]) == (len(in_q1 & in_q2), len(in_q1))
    churn = compute_metric(q2, "churn_rate").iloc[0]
    assert churn["value"] == pytest.approx(1 - retention["value"])
    # repeat purchase: Q2 buyers with >= 2 orders up to the end of Q2 -- all of them, since their
    # first order was in Q1
    repeat = compute_metric(q2, "repeat_purchase_rate").iloc[0]
    assert (repeat["numerator"], repeat["denominator"]) == (len(in_q2), len(in_q2))
    aov = compute_metric(q2, "aov").iloc[0]
    q2_orders = frame[frame.timestamp.between(q2_start, q2_end, inclusive="left")]
    assert aov["value"] == pytest.approx(q2_orders["revenue"].mean())
    assert compute_metric(q2, "buyers").iloc[0]["value"] == len(in_q2)


def test_cdnow_historical_clv_matches_a_brute_force_curve(cdnow):
    whole, _, frame = cdnow
    curve = compute_metric(whole, "historical_clv").set_index("months_since_first")
    end = pd.Timestamp("1998-07-01")
    month = pd.Timedelta(days=30.4375)
    first = frame.groupby("customer_id")["timestamp"].min().rename("first")
    joined = frame.join(first, on="customer_id")
    for m in (0, 3, 12):
        observed = first[first + (m + 1) * month <= end].index
        part = joined[joined.customer_id.isin(observed)]
        revenue = part.loc[part.timestamp < part["first"] + (m + 1) * month, "revenue"].sum()
        assert curve.loc[m, "denominator"] == len(observed)
        assert curve.loc[m, "value"] == pytest.approx(revenue / len(observed))
    # the earliest customers (1997-01-01) are observed 546 days = 17.9 months to 1998-07-01, so
    # the last whole month is m = 16 (m + 1 = 17 months <= 17.9)
    assert curve.index.max() == 16
