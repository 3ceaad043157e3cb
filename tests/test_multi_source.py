"""A table read from several exports (``data.spend: [google_ads, yandex_direct]``).

The costs of two ad platforms are the two halves of one spend table: each file is read and
checked as if it were alone (its own layout, lines and currency), then the rows are appended.
Tests compare the combined table with plain pandas on the generated rows, and check that a
problem in one file names that file, and that an id in two files is refused.
"""

from __future__ import annotations

import pandas as pd
import pytest
import yaml
from test_adapter_ads import _google_ui, _rows, _yandex_api

import funnelkit.data.adapters.ads  # noqa: F401  (registers google_ads, yandex_direct)
from funnelkit.core.errors import ConfigError, DataError
from funnelkit.data.config import load_config
from funnelkit.data.discover import discover
from funnelkit.data.prepare import load_client
from funnelkit.run.new_from import data_section

SPEND = [
    {"path": "data/google.csv", "format": "google_ads"},
    {"path": "data/direct.tsv", "format": "yandex_direct"},
]


def _two_platforms(make_client, *, spend=SPEND, **files):
    google, direct = _rows(1), _rows(5)
    texts = {"google.csv": _google_ui(google), "direct.tsv": _yandex_api(direct, micros=False)}
    return make_client(texts | files, data={"spend": spend}), google, direct


def test_spend_from_two_platforms_is_the_sum_of_both(make_client):
    folder, google, direct = _two_platforms(make_client)
    client = load_client(folder)
    spend = client.frame("spend")
    assert len(spend) == len(google) + len(direct) == 30
    got = spend.groupby("channel").cost.sum().round(2).to_dict()
    assert got == {
        "google_ads": round(google.cost.sum(), 2),
        "yandex_direct": round(direct.cost.sum(), 2),
    }
    per_day = spend.assign(date=pd.to_datetime(spend.date).dt.date).groupby("date").cost.sum()
    want = pd.concat([google, direct]).groupby("date").cost.sum()
    pd.testing.assert_series_equal(per_day, want, check_names=False, rtol=1e-12)
    assert spend.clicks.sum() == google.clicks.sum() + direct.clicks.sum()
    assert list(spend.columns) == [
        "date", "channel", "campaign", "cost", "impressions", "clicks"
    ]  # fmt: skip
    assert client.row_counts["spend"] == 30
    assert client.source("spend").name == "google.csv"


def test_an_export_without_campaigns_leaves_them_empty_on_its_rows(make_client):
    canonical = "date,channel,cost\n2026-10-01,newsletter,120.50\n2026-10-02,newsletter,80\n"
    spend = [SPEND[0], {"path": "data/manual.csv"}]
    folder, _, _ = _two_platforms(make_client, spend=spend, **{"manual.csv": canonical})
    frame = load_client(folder).frame("spend")
    manual = frame[frame.channel == "newsletter"]
    assert manual.campaign.isna().all() and manual.cost.sum() == pytest.approx(200.5)
    assert frame[frame.channel == "google_ads"].campaign.notna().all()


def test_a_bad_line_in_the_second_export_names_that_file(make_client):
    direct = _yandex_api(_rows(5), micros=False).replace("\t1234", "\tlots", 1)
    direct = direct.splitlines()
    direct[3] = direct[3].rsplit("\t", 1)[0] + "\tabc"
    folder, _, _ = _two_platforms(make_client, **{"direct.tsv": "\n".join(direct) + "\n"})
    with pytest.raises(DataError) as err:
        load_client(folder)
    assert "direct.tsv" in str(err.value) and "line 4" in str(err.value)
    assert "google.csv" not in str(err.value)


def test_a_wrong_currency_in_one_platform_is_refused_with_its_file(make_client):
    google = _google_ui(_rows(1), currency="USD")
    folder, _, _ = _two_platforms(make_client, **{"google.csv": google})
    with pytest.raises(DataError, match=r"google.csv: .*'USD'.*currency is EUR"):
        load_client(folder)


def test_an_order_id_in_two_files_names_both(make_client):
    shop = "order_id,customer_id,timestamp,revenue\no1,u1,2026-10-02,10\no2,u2,2026-10-03,20\n"
    app = "order_id,customer_id,timestamp,revenue\no3,u3,2026-10-02,5\no2,u2,2026-10-03,20\n"
    orders = [{"path": "data/shop.csv"}, {"path": "data/app.csv"}]
    folder = make_client({"shop.csv": shop, "app.csv": app}, data={"orders": orders})
    with pytest.raises(DataError, match=r"1 order_id value is in more than one file \(e.g. 'o2' "
                       r"in shop.csv and app.csv\)"):  # fmt: skip
        load_client(folder)
    app = app.replace("o2,u2", "o4,u2")
    (folder / "data" / "app.csv").write_text(app, encoding="utf-8")
    client = load_client(folder)
    assert sorted(client.frame("orders").order_id) == ["o1", "o2", "o3", "o4"]
    assert client.frame("orders").revenue.sum() == 55


def test_a_missing_column_names_the_list_entry(make_client):
    spend = [SPEND[0], {"path": "data/manual.csv"}]
    folder, _, _ = _two_platforms(make_client, spend=spend, **{"manual.csv": "day,cost\nx,1\n"})
    with pytest.raises(ConfigError, match=r"`data.spend\[2\].columns.date"):
        load_config(folder)


