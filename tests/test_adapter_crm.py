"""CRM deal exports (amoCRM, Bitrix24, HubSpot) and GrowthBook summaries read through adapters.

The tests write exports shaped like the CRMs' own (Russian headers, ``DD.MM.YYYY HH:MM:SS``
times, money with spaces and decimal commas, cp1251 and UTF-8 with BOM) and compare what the
loader keeps with plain pandas on the same generated deals.
"""

from __future__ import annotations

import json
import math
import os
import random
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest

import funnelkit.data.adapters.crm
import funnelkit.data.adapters.experiments  # registers growthbook
from funnelkit.abtest.experiment import analyze_experiment
from funnelkit.core.errors import ConfigError, DataError
from funnelkit.data.config import load_config
from funnelkit.data.experiment_data import read_summary
from funnelkit.data.prepare import load_client

REPO = Path(__file__).resolve().parents[1]
START = datetime(2026, 10, 1, 9, 0, 0)
#: stage -> how far along (0 created, 1 MQL, 2 SQL, 3 won), as `STAGES` below places them
AMO_STEPS = {"Неразобранное": 0, "Первичный контакт": 0, "Квалификация": 1,
             "Переговоры": 2, "Отказ после КП": 2, "Успешно реализовано": 3,
             "Закрыто и не реализовано": 0}  # fmt: skip
AMO_STAGES = {"lead": ["Неразобранное", "Первичный контакт"], "mql": ["Квалификация"],
              "sql": ["Переговоры", "Отказ после КП"], "lost": ["Отказ после КП"]}  # fmt: skip
BITRIX_STEPS = {"Новая": 0, "Подготовка документов": 1, "Счёт на предоплату": 2,
                "Сделка успешна": 3, "Сделка провалена": 0}  # fmt: skip
BITRIX_STAGES = {"lead": ["Новая"], "mql": ["Подготовка документов"],
                 "sql": ["Счёт на предоплату"]}  # fmt: skip
HUB_STEPS = {"Appointment Scheduled": 0, "Qualified To Buy": 1, "Contract Sent": 2,
             "Closed Won": 3, "Closed Lost": 0}  # fmt: skip
HUB_STAGES = {"lead": ["Appointment Scheduled"], "mql": ["Qualified To Buy"],
              "sql": ["Contract Sent"]}  # fmt: skip
SOURCES = ["Сайт", "Яндекс.Директ", "Рекомендация", ""]


def make_deals(steps: dict[str, int], seed: int = 3, n: int = 60) -> pd.DataFrame:
    """Deals over twenty days: id, created, stage, budget, source, utm, closed (won/lost)."""
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        created = START + timedelta(
            days=i % 20, hours=rng.randint(0, 10), minutes=rng.randint(0, 59)
        )
        stage = rng.choice(list(steps))
        closed = created + timedelta(days=rng.randint(1, 9)) if stage in (
            "Успешно реализовано", "Закрыто и не реализовано", "Сделка успешна",
            "Сделка провалена", "Closed Won", "Closed Lost") else None  # fmt: skip
        source = rng.choice(SOURCES)
        rows.append({"id": str(1000 + i), "created": created, "stage": stage,
                     "budget": rng.choice([0, 15000, 150000, 1234567.5, 99999.99]),
                     "source": source, "utm": "" if source else rng.choice(["", "vk"]),
                     "closed": closed})  # fmt: skip
    return pd.DataFrame(rows)


def ru_money(x: float) -> str:
    """'1 234 567,50' with a no-break space as amoCRM and Bitrix24 write it."""
    whole, frac = f"{x:,.2f}".split(".")
    text = whole.replace(",", "\u00a0")
    return text if frac == "00" else f"{text},{frac}"


