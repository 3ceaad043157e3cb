"""Ad platforms' cost reports (Google Ads, Meta Ads, Yandex Direct) read as the spend table.

Each test writes a report shaped like the platform's own download (title and date-range lines,
totals footer, the UI language's headers and number format), loads the client with
``load_client`` and compares the spend with plain pandas on the same generated rows.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import warnings
from pathlib import Path

import pandas as pd
import pytest

import funnelkit.data.adapters.ads  # noqa: F401  (registers google_ads, meta_ads, yandex_direct)
from funnelkit.core.errors import DataError, DataWarning
from funnelkit.data.prepare import load_client

REPO = Path(__file__).resolve().parents[1]
DAYS = pd.date_range("2026-10-01", periods=5, freq="D")
CAMPAIGNS = ["Brand | Search", "Generic, EU", "Retargeting"]


def _rows(seed: int = 1) -> pd.DataFrame:
    """Daily campaign rows: cost with cents, impressions in the thousands, clicks."""
    rows = []
    for d, day in enumerate(DAYS):
        for c, campaign in enumerate(CAMPAIGNS):
            cost = round(1000 + 137.31 * (d + 1) * (c + seed) + 0.07 * c, 2)
            impressions = 1500 + 311 * d + 997 * c
            rows.append((day.date(), campaign, cost, impressions, 40 + 3 * d + c))
    return pd.DataFrame(rows, columns=["date", "campaign", "cost", "impressions", "clicks"])


def _en(x: float) -> str:
    return f"{x:,.2f}"


def _ru(x: float) -> str:
    return f"{x:,.2f}".replace(",", "\u00a0").replace(".", ",")


def _client(make_client, files, path, fmt, *, currency="EUR", **extra):
    data = {"spend": {"path": path, "format": fmt, **extra}}
    return make_client(files, data=data, currency=currency)


def _load(folder):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", DataWarning)
        client = load_client(folder)
    return client, [str(w.message) for w in caught]


def _check(client, expected: pd.DataFrame, channel: str, *, counts: bool = True) -> None:
    """Spend per day and campaign, and per campaign, equal pandas on the generated rows."""
    spend = client.frame("spend")
    assert set(spend.channel) == {channel}
    got = spend.assign(date=pd.to_datetime(spend.date).dt.date)
    got = got.groupby(["date", "campaign"]).cost.sum().sort_index()
    want = expected.groupby(["date", "campaign"]).cost.sum().sort_index()
    pd.testing.assert_series_equal(got, want, check_exact=False, rtol=1e-12)
    per_campaign = spend.groupby("campaign").cost.sum()
    assert (
        per_campaign.round(2).to_dict()
        == expected.groupby("campaign").cost.sum().round(2).to_dict()
    )
    if counts:
        assert spend.impressions.sum() == expected.impressions.sum()
    assert spend.clicks.sum() == expected.clicks.sum()


def _google_ui(rows: pd.DataFrame, *, ru: bool = False, currency: str = "EUR") -> str:
    """A Google Ads UI download: title, date range, header, rows, 'Total: …' lines."""
    if ru:
        head = ["День", "Кампания", "Код валюты", "Стоимость", "Показы", "Клики"]
        title, span, total = "Отчет по кампаниям", "1 октября 2026 г. - 5 октября 2026 г.", "Итого"
        num = _ru
    else:
        head = ["Day", "Campaign", "Currency code", "Cost", "Impr.", "Clicks"]
        title, span, total = "Campaign report", "October 1, 2026 - October 5, 2026", "Total"
        num = _en
    lines = [title, f'"{span}"', ",".join(head)]
    for r in rows.itertuples():
        lines.append(
            f'{r.date},"{r.campaign}",{currency},"{num(r.cost)}",'
            f'"{num(r.impressions)[:-3]}",{r.clicks}'
        )
    lines.append(f'{total}: Account,,{currency},"{num(rows.cost.sum())}",,')
    lines.append(f'{total}: Campaigns,,{currency},"{num(rows.cost.sum())}",,')
    return "\n".join(lines) + "\n"


# -- Google Ads ----------------------------------------------------------------------------------
def test_google_ads_english_ui_download(make_client):
    rows = _rows()
    folder = _client(make_client, {"g.csv": _google_ui(rows)}, "data/g.csv", "google_ads")
    client, messages = _load(folder)
    _check(client, rows, "google_ads")
    assert any("above the header (line 3)" in m for m in messages)
    assert any("skipped 2 totals" in m and "Total: Account" in m for m in messages)


def test_google_ads_russian_ui_download_in_roubles(make_client):
    rows = _rows(2)
    files = {"g.csv": _google_ui(rows, ru=True, currency="RUB")}
    folder = _client(make_client, files, "data/g.csv", "google_ads", currency="RUB")
    client, _ = _load(folder)
    _check(client, rows, "google_ads")


def test_google_ads_api_report_in_micros_without_impressions(make_client):
    rows = _rows(3)
    lines = [
        "segments.date\tcampaign.name\tcustomer.currency_code\tmetrics.cost_micros\tmetrics.clicks"
    ]
    lines += [
        f"{r.date}\t{r.campaign}\tEUR\t{round(r.cost * 1_000_000)}\t{r.clicks}"
        for r in rows.itertuples()
    ]
    files = {"g.tsv": "\n".join(lines) + "\n"}
    client, messages = _load(_client(make_client, files, "data/g.tsv", "google_ads"))
    _check(client, rows, "google_ads", counts=False)
    assert (
        "impressions" not in client.frame("spend") or client.frame("spend").impressions.isna().all()
    )
    assert any("millionths" in m for m in messages)


def test_google_ads_wrong_currency_names_file_value_lines_and_fix(make_client):
    files = {"g.csv": _google_ui(_rows(), currency="USD")}
    folder = _client(make_client, files, "data/g.csv", "google_ads", currency="EUR")
    with pytest.raises(
        DataError,
        match=r"g.csv: the Google Ads .* in 'USD' \(column 'Currency code', 15 rows"
        r" \(e.g. lines 4, 5"
        r".*client's currency is EUR; convert .* `currency: USD`",
    ):
        load_client(folder)


def test_google_ads_unreadable_cost_is_the_loaders_error_with_its_line(make_client):
    text = _google_ui(_rows()).replace('"1,137.31"', '"1.137,31x"', 1)
    assert "1.137,31x" in text
    folder = _client(make_client, {"g.csv": text}, "data/g.csv", "google_ads")
    with pytest.raises(DataError, match=r"g.csv: 1 row \(line 4\) in column 'cost'"):
        load_client(folder)


def test_a_meta_export_read_as_google_ads_says_which_format_it_is(make_client):
    files = {"m.csv": _meta(_rows())}
    folder = _client(make_client, files, "data/m.csv", "google_ads")
    with pytest.raises(
        DataError,
        match=r"m.csv: the Google Ads .* no cost column.*Meta Ads Manager export"
        r".*`data.spend.format: meta_ads`",
    ):
        load_client(folder)


# -- Meta Ads ------------------------------------------------------------------------------------
def _meta(rows: pd.DataFrame, *, ru: bool = False, currency: str = "EUR", day: bool = True) -> str:
    if ru:
        head = ["Начало отчетности", "Конец отчетности", "Название кампании", "День",
                f"Потраченная сумма ({currency})", "Показы", "Клики по ссылке"]  # fmt: skip
    else:
        head = ["Reporting starts", "Reporting ends", "Campaign name", "Day",
                f"Amount spent ({currency})", "Impressions", "Link clicks"]  # fmt: skip
    if not day:
        head.remove("День" if ru else "Day")
    lines = [",".join(head)]
    for r in rows.itertuples():
        cost = _ru(r.cost).replace("\u00a0", "") if ru else f"{r.cost:.2f}"
        cells = [str(r.date), str(r.date), f'"{r.campaign}"', str(r.date), f'"{cost}"',
                 str(r.impressions), str(r.clicks)]  # fmt: skip
        if not day:
            del cells[3]
        lines.append(",".join(cells))
    return "\n".join(lines) + "\n"


def test_meta_ads_export_in_english_and_russian(make_client):
    rows = _rows(4)
    client, _ = _load(_client(make_client, {"m.csv": _meta(rows)}, "data/m.csv", "meta_ads"))
    _check(client, rows, "meta_ads")
    ru = _client(make_client, {"m.csv": _meta(rows, ru=True, currency="RUB")}, "data/m.csv",
                 "meta_ads", currency="RUB")  # fmt: skip
    client, _ = _load(ru)
    _check(client, rows, "meta_ads")


def test_meta_ads_without_day_column_uses_reporting_starts(make_client):
    """Daily rows as Reporting starts = ends, below Ads Manager's summary row (no campaign)."""
    rows = _rows(5)
    text = _meta(rows, day=False).splitlines()
    text.insert(1, f"2026-10-01,2026-10-05,,{rows.cost.sum():.2f},{rows.impressions.sum()},1")
    files = {"m.csv": "\n".join(text) + "\n"}
    client, _ = _load(_client(make_client, files, "data/m.csv", "meta_ads"))
    _check(client, rows, "meta_ads")