@pytest.mark.parametrize(
    ("data", "match"),
    [
        ({"spend": []}, r"`data.spend` = \[\] is invalid: an empty list"),
        ({"spend": [SPEND[0], SPEND[0]]}, r"names \['data/google.csv'\] twice"),
        ({"spend": [{"path": "x.csv", "colums": {}}]}, r"unknown key `data.spend.0.colums`"),
        (
            {"assignments": [{"path": "a.csv"}, {"path": "b.csv"}]},
            r"`assignments` is read from one file, not a list",
        ),
        (
            {
                "leads": [{"path": "a.csv"}, {"path": "b.csv"}],
                "deals": {"path": "d.csv", "key": "lead"},
            },
            r"`data.deals` is joined to one leads export",
        ),
    ],
)
def test_lists_that_cannot_be_read_are_refused_before_any_work(make_client, data, match):
    folder = make_client({}, data=data)
    with pytest.raises(ConfigError, match=match):
        load_config(folder, check_files=False)


def test_a_one_item_list_is_the_plain_entry(make_client):
    folder, _, _ = _two_platforms(make_client, spend=[SPEND[0]])
    config = load_config(folder)
    assert config.data.spend.format == "google_ads"
    assert [t.format for t in config.tables()["spend"]] == ["google_ads"]


def test_new_from_lists_both_ad_platforms_under_spend(make_client, tmp_path):
    exports = tmp_path / "exports"
    exports.mkdir()
    (exports / "google.csv").write_text(_google_ui(_rows(1)), encoding="utf-8")
    (exports / "direct.tsv").write_text(_yandex_api(_rows(5), micros=False), encoding="utf-8")
    found = discover(exports)
    assert sorted(found["format"]) == ["google_ads", "yandex_direct"]
    assert all(t == ("spend",) for t in found["tables"])
    client_dir = tmp_path / "client"
    text = data_section(found, client_dir=client_dir, source=exports)
    spend = yaml.safe_load(text)["data"]["spend"]
    assert sorted(entry["format"] for entry in spend) == ["google_ads", "yandex_direct"]
    flat = " ".join(line.strip().lstrip("# ") for line in text.splitlines())
    assert "2 exports, appended" in flat and "added to spend (with direct.tsv)" in flat
    client_dir.mkdir()
    document = {"client": "Two", "currency": "EUR", "period": {"start": "2026-10-01",
                "end": "2026-10-05"}} | yaml.safe_load(text)  # fmt: skip
    (client_dir / "client.yaml").write_text(yaml.safe_dump(document), encoding="utf-8")
    assert load_client(client_dir).row_counts["spend"] == 30


def test_a_second_export_of_the_same_platform_is_not_appended(tmp_path):
    (tmp_path / "a.csv").write_text(_google_ui(_rows(1)), encoding="utf-8")
    (tmp_path / "b.csv").write_text(_google_ui(_rows(2)), encoding="utf-8")
    found = discover(tmp_path)
    assert found["kind"].tolist() == ["adapter", "unknown"]
    assert "already placed" in found["reason"][1]


def test_russian_ui_reports_of_the_three_platforms_are_recognised(tmp_path):
    """The Russian interfaces' headers (below their title lines) name their platform."""
    from test_adapter_ads import _meta, _ru

    rows = _rows(2)
    wizard = ["Дата;Кампания;Показы;Клики;Расход (руб.)"] + [
        f"{r.date:%d.%m.%Y};{r.campaign};{r.impressions};{r.clicks};{_ru(r.cost)}"
        for r in rows.itertuples()
    ]
    files = {
        "google_ru.csv": _google_ui(rows, ru=True, currency="RUB"),
        "meta_ru.csv": _meta(rows, ru=True, currency="RUB"),
        "direct_wizard.csv": "\n".join(wizard) + "\n",
    }
    for name, text in files.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    found = discover(tmp_path)
    formats = dict(zip([p.name for p in found["path"]], found["format"], strict=True))
    assert formats == {
        "direct_wizard.csv": "yandex_direct",
        "google_ru.csv": "google_ads",
        "meta_ru.csv": "meta_ads",
    }
    reasons = dict(zip([p.name for p in found["path"]], found["reason"], strict=True))
    assert "(its header has День, Кампания, Показы, Стоимость)" in reasons["google_ru.csv"]
    assert all(t == ("spend",) for t in found["tables"])  # three platforms, one spend


def test_health_and_check_name_every_export_of_the_table(make_client):
    from funnelkit.health import table_overview

    folder, _, _ = _two_platforms(make_client)
    client = load_client(folder)
    assert [p.name for p in client.source_files("spend")] == ["google.csv", "direct.tsv"]
    files = table_overview(client).set_index("table")["file"]
    assert files["spend"] == "google.csv + direct.tsv"


def test_a_russian_meta_export_with_its_public_header_is_recognised(tmp_path):
    """The header of public Russian Ads Manager exports (see docs/adapters/ads.md)."""
    header = ("Дата начала отчетности,Окончание отчетности,Название кампании,Показы,"
              "Потраченная сумма (RUB),Клики по ссылке")  # fmt: skip
    (tmp_path / "meta.csv").write_text(
        header + "\n2026-10-01,2026-10-01,Осень,1200,350.50,31\n", encoding="utf-8"
    )
    row = discover(tmp_path).iloc[0]
    assert (row["format"], row["tables"]) == ("meta_ads", ("spend",))