def amo_csv(deals: pd.DataFrame) -> str:
    head = ["ID", "Название сделки", "Бюджет", "Этап сделки", "Воронка", "Дата создания",
            "Дата закрытия", "Ответственный", "Источник", "utm_source"]  # fmt: skip
    lines = [";".join(head)]
    for d in deals.itertuples():
        closed = d.closed.strftime("%d.%m.%Y %H:%M:%S") if pd.notna(d.closed) else ""
        lines.append(";".join([d.id, f'"Сделка #{d.id}; опт"', ru_money(d.budget), d.stage,
                               "Продажи", d.created.strftime("%d.%m.%Y %H:%M:%S"), closed,
                               "Иван Петров", d.source, d.utm]))  # fmt: skip
    return "\n".join(lines) + "\n"


def reference(deals: pd.DataFrame, steps: dict[str, int]) -> pd.DataFrame:
    """The leads table by hand: steps from the stage, won_at the close date, channel fallback."""
    step = deals["stage"].map(steps)
    channel = deals["source"].where(deals["source"] != "", deals["utm"])
    return pd.DataFrame({
        "lead_id": deals["id"], "channel": channel.where(channel != "", "(not set)"),
        "mql": step >= 1, "sql": step >= 2, "won": step >= 3,
        "won_at": deals["closed"].where(step >= 3), "value": deals["budget"],
    })  # fmt: skip


def _client(make_client, path: str, fmt: str, stages, currency="RUB", **extra):
    return make_client(
        currency=currency, timezone="Europe/Moscow",
        data={"leads": {"path": path, "format": fmt, "stages": stages, **extra}},
    )  # fmt: skip


def _check(client, ref: pd.DataFrame) -> None:
    got = client.frame("leads").set_index("lead_id").loc[ref["lead_id"]]
    assert len(got) == len(ref)
    assert got["mql_at"].notna().sum() == ref["mql"].sum()
    assert got["sql_at"].notna().sum() == ref["sql"].sum()
    assert got["won_at"].notna().sum() == ref["won"].sum()
    won = got["won_at"].notna().to_numpy()
    assert got["value"][won].sum() == pytest.approx(ref["value"][ref["won"]].sum())
    assert got["value"].sum() == pytest.approx(ref["value"].sum())
    assert (got["won_at"].dropna().to_numpy() == ref["won_at"].dropna().to_numpy()).all()
    by = got.groupby("channel").size().sort_index()
    assert by.to_dict() == ref.groupby("channel").size().sort_index().to_dict()
    # a step's date is the creation time (a lower bound): an export has no stage-change dates
    assert (got["sql_at"].dropna() == got["created_at"][got["sql_at"].notna()]).all()


def test_amocrm_csv_with_bom_equals_pandas(make_client):
    deals = make_deals(AMO_STEPS)
    folder = _client(make_client, "data/amo.csv", "amocrm", AMO_STAGES)
    (folder / "data" / "amo.csv").write_bytes(amo_csv(deals).encode("utf-8-sig"))
    client = load_client(folder, emit_warnings=False)
    ref = reference(deals, AMO_STEPS)
    _check(client, ref)
    issues = client.issues()
    unset = issues[issues["check"] == "no_source"].iloc[0]
    assert unset["rows"] == (ref["channel"] == "(not set)").sum() > 0
    created = client.frame("leads")["created_at"].sort_values().reset_index(drop=True)
    assert created.tolist() == sorted(deals["created"].tolist())


def test_amocrm_xlsx_equals_pandas(make_client):
    deals = make_deals(AMO_STEPS, seed=5)
    folder = _client(make_client, "data/amo.xlsx", "amocrm", AMO_STAGES)
    frame = pd.read_csv(pd.io.common.StringIO(amo_csv(deals)), sep=";", dtype=str).fillna("")
    frame["Бюджет"] = deals["budget"].to_numpy()  # number and date cells of the workbook
    frame["Дата создания"] = deals["created"].to_numpy()
    frame.to_excel(folder / "data" / "amo.xlsx", index=False)
    _check(load_client(folder, emit_warnings=False), reference(deals, AMO_STEPS))