def test_meta_ads_currency_in_header_must_be_the_clients(make_client):
    files = {"m.csv": _meta(_rows(), currency="USD")}
    folder = _client(make_client, files, "data/m.csv", "meta_ads", currency="EUR")
    with pytest.raises(DataError, match=r"m.csv: .*'Amount spent \(USD\)' is in 'USD'.*EUR"):
        load_client(folder)


def test_meta_ads_excel_export(make_client, tmp_path):
    rows = _rows(6)
    folder = _client(make_client, {}, "data/m.xlsx", "meta_ads")
    frame = pd.read_csv(pd.io.common.StringIO(_meta(rows)))
    frame.to_excel(folder / "data" / "m.xlsx", index=False)
    client, _ = _load(folder)
    _check(client, rows, "meta_ads")


# -- Yandex Direct -------------------------------------------------------------------------------
def _yandex_api(rows: pd.DataFrame, *, micros: bool) -> str:
    lines = ['"Spend 2026-10-01 - 2026-10-05"', "Date\tCampaignName\tImpressions\tClicks\tCost"]
    for r in rows.itertuples():
        cost = round(r.cost * 1_000_000) if micros else f"{r.cost:.2f}"
        lines.append(f"{r.date}\t{r.campaign}\t{r.impressions}\t{r.clicks}\t{cost}")
    lines.append(f"Total rows: {len(rows)}")
    return "\n".join(lines) + "\n"


