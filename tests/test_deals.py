"""``data.deals``: a CRM's deals file joined into the leads table, and every check it makes."""

from __future__ import annotations

import pandas as pd
import pytest

from conftest import SHARED_DATA
from funnelkit.core.errors import ConfigError, DataError, DataWarning
from funnelkit.data.config import load_config
from funnelkit.data.prepare import fingerprint, load_client
from funnelkit.run.summary import file_inputs

LEADS_CSV = """mql_id,first_contact_date,origin
m1,2026-10-01,email
m2,2026-10-02,paid_search
m3,2026-10-03,email
"""
DEALS_CSV = """mql_id,won_date,declared_monthly_revenue
m3,2026-10-20 12:00:00,300
m1,2026-10-10 09:30:00,100.5
"""

LEADS = {
    "path": "data/leads.csv",
    "columns": {"lead_id": "mql_id", "created_at": "first_contact_date", "channel": "origin"},
}
DEALS = {
    "path": "data/deals.csv",
    "key": "mql_id",
    "columns": {"won_at": "won_date", "value": "declared_monthly_revenue"},
}


def _client(make_client, deals_csv: str = DEALS_CSV, leads_csv: str = LEADS_CSV, **deals):
    return make_client(
        {"leads.csv": leads_csv, "deals.csv": deals_csv},
        data={"leads": LEADS, "deals": DEALS | deals},
    )


def test_deals_join_into_leads_in_file_order(make_client):
    client = load_client(_client(make_client))
    frame = client.frame("leads")
    assert frame.lead_id.tolist() == ["m1", "m2", "m3"]
    assert frame.won_at.tolist()[0] == pd.Timestamp("2026-10-10 09:30:00")
    assert pd.isna(frame.won_at.iloc[1]) and pd.isna(frame.value.iloc[1])
    assert frame.won_at.iloc[2] == pd.Timestamp("2026-10-20 12:00:00")
    assert frame.value.tolist()[::2] == [100.5, 300.0]
    assert not any(client.issues().check == "won_before_created")


def test_deal_without_lead_is_an_error_with_file_column_lines(make_client):
    deals = DEALS_CSV + "m9,2026-10-21 10:00:00,50\n"
    with pytest.raises(DataError) as info:
        load_client(_client(make_client, deals))
    message = str(info.value)
    assert "deals.csv: 1 row (line 4) in column 'mql_id'" in message
    assert "'m9'" in message and "not in the leads file" in message


def test_lead_with_two_deals_is_an_error(make_client):
    deals = DEALS_CSV + "m1,2026-10-22 10:00:00,70\n"
    with pytest.raises(DataError) as info:
        load_client(_client(make_client, deals))
    message = str(info.value)
    assert "deals.csv: 1 lead(s) have more than one deal in column 'mql_id'" in message
    assert "'m1' on lines 3, 4" in message


def test_won_before_created_is_a_warning_naming_the_deals_file(make_client):
    deals = DEALS_CSV.replace("m3,2026-10-20", "m3,2026-09-20")
    with pytest.warns(DataWarning, match=r"deals\.csv: 1 row \(line 2\) with 'won_date'"):
        client = load_client(_client(make_client, deals))
    issues = client.issues()
    row = issues[issues.check == "won_before_created"].iloc[0]
    assert (row.severity, row.file, row.column, row.rows) == ("warning", "deals.csv", "won_date", 1)
    assert "1 row (line 2) with 'won_date' (won_at) before" in row.message


def test_unparsable_won_date_names_the_deals_file(make_client):
    deals = DEALS_CSV.replace("2026-10-10 09:30:00", "soon")
    with pytest.raises(DataError, match=r"deals\.csv: 1 row \(line 3\).*'won_date'"):
        load_client(_client(make_client, deals))


def test_config_errors_name_the_key(make_client):
    with pytest.raises(ConfigError, match=r"`data\.deals\.key` in .*did you mean 'mql_id'"):
        load_client(_client(make_client, key="mql_idd"))
    with pytest.raises(ConfigError, match=r"deals file gives only \['won_at', 'value'\]"):
        load_client(_client(make_client, columns={"channel": "x"}))
    folder = make_client({"deals.csv": DEALS_CSV}, data={"deals": DEALS})
    with pytest.raises(ConfigError, match=r"`data\.leads` is not set"):
        load_client(folder)


OLIST = SHARED_DATA / "olist_marketing_funnel"


@pytest.mark.shared_data
@pytest.mark.skipif(not OLIST.is_dir(), reason=f"shared data not present: {OLIST}")
def test_olist_leads_and_deals_match_a_pandas_merge(make_client):
    leads = pd.read_csv(OLIST / "olist_marketing_qualified_leads_dataset.csv")
    deals = pd.read_csv(OLIST / "olist_closed_deals_dataset.csv")
    # Olist leaves `origin` empty on 60 leads; the canonical channel is required.
    leads["origin"] = leads["origin"].fillna("unknown")
    folder = make_client(
        {
            "leads.csv": leads.to_csv(index=False),
            "deals.csv": (OLIST / "olist_closed_deals_dataset.csv").read_bytes(),
        },
        data={"leads": LEADS, "deals": DEALS},
        period={"start": "2018-01-01", "end": "2018-05-31"},
    )
    with pytest.warns(DataWarning, match="won_at"):  # Olist has one deal won before first contact
        client = load_client(folder)
    merged = leads.merge(deals, on="mql_id", how="left")
    got = client.sql(
        "SELECT channel, count(*) AS mql, count(won_at) AS won FROM leads GROUP BY 1 ORDER BY 1"
    )
    expected = (
        merged.groupby("origin")
        .agg(mql=("mql_id", "size"), won=("won_date", "count"))
        .reset_index()
        .rename(columns={"origin": "channel"})
        .sort_values("channel")
        .reset_index(drop=True)
    )
    pd.testing.assert_frame_equal(got, expected, check_dtype=False)
    assert got.won.sum() == len(deals) == 842
    total = client.sql("SELECT sum(value) AS v FROM leads").v.iloc[0]
    assert total == pytest.approx(deals.declared_monthly_revenue.sum())


def test_a_changed_deals_file_is_a_new_input(make_client, tmp_path):
    """The deals file keys the prepared data and is listed in summary.json's inputs."""
    folder = _client(make_client)
    config = load_config(folder)
    key, inputs = fingerprint(config, cache_dir=tmp_path / "cache")
    assert [i.table for i in inputs if i.table] == ["leads", "deals"]
    assert [i["table"] for i in file_inputs(config)] == ["leads", "deals", None]
    (folder / "data" / "deals.csv").write_text(DEALS_CSV.replace("300", "301"), encoding="utf-8")
    assert fingerprint(load_config(folder), cache_dir=tmp_path / "cache")[0] != key