def bitrix_csv(deals: pd.DataFrame, currency: str = "RUB") -> str:
    head = ["ID", "Название", "Стадия сделки", "Сумма", "Валюта", "Дата создания",
            "Дата изменения", "Предполагаемая дата закрытия", "Источник", "UTM Source"]  # fmt: skip
    lines = [";".join(head)]
    for d in deals.itertuples():
        closed = d.closed.strftime("%d.%m.%Y %H:%M:%S") if pd.notna(d.closed) else ""
        cur = currency if d.Index % 7 == 3 else "RUB"
        lines.append(";".join([d.id, f"Заказ {d.id}", d.stage, ru_money(d.budget), cur,
                               d.created.strftime("%d.%m.%Y %H:%M:%S"), closed, closed,
                               d.source, d.utm]))  # fmt: skip
    return "\n".join(lines) + "\n"


def test_bitrix24_cp1251_equals_pandas(make_client):
    deals = make_deals(BITRIX_STEPS, seed=11)
    folder = _client(make_client, "data/deals.csv", "bitrix24", BITRIX_STAGES)
    (folder / "data" / "deals.csv").write_bytes(bitrix_csv(deals).encode("cp1251"))
    _check(load_client(folder, emit_warnings=False), reference(deals, BITRIX_STEPS))


def test_bitrix24_other_currency_names_the_rows(make_client):
    deals = make_deals(BITRIX_STEPS, seed=11, n=20)
    folder = _client(make_client, "data/deals.csv", "bitrix24", BITRIX_STAGES)
    (folder / "data" / "deals.csv").write_bytes(bitrix_csv(deals, "USD").encode("cp1251"))
    with pytest.raises(DataError, match=r"3 rows \(lines 5, 12, 19\) in column 'value'.*another "
                       r"currency \('USD'\).*'0 USD'"):  # fmt: skip
        load_client(folder, emit_warnings=False)


def hubspot_csv(deals: pd.DataFrame) -> str:
    """A HubSpot deals export: ISO dates, quoted commas in names, one source column."""
    lines = ["Record ID,Deal Name,Deal Stage,Amount,Create Date,Close Date,Pipeline,"
             "Original Source"]  # fmt: skip
    for d in deals.itertuples():
        closed = d.closed.strftime("%Y-%m-%d %H:%M") if pd.notna(d.closed) else ""
        lines.append(f'{d.id},"Deal {d.id}, renewal",{d.stage},{d.budget},'
                     f"{d.created:%Y-%m-%d %H:%M},{closed},Sales Pipeline,"
                     f"{d.source or d.utm}")  # fmt: skip
    return "\n".join(lines) + "\n"


def test_hubspot_iso_dates_equals_pandas(make_client):
    deals = make_deals(HUB_STEPS, seed=2)
    folder = _client(make_client, "data/hubspot.csv", "hubspot", HUB_STAGES, currency="USD")
    (folder / "data" / "hubspot.csv").write_text(hubspot_csv(deals), encoding="utf-8")
    merged = deals["source"].where(deals["source"] != "", deals["utm"])
    ref = reference(deals.assign(source=merged, utm=""), HUB_STEPS)
    _check(load_client(folder, emit_warnings=False), ref)


def test_unmapped_stages_are_listed_with_counts(make_client):
    deals = make_deals(AMO_STEPS)
    folder = _client(make_client, "data/amo.csv", "amocrm", {"mql": ["Квалификация"]})
    (folder / "data" / "amo.csv").write_bytes(amo_csv(deals).encode("utf-8-sig"))
    counts = deals["stage"].value_counts()
    with pytest.raises(ConfigError, match=r"not placed on the funnel by `data.leads.stages`") as e:
        load_client(folder, emit_warnings=False)
    for stage in ("Переговоры", "Неразобранное", "Отказ после КП"):
        assert f"'{stage}' ({counts[stage]} deals)" in str(e.value)
    assert "Квалификация" not in str(e.value) and "Успешно реализовано" not in str(e.value)