def test_yandex_direct_api_tsv_in_micros_and_plain(make_client):
    rows = _rows(7)
    files = {"y.tsv": _yandex_api(rows, micros=True)}
    folder = _client(make_client, files, "data/y.tsv", "yandex_direct", currency="RUB")
    client, messages = _load(folder)
    _check(client, rows, "yandex_direct")
    assert any("millionths" in m for m in messages)
    assert any("Total rows: 15" in m for m in messages)
    files = {"y.tsv": _yandex_api(rows, micros=False)}
    folder = _client(make_client, files, "data/y.tsv", "yandex_direct", currency="RUB")
    client, messages = _load(folder)
    _check(client, rows, "yandex_direct")
    assert not any("millionths" in m for m in messages)


def test_yandex_direct_report_wizard_folder_of_two_files(make_client):
    rows = _rows(8)
    files = {}
    for name, part in (("y1.csv", rows[rows.date < DAYS[3].date()]),
                       ("y2.csv", rows[rows.date >= DAYS[3].date()])):  # fmt: skip
        lines = ["Дата;Кампания;Показы;Клики;Расход (руб.)"]
        lines += [
            f"{r.date:%d.%m.%Y};{r.campaign};{r.impressions};{r.clicks};{_ru(r.cost)}"
            for r in part.itertuples()
        ]
        lines.append(f";Итого;;;{_ru(part.cost.sum())}")
        files[f"direct/{name}"] = "\n".join(lines) + "\n"
    folder = _client(make_client, {}, "data/direct", "yandex_direct", currency="RUB")
    (folder / "data" / "direct").mkdir()
    for name, text in files.items():
        (folder / "data" / name).write_text(text, encoding="utf-8")
    client, _ = _load(folder)
    _check(client, rows, "yandex_direct")


