"""RFM scores, segments and audiences (funnelkit.value.rfm) against hand arithmetic and pandas."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from test_value_cohorts import _cdnow_client

from funnelkit import load_client
from funnelkit.core.errors import AnalysisError, DataError
from funnelkit.value.rfm import (
    SEGMENT_RULES,
    rfm_scores,
    rfm_segments,
    segment_of,
    segment_rules,
    write_segment_audiences,
)

# as of 2026-03-31 (the period's last day); f's order is after it and ignored
ORDERS = """order_id,customer_id,timestamp,revenue
o1,a,2026-03-31 10:00:00,10
o2,a,2026-03-01 10:00:00,10
o3,b,2026-03-30 10:00:00,100
o4,c,2026-01-10 10:00:00,5
o5,c,2026-01-20 10:00:00,5
o6,c,2026-02-01 10:00:00,5
o7,d,2026-02-15 10:00:00,40
o8,e,2026-01-01 10:00:00,1
o9,e,2026-01-02 10:00:00,1
o10,e,2026-01-03 10:00:00,1
o11,e,2026-01-04 10:00:00,1
o12,f,2026-04-02 10:00:00,500
"""


@pytest.fixture
def shop(make_client):
    folder = make_client(
        {"orders.csv": ORDERS},
        period={"start": "2026-01-01", "end": "2026-03-31"},
        data={"orders": {"path": "data/orders.csv"}},
    )
    return load_client(folder, emit_warnings=False)


def test_rfm_scores_by_hand(shop):
    got = rfm_scores(shop).set_index("customer_id")
    assert list(got.index) == ["a", "b", "c", "d", "e"]
    # recency to 31 March: a 0, b 1, c Feb 1 → 28 + 30 = 58, d Feb 15 → 13 + 31 = 44,
    # e Jan 4 → 27 + 28 + 31 = 86
    assert got["recency"].tolist() == [0, 1, 58, 44, 86]
    assert got["frequency"].tolist() == [2, 1, 3, 1, 4]
    assert got["monetary"].tolist() == [20, 100, 15, 40, 4]
    # five customers, five bins: the score is the rank from worst to best
    # R: e 86, c 58, d 44, b 1, a 0 → e1 c2 d3 b4 a5
    assert got["r_score"].tolist() == [5, 4, 2, 3, 1]
    # F: b and d tie at 1 order and share the lowest rank (1) → b1 d1; a rank 3, c 4, e 5
    assert got["f_score"].tolist() == [3, 1, 4, 1, 5]
    # M: e 4, c 15, a 20, d 40, b 100
    assert got["m_score"].tolist() == [3, 5, 2, 4, 1]
    assert got["rfm_code"].tolist() == ["533", "415", "242", "314", "151"]
    assert got["segment"].astype(str).tolist() == [
        "potential_loyalists", "promising", "at_risk", "about_to_sleep", "cant_lose_them"
    ]  # fmt: skip
    assert rfm_scores(shop).attrs["as_of"] == pd.Timestamp("2026-03-31").date()


def test_as_of_drops_later_orders_and_counts_recency_to_it(shop):
    got = rfm_scores(shop, as_of="2026-03-30").set_index("customer_id")
    assert got.loc["a", ["recency", "frequency", "monetary"]].tolist() == [29, 1, 10]
    assert got.loc["b", "recency"] == 0
    assert "f" in rfm_scores(shop, as_of="2026-04-30")["customer_id"].tolist()


def test_two_bins_split_by_rank(shop):
    got = rfm_scores(shop, bins=2).set_index("customer_id")
    # floor((rank − 1) × 2 / 5) + 1: ranks 1, 2, 3 → 1; ranks 4, 5 → 2
    assert got["r_score"].tolist() == [2, 2, 1, 1, 1]
    assert got["m_score"].tolist() == [1, 2, 1, 2, 1]


def test_segment_rules_cover_the_grid_once_and_the_boundaries():
    cells = {}
    for rule in SEGMENT_RULES:
        for r in range(rule.recency[0], rule.recency[1] + 1):
            for f in range(rule.frequency[0], rule.frequency[1] + 1):
                assert (r, f) not in cells, f"{(r, f)} in {cells.get((r, f))} and {rule.segment}"
                cells[(r, f)] = rule.segment
    assert len(cells) == 25
    boundaries = {
        (5, 5): "champions", (5, 4): "champions", (5, 3): "potential_loyalists",
        (4, 4): "loyal", (3, 5): "loyal", (3, 4): "loyal", (4, 3): "potential_loyalists",
        (4, 2): "potential_loyalists", (5, 1): "new", (4, 1): "promising",
        (3, 3): "need_attention", (3, 2): "about_to_sleep", (3, 1): "about_to_sleep",
        (2, 5): "cant_lose_them", (1, 5): "cant_lose_them", (2, 4): "at_risk", (1, 3): "at_risk",
        (2, 2): "hibernating", (2, 1): "hibernating", (1, 2): "lost", (1, 1): "lost",
    }  # fmt: skip
    r, f = zip(*boundaries, strict=True)
    assert segment_of(r, f).tolist() == list(boundaries.values())
    assert [cells[k] for k in boundaries] == list(boundaries.values())
    for rule in SEGMENT_RULES:
        for field in (rule.name, rule.rule, rule.action):
            assert set(field) == {"en", "ru"} and all(field.values())
    assert segment_rules("ru")["action"].iloc[-1].startswith("Попробовать")
    with pytest.raises(AnalysisError, match="1 to 5"):
        segment_of([6], [1])


def _pandas_rfm(orders: pd.DataFrame, as_of: pd.Timestamp, bins: int) -> pd.DataFrame:
    """Plain pandas: per customer, then ranks "min" (ties share the lowest rank) and bins."""
    rows = orders.loc[orders["timestamp"] < as_of + pd.Timedelta(days=1)]
    per = rows.groupby("customer_id").agg(
        last=("timestamp", "max"), frequency=("order_id", "size"), monetary=("revenue", "sum")
    )
    per = per.sort_index()
    per["recency"] = (as_of - per["last"].dt.normalize()).dt.days
    n = len(per)
    for score, values in (("r", -per["recency"]), ("f", per["frequency"]),
                          ("m", per["monetary"])):  # fmt: skip
        rank = values.rank(method="min")
        per[f"{score}_score"] = np.floor((rank - 1) * bins / n).astype(int) + 1
    return per


def test_rfm_scores_equal_plain_pandas_on_the_demo():
    client = load_client(emit_warnings=False)
    got = rfm_scores(client).set_index("customer_id")
    want = _pandas_rfm(
        client.sql("SELECT * FROM orders"), pd.Timestamp(client.config.period.end), 5
    )
    assert list(got.index) == list(want.index)
    for column in ("recency", "frequency", "r_score", "f_score", "m_score"):
        assert (got[column] == want[column]).all(), column
    np.testing.assert_allclose(got["monetary"], want["monetary"])
    assert (
        got["segment"].astype(str).tolist() == segment_of(want["r_score"], want["f_score"]).tolist()
    )
    # deciles read on the quintile scale give the same segments
    deciles = rfm_scores(client, bins=10)
    assert (deciles["segment"] == got["segment"].to_numpy()).all()
    want10 = _pandas_rfm(
        client.sql("SELECT * FROM orders"), pd.Timestamp(client.config.period.end), 10
    )
    assert deciles.set_index("customer_id")["r_score"].equals(want10["r_score"])
    assert deciles["rfm_code"].str.fullmatch(r"\d+-\d+-\d+").all()


def test_rfm_segments_equal_plain_pandas(shop):
    client = load_client(emit_warnings=False)
    scores = rfm_scores(client)
    got = rfm_segments(scores).set_index("segment")
    assert list(got.index) == [rule.segment for rule in SEGMENT_RULES]
    frame = scores.assign(segment=scores["segment"].astype(str))
    want = frame.groupby("segment").agg(
        customers=("customer_id", "size"), revenue=("monetary", "sum"),
        mean_recency=("recency", "mean"), mean_frequency=("frequency", "mean"),
        mean_monetary=("monetary", "mean"),
    )  # fmt: skip
    for column in want:
        np.testing.assert_allclose(got.loc[want.index, column], want[column], err_msg=column)
    np.testing.assert_allclose(got["share"], got["customers"] / len(scores))
    np.testing.assert_allclose(got["revenue_share"], got["revenue"] / scores["monetary"].sum())
    assert got.loc["champions", "action_ru"].startswith("Поощрять")
    # the hand case: one customer in five segments, six segments empty (0, NaN means)
    tiny = rfm_segments(rfm_scores(shop)).set_index("segment")
    assert tiny["customers"].tolist() == [0, 0, 1, 0, 1, 0, 1, 1, 1, 0, 0]
    assert tiny.loc["promising", ["share", "revenue", "revenue_share"]].tolist() == pytest.approx(
        [0.2, 100, 100 / 179]
    )  # revenue 20 + 100 + 15 + 40 + 4 = 179
    assert np.isnan(tiny.loc["champions", "mean_recency"])
    with pytest.raises(AnalysisError, match="rfm_scores"):
        rfm_segments(pd.DataFrame({"segment": []}))
    with pytest.raises(AnalysisError, match="'at_risk'"):
        rfm_segments(scores.assign(segment="at risk"))


def test_audiences_are_written_next_to_the_report(shop, tmp_path):
    scores = rfm_scores(shop)
    results = tmp_path / "report" / "results" / "05_customer_value.json"
    written = write_segment_audiences(scores, results)
    folder = results.parent
    assert set(written) == {"potential_loyalists", "promising", "at_risk", "about_to_sleep",
                            "cant_lose_them"}  # fmt: skip
    assert sorted(p.name for p in folder.glob("audience_rfm_*.csv")) == sorted(
        f"audience_rfm_{s}.csv" for s in written
    )
    at_risk = pd.read_csv(folder / "audience_rfm_at_risk.csv")
    assert at_risk["customer_id"].tolist() == ["c"]
    assert list(at_risk.columns) == ["customer_id", "recency", "frequency", "monetary", "rfm_code"]
    assert write_segment_audiences(scores, "") == {}
    with pytest.raises(AnalysisError, match="loyal"):
        write_segment_audiences(scores.assign(segment="loyl"), results)


def test_errors_name_the_option_and_the_fix(shop, make_client):
    with pytest.raises(AnalysisError, match=r"`bins`.*1"):
        rfm_scores(shop, bins=1)
    with pytest.raises(AnalysisError, match=r"`as_of`.*'later'"):
        rfm_scores(shop, as_of="later")
    folder = make_client(
        {"events.csv": "user_id,timestamp,event\nu1,2026-10-01 10:00:00,page_view\n"},
        data={"events": {"path": "data/events.csv"}}, name="no-orders",
    )  # fmt: skip
    with pytest.raises(DataError, match=r"data\.orders"):
        rfm_scores(load_client(folder, emit_warnings=False))
    assert rfm_scores(shop, as_of="2025-12-31").empty


@pytest.mark.shared_data
def test_rfm_scores_on_cdnow_equal_plain_pandas(tmp_path):
    client, raw = _cdnow_client(tmp_path)
    got = rfm_scores(client, as_of="1998-06-30").set_index("customer_id")
    assert len(got) == 23_570 and got["frequency"].sum() == 69_659
    orders = raw.rename(columns={"customer": "customer_id", "dollars": "revenue"})
    want = _pandas_rfm(orders, pd.Timestamp("1998-06-30"), 5)
    want.index = want.index.astype(got.index.dtype)
    want = want.loc[got.index]
    for column in ("recency", "frequency", "r_score", "f_score", "m_score"):
        assert (got[column].to_numpy() == want[column].to_numpy()).all(), column
    np.testing.assert_allclose(got["monetary"], want["monetary"])
    table = rfm_segments(got.reset_index())
    assert table["customers"].sum() == 23_570
    assert table["revenue"].sum() == pytest.approx(raw["dollars"].sum())