def test_stages_by_pipeline_in_any_case_and_a_remapped_source(make_client):
    deals = make_deals(AMO_STEPS, seed=4, n=30)
    stages = {step: [f"продажи / {s.lower()}" for s in names] for step, names in AMO_STAGES.items()}
    folder = _client(
        make_client, "data/amo.csv", "amocrm", stages, columns={"channel": "utm_source"}
    )
    (folder / "data" / "amo.csv").write_bytes(amo_csv(deals).encode("utf-8-sig"))
    client = load_client(folder, emit_warnings=False)
    ref = reference(deals.assign(source=deals["utm"], utm=""), AMO_STEPS)
    _check(client, ref)


def test_unreadable_date_names_the_line(make_client):
    deals = make_deals(AMO_STEPS, n=10)
    text = amo_csv(deals).splitlines()
    text[4] = text[4].replace(deals["created"][3].strftime("%d.%m.%Y %H:%M:%S"), "31.02.2026 10:00")
    folder = _client(make_client, "data/amo.csv", "amocrm", AMO_STAGES)
    (folder / "data" / "amo.csv").write_text("\n".join(text) + "\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"(?s)1 problem.*amo.csv: 1 row \(line 5\) in column "
                       r"'Дата создания' cannot be read as times.*'31.02.2026 10:00'"):  # fmt: skip
        load_client(folder, emit_warnings=False)


def test_growthbook_summary_is_read_as_the_file(make_client):
    lines = ["metricName,variationName,riskOfChoosing,users,count,conversionRate,"
             "chanceToBeatControl,percentChange",
             "Purchase,Control,0.01,10234,812,0.0793,,",
             "Purchase,New checkout,0.002,10180,901,0.0885,0.97,0.116",
             "Signup,Control,0.01,10234,2400,0.2345,,",
             "Signup,New checkout,0.01,10180,2390,0.2348,0.51,0.001"]  # fmt: skip
    folder = make_client(
        {"gb.csv": "\n".join(lines) + "\n"},
        experiments=[{"name": "checkout", "goal": "Purchase", "control": "Control",
                      "summary": {"path": "data/gb.csv", "format": "growthbook"}}],
    )  # fmt: skip
    config = load_config(folder / "client.yaml")
    got = read_summary(config, config.experiments[0])
    assert got["variant"].tolist() == ["Control", "New checkout"]
    assert got["users"].tolist() == [10234, 10180] and got["conversions"].tolist() == [812, 901]
    assert got["revenue_sum"].isna().all()
    config.experiments[0].goal = "Signup"  # its rows are lines 4-5 of the file
    (folder / "data" / "gb.csv").write_text(
        "\n".join([*lines[:4], lines[4].replace("2390", "lots")])
    )
    with pytest.raises(DataError, match=r"1 row \(line 5\) in column 'conversions'.*'lots'"):
        read_summary(config, config.experiments[0])
    config.experiments[0].goal = "Revenue"
    with pytest.raises(
        ConfigError, match=r"holds 2 metrics \(\['Purchase', 'Signup'\]\).*'Revenue'"
    ):
        read_summary(config, config.experiments[0])