def test_yandex_direct_in_roubles_for_a_euro_client_is_an_error(make_client):
    text = "Дата;Кампания;Расход (руб.)\n01.10.2026;Бренд;1 200,50\n"
    folder = _client(make_client, {"y.csv": text}, "data/y.csv", "yandex_direct")
    with pytest.raises(DataError, match=r"y.csv: .*'Расход \(руб.\)' is in 'RUB'.*currency is EUR"):
        load_client(folder)


# -- end to end ----------------------------------------------------------------------------------
@pytest.mark.e2e
def test_funnelkit_run_with_google_ads_spend(make_client, tmp_path):
    """`funnelkit run` on events + orders + a Google Ads download: chapter 01's spend numbers."""
    rows = _rows()
    events = ["user_id,timestamp,event,channel"]
    orders = ["order_id,customer_id,timestamp,revenue"]
    for i in range(60):
        day = DAYS[i % 5]
        events.append(f"u{i},{day:%Y-%m-%d} 10:00:00,page_view,google_ads")
        if i % 3 == 0:
            events.append(f"u{i},{day:%Y-%m-%d} 10:05:00,purchase,google_ads")
            orders.append(f"o{i},u{i},{day:%Y-%m-%d} 10:05:00,{100 + i}.50")
    folder = make_client(
        {"events.csv": "\n".join(events) + "\n", "orders.csv": "\n".join(orders) + "\n",
         "g.csv": _google_ui(rows)},
        data={"events": {"path": "data/events.csv"}, "orders": {"path": "data/orders.csv"},
              "spend": {"path": "data/g.csv", "format": "google_ads"}},
        currency="EUR",
    )  # fmt: skip
    notebooks = tmp_path / "nb"
    notebooks.mkdir()
    shutil.copy(REPO / "notebooks" / "01_pick_metrics.ipynb", notebooks)
    out = tmp_path / "out"
    result = subprocess.run(
        [sys.executable, "-m", "funnelkit", "run", str(folder), "--notebooks", str(notebooks),
         "--output-dir", str(out)],
        capture_output=True, text=True, cwd=REPO, timeout=900,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    found = list(out.rglob("01_pick_metrics.results.json"))
    assert found, result.stdout
    channels = json.loads(found[0].read_text(encoding="utf-8"))["metrics"]["channels"]
    row = next(c for c in channels if c["channel"] == "google_ads")
    # pandas on the generated rows: 5 days x 3 campaigns of spend, 20 buyers (i % 3 == 0),
    # revenue sum(100 + i + 0.5) over i = 0, 3, ..., 57; no gross_margin, so ROMI is on revenue
    spend = rows.cost.sum()
    buyers = [i for i in range(60) if i % 3 == 0]
    revenue = sum(100 + i + 0.5 for i in buyers)
    assert row["spend"] == pytest.approx(spend, rel=1e-12)
    assert row["new_customers"] == len(buyers)
    assert row["cac"] == pytest.approx(spend / len(buyers), rel=1e-12)
    assert row["romi"] == pytest.approx((revenue - spend) / spend, rel=1e-12)


def test_google_ads_utf16_tab_download_with_a_blank_line_keeps_line_numbers(make_client):
    """Google Ads' "CSV (Excel)" download: UTF-16, tab-separated; an empty line moves no line."""
    rows = _rows()
    lines = ["Campaign report", "October 1, 2026 - October 5, 2026"]
    lines += ["Day\tCampaign\tCurrency code\tCost\tImpr.\tClicks"]
    lines += [
        f"{r.date}\t{r.campaign}\tEUR\t{_en(r.cost)}\t{r.impressions:,}\t{r.clicks}"
        for r in rows.itertuples()
    ]
    lines.insert(5, "")  # an empty line after the second data row (line 5)
    lines[7] = lines[7].replace("\tEUR\t", "\tEUR\tabc")  # line 8: the cost reads "abc…"
    blob = ("\n".join(lines) + "\n").encode("utf-16")
    folder = _client(make_client, {"g.csv": blob}, "data/g.csv", "google_ads")
    with pytest.raises(DataError, match=r"g.csv: 1 row \(line 8\) in column 'cost'"):
        load_client(folder)


def test_a_report_without_its_currency_is_taken_in_the_clients_with_a_warning(make_client):
    rows = _rows(9)
    files = {"y.tsv": _yandex_api(rows, micros=False)}
    folder = _client(make_client, files, "data/y.tsv", "yandex_direct", currency="KZT")
    client, messages = _load(folder)
    _check(client, rows, "yandex_direct")
    assert any("taken to be in the client's KZT" in m for m in messages)


def test_yandex_direct_conventional_units_are_not_a_currency(make_client):
    text = "Дата;Кампания;Расход (у.е.)\n01.10.2026;Бренд;12,50\n"
    folder = _client(make_client, {"y.csv": text}, "data/y.csv", "yandex_direct", currency="RUB")
    with pytest.raises(DataError, match=r"is in 'у.е.'.*conventional units.*account's currency"):
        load_client(folder)


def test_whitespace_delimiter_is_refused_for_a_report(make_client, tmp_path):
    """Report cells hold spaces ("Campaign name"), so `delimiter: whitespace` cannot split one."""
    from funnelkit.core.errors import ConfigError

    folder = make_client(
        {"ads.csv": "Day,Campaign,Currency code,Cost,Impr.,Clicks\n2026-10-01,A,EUR,1.00,10,1\n"},
        currency="EUR",
        data={"spend": {"path": "data/ads.csv", "format": "google_ads", "delimiter": "whitespace"}},
    )
    with pytest.raises(ConfigError, match="delimiter: `whitespace` cannot split"):
        load_client(folder, emit_warnings=False)


def test_campaign_rows_of_a_day_are_not_repeats_but_a_doubled_export_is(make_client):
    """With a campaign column, one row per day, channel and campaign is the normal shape."""
    spend = "date,channel,campaign,cost\n2026-10-01,ads,A,1\n2026-10-01,ads,B,2\n"
    folder = make_client({"s.csv": spend}, data={"spend": {"path": "data/s.csv"}})
    _, messages = _load(folder)
    assert not any("appear on several rows" in m for m in messages)
    doubled = make_client({"s.csv": spend + "2026-10-01,ads,A,1\n"}, name="doubled",
                          data={"spend": {"path": "data/s.csv"}})  # fmt: skip
    _, messages = _load(doubled)
    assert any("1 day, channel and campaign combinations appear on several rows" in m
               for m in messages)  # fmt: skip


# -- Header lines of real exports (sources in docs/adapters/ads.md) ------------------------------
META_RU_REAL = [
    ["Дата начала отчетности", "Окончание отчетности", "Название кампании", "Показ кампании",
     "Результат", "Потраченная сумма (USD)", "Конец", "Показы", "Клики по ссылке"],
    ["Название кампании", "Валюта", "Сумма затрат (USD)", "Дата начала отчетности",
     "Дата окончания отчетности", "Показы", "Клики по ссылке"],
]  # fmt: skip


@pytest.mark.parametrize("head", META_RU_REAL, ids=["potrachennaya", "summa_zatrat"])
def test_meta_ads_russian_headers_of_public_exports(make_client, head):
    """Daily rows (start = end) under the Russian headers public parsers of real exports read."""
    rows = _rows(9)
    cost = [_ru(c).replace("\u00a0", "") for c in rows.cost]
    cells = {"Название кампании": rows.campaign, "Показы": rows.impressions, "Результат": 3,
             "Клики по ссылке": rows.clicks, "Показ кампании": "Активна", "Конец": "",
             "Валюта": "USD"}  # fmt: skip
    frame = pd.DataFrame({n: rows.date if "отчетности" in n else cost if "(USD)" in n
                          else cells[n] for n in head})  # fmt: skip
    files = {"m.csv": frame.to_csv(index=False)}
    client, _ = _load(_client(make_client, files, "data/m.csv", "meta_ads", currency="USD"))
    _check(client, rows, "meta_ads")