def test_funnelkit_run_reports_the_pandas_lead_numbers(make_client, tmp_path):
    deals = make_deals(AMO_STEPS, seed=9, n=80)
    folder = _client(make_client, "data/amo.csv", "amocrm", AMO_STAGES)
    (folder / "data" / "amo.csv").write_bytes(amo_csv(deals).encode("utf-8-sig"))
    notebooks = tmp_path / "notebooks"
    notebooks.mkdir()
    (notebooks / "01_pick_metrics.ipynb").write_bytes(
        (REPO / "notebooks" / "01_pick_metrics.ipynb").read_bytes()
    )
    env = dict(os.environ)
    out = tmp_path / "out"
    result = subprocess.run(
        [str(Path(sys.executable).parent / "funnelkit"), "run", str(folder), "--output-dir",
         str(out), "--notebooks", str(notebooks), "--jobs", "1"],
        capture_output=True, text=True, env=env, cwd=REPO, timeout=900,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    (found,) = out.rglob("01_pick_metrics.results.json")
    metrics = {m["metric"]: m["value"] for m in json.loads(found.read_text())["metrics"]["metrics"]}
    ref = reference(deals, AMO_STEPS)
    assert metrics["leads"] == len(ref)
    assert metrics["win_rate"] == pytest.approx(ref["won"].sum() / ref["sql"].sum())
    assert metrics["mql_rate"] == pytest.approx(ref["mql"].mean())


def test_growthbook_summary_gives_the_experiment_numbers(make_client):
    lines = ["metricName,variationName,users,count",
             "Purchase,Control,10234,812", "Purchase,New checkout,10180,901"]  # fmt: skip
    folder = make_client(
        {"gb.csv": "\n".join(lines) + "\n",
         "leads.csv": "lead_id,created_at,channel\n1,2026-10-02 10:00:00,web\n"},
        data={"leads": {"path": "data/leads.csv"}},
        experiments=[{"name": "checkout", "control": "Control", "goal": "Purchase",
                      "summary": {"path": "data/gb.csv", "format": "growthbook"}}],
    )  # fmt: skip
    row = analyze_experiment(load_client(folder, emit_warnings=False), "checkout", bootstrap=0)
    row = row.proportions.iloc[0]
    # pooled two-proportion z test by hand
    p1, p2, pooled = 812 / 10234, 901 / 10180, (812 + 901) / (10234 + 10180)
    z = (p2 - p1) / math.sqrt(pooled * (1 - pooled) * (1 / 10234 + 1 / 10180))
    assert (row["variant"], row["users"], row["conversions"]) == ("New checkout", 10180, 901)
    assert row["rate"] == pytest.approx(p2) and row["control_rate"] == pytest.approx(p1)
    assert row["statistic"] == pytest.approx(z)
    assert row["p_value"] == pytest.approx(math.erfc(z / math.sqrt(2)))


@pytest.mark.parametrize(
    ("stages", "message"),
    [
        ({"qualified": ["Квалификация"]}, r"\['qualified'\] are not funnel steps"),
        ({"won": ["Переговоры"], "lost": ["переговоры"]}, r"both won and lost"),
    ],
)
def test_a_wrong_stages_block_is_refused(make_client, stages, message):
    folder = _client(make_client, "data/amo.csv", "amocrm", stages)
    (folder / "data" / "amo.csv").write_text(amo_csv(make_deals(AMO_STEPS, n=5)), encoding="utf-8")
    with pytest.raises(ConfigError, match=message):
        load_client(folder, emit_warnings=False)


# -- Header lines of real exports (sources in docs/adapters/crm.md) ------------------------------
#: amoCRM deals export: columns 0-16, 31 and 44 of the 76 hromov/jevelina amoimport/leads.go lists;
#: "Бюджет " with the trailing space a public Alembic view over an imported export selects.
AMO_REAL = ["ID", "Название сделки", "Бюджет ", "Ответственный", "Дата создания сделки",
            "Кем создана сделка", "Дата редактирования", "Кем редактирована", "Дата закрытия",
            "Теги", "Примечание", "Примечание 2", "Примечание 3", "Примечание 4",
            "Примечание 5", "Этап сделки", "Воронка", "Источник", "utm_source"]  # fmt: skip


def test_amocrm_real_header_line_and_not_closed_deals(make_client):
    """'Дата создания сделки', 'Бюджет ' and 'не закрыта' in 'Дата закрытия' of open deals."""
    deals = make_deals(AMO_STEPS, seed=13)
    lines = [",".join(AMO_REAL)]
    for d in deals.itertuples():
        closed = d.closed.strftime("%d.%m.%Y %H:%M:%S") if pd.notna(d.closed) else "не закрыта"
        created = d.created.strftime("%d.%m.%Y %H:%M:%S")
        cells = [d.id, f'"Сделка #{d.id}, опт"', f'"{ru_money(d.budget)}"', "Иван Петров",
                 created, "Робот", created, "Робот", closed, *[""] * 6, d.stage, "Продажи",
                 d.source, d.utm]  # fmt: skip
        lines.append(",".join(cells))
    folder = _client(make_client, "data/amo.csv", "amocrm", AMO_STAGES)
    (folder / "data" / "amo.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    _check(load_client(folder, emit_warnings=False), reference(deals, AMO_STEPS))
    assert funnelkit.data.adapters.crm.AMOCRM.signature_in(AMO_REAL) is not None


def _bitrix_line(cells: list[str]) -> str:
    """A line as Bitrix24's csv.php template writes it: every cell quoted, each followed by ';'."""
    return "".join('"' + c.replace('"', '""') + '";' for c in cells)


def test_bitrix24_csv_as_its_template_writes_it(make_client):
    """Titles of crm.deal.list lang/ru, quoted cells with a trailing ';', the amount as PHP's
    strval ('1234567.50'), the currency by name ('Российский рубль'), CLOSEDATE a date."""
    deals = make_deals(BITRIX_STEPS, seed=17).assign(utm="")
    deals["closed"] = pd.to_datetime(deals["closed"]).dt.normalize()
    head = ["ID", "Название сделки", "Ответственный", "Стадия сделки", "Воронка", "Сумма",
            "Валюта", "Дата создания", "Дата изменения", "Предполагаемая дата закрытия",
            "Источник"]  # fmt: skip
    lines = [_bitrix_line(head)]
    for d in deals.itertuples():
        closed = d.closed.strftime("%d.%m.%Y") if pd.notna(d.closed) else ""
        created = d.created.strftime("%d.%m.%Y %H:%M:%S")
        lines.append(_bitrix_line([d.id, f'Заказ "{d.id}"', "Анна", d.stage, "Общая",
                                   f"{d.budget:.2f}", "Российский рубль", created, created,
                                   closed, d.source]))  # fmt: skip
    folder = _client(make_client, "data/deals.csv", "bitrix24", BITRIX_STAGES)
    (folder / "data" / "deals.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    _check(load_client(folder, emit_warnings=False), reference(deals, BITRIX_STEPS))
    assert funnelkit.data.adapters.crm.BITRIX24.signature_in(head) is not None


def test_bitrix24_english_column_titles(make_client):
    """lang/en titles: Deal Name, Stage, Pipeline, Income, Created, Assumed close date, Source."""
    deals = make_deals(BITRIX_STEPS, seed=19, n=30).assign(utm="")
    head = ["ID", "Deal Name", "Stage", "Pipeline", "Income", "Created", "Modified",
            "Assumed close date", "Source"]  # fmt: skip
    lines = [_bitrix_line(head)]
    for d in deals.itertuples():
        closed = d.closed.strftime("%d.%m.%Y %H:%M:%S") if pd.notna(d.closed) else ""
        created = d.created.strftime("%d.%m.%Y %H:%M:%S")
        lines.append(_bitrix_line([d.id, f"Deal {d.id}", d.stage, "General", f"{d.budget:.2f}",
                                   created, created, closed, d.source]))  # fmt: skip
    folder = _client(make_client, "data/deals.csv", "bitrix24", BITRIX_STAGES)
    (folder / "data" / "deals.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    _check(load_client(folder, emit_warnings=False), reference(deals, BITRIX_STEPS))
    assert funnelkit.data.adapters.crm.BITRIX24.signature_in(head) is not None
