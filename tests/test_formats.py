"""Export formats consultants really get: each is read with its client.yaml key, and without the
key the error names the file, the column, the lines and the key that fits. Nothing is silent."""

from __future__ import annotations

import io
from datetime import date, datetime

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from funnelkit import health, load_client
from funnelkit.core.errors import ConfigError, DataError
from funnelkit.data.config import load_config

ORDERS = "order_id,customer_id,timestamp,revenue\n"
SPEND = "date,channel,cost\n"


@pytest.fixture(autouse=True)
def _private_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch):
    """Prepared data and transcoded copies go to a folder of the test's own."""
    monkeypatch.setenv("FUNNELKIT_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))


def _table(make_client, table: str, file: str, content: str | bytes, *, config=None, **source):
    data = {table: {"path": f"data/{file}", **source}}
    return make_client({file: content}, data=data, **(config or {}))


def _load(folder):
    return load_client(folder, emit_warnings=False)


def _error(folder) -> DataError:
    with pytest.raises(DataError) as info:
        _load(folder)
    return info.value


def _parquet(table: pa.Table, **options) -> bytes:
    buffer = io.BytesIO()
    pq.write_table(table, buffer, **options)
    return buffer.getvalue()


def _workbook(sheets: dict[str, pd.DataFrame]) -> bytes:
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer) as writer:
        for name, frame in sheets.items():
            frame.to_excel(writer, sheet_name=name, index=False)
    return buffer.getvalue()


# -- numbers -----------------------------------------------------------------------------------
def test_decimal_commas_error_names_the_decimal_key(make_client):
    csv = "order_id;customer_id;timestamp;revenue\no1;u1;2026-10-01;12,5\no2;u2;2026-10-02;3,75\n"
    err = _error(_table(make_client, "orders", "orders.csv", csv))
    message = str(err)
    assert "orders.csv: 2 rows (lines 2, 3) in column 'revenue'" in message
    assert "looks like decimal commas (e.g. '12,5'); set `data.orders.decimal: ','`" in message
    assert (err.file, err.column, err.example_rows) == ("orders.csv", "revenue", [2, 3])


def test_semicolons_decimal_commas_and_nbsp_thousands_are_read(make_client):
    csv = "order_id;customer_id;timestamp;revenue\n"
    csv += "o1;u1;2026-10-01;1\u00a0200,50\no2;u2;2026-10-02;7\n"
    folder = _table(
        make_client, "orders", "orders.csv", csv, delimiter=";", decimal=",", thousands=" "
    )
    assert _load(folder).frame("orders").revenue.tolist() == [1200.5, 7.0]


@pytest.mark.parametrize(
    ("value", "key"),
    [("1 200.50", "`data.orders.thousands: ' '`"), ("1,200.50", "`data.orders.thousands: ','`")],
)
def test_thousands_separators_error_suggests_the_thousands_key(make_client, value, key):
    csv = ORDERS + f'o1,u1,2026-10-01,"{value}"\n'
    message = str(_error(_table(make_client, "orders", "orders.csv", csv)))
    assert "orders.csv: 1 row (line 2) in column 'revenue'" in message
    assert "as thousands separators" in message and key in message


def test_thousands_commas_are_read(make_client):
    csv = ORDERS + 'o1,u1,2026-10-01,"1,200.50"\no2,u2,2026-10-02,"12,000"\n'
    folder = _table(make_client, "orders", "orders.csv", csv, thousands=",")
    assert _load(folder).frame("orders").revenue.tolist() == [1200.5, 12000.0]


def test_ambiguous_comma_names_both_keys(make_client):
    csv = ORDERS + 'o1,u1,2026-10-01,"1,200"\n'
    message = str(_error(_table(make_client, "orders", "orders.csv", csv)))
    assert "1 row (line 2) in column 'revenue'" in message
    assert "`data.orders.thousands: ','`" in message and "`data.orders.decimal: ','`" in message
    assert "check with the client" in message


def test_decimal_comma_refuses_points_instead_of_guessing(make_client):
    csv = ORDERS + "o1,u1,2026-10-01,12.5\n"
    folder = _table(make_client, "orders", "orders.csv", csv, decimal=",")
    message = str(_error(folder))
    assert "1 row (line 2) in column 'revenue' could not be read as numbers" in message
    assert "`data.orders.decimal: '.'`" in message


def test_currency_signs_error_suggests_currency_signs(make_client):
    csv = ORDERS + "o1,u1,2026-10-01,€12.50\no2,u2,2026-10-02,EUR 5\n"
    message = str(_error(_table(make_client, "orders", "orders.csv", csv)))
    assert "orders.csv: 2 rows (lines 2, 3) in column 'revenue'" in message
    assert "currency signs ('EUR', '€')" in message
    assert "set `data.orders.currency_signs: true`" in message


def test_currency_signs_are_read_when_declared(make_client):
    csv = "order_id;customer_id;timestamp;revenue\n"
    csv += "o1;u1;2026-10-01;12,50 ₽\no2;u2;2026-10-02;1 200 руб.\n"
    folder = _table(
        make_client,
        "orders",
        "orders.csv",
        csv,
        config={"currency": "RUB"},
        decimal=",",
        thousands=" ",
        currency_signs=True,
    )
    assert _load(folder).frame("orders").revenue.tolist() == [12.5, 1200.0]


def test_sign_of_another_currency_is_refused(make_client):
    csv = ORDERS + 'o1,u1,2026-10-01,"$1,200"\no2,u2,2026-10-02,USD 5\n'
    folder = _table(make_client, "orders", "orders.csv", csv, thousands=",", currency_signs=True)
    message = str(_error(folder))
    assert "2 rows (lines 2, 3) in column 'revenue' could not be read as amounts in EUR" in message
    assert "another currency ('$', 'USD')" in message and "`currency`" in message


def test_non_finite_numbers_are_refused_with_rows(make_client):
    csv = ORDERS + "o1,u1,2026-10-01,inf\no2,u2,2026-10-02,1e309\no3,u3,2026-10-02,NaN\n"
    err = _error(_table(make_client, "orders", "orders.csv", csv))
    assert "orders.csv: 3 rows (lines 2, 3, 4) in column 'revenue' are not finite numbers" in str(
        err
    )
    assert err.example_rows == [2, 3, 4]


def test_absurd_amounts_are_refused(make_client):
    csv = ORDERS + "o1,u1,2026-10-01,123456789012345678901234567890\no2,u2,2026-10-02,5\n"
    message = str(_error(_table(make_client, "orders", "orders.csv", csv)))
    assert "1 row (line 2) in column 'revenue' are 1e15 or more in absolute value" in message
    assert "'123456789012345678901234567890'" in message


def test_counts_beyond_a_64_bit_integer_are_refused(make_client):
    csv = "date,channel,cost,impressions\n2026-10-01,email,10,99999999999999999999\n"
    message = str(_error(_table(make_client, "spend", "spend.csv", csv)))
    assert "spend.csv: 1 row (line 2) in column 'impressions' are 2^63 or more" in message


# -- times -------------------------------------------------------------------------------------
def test_day_first_timestamps_error_suggests_the_exact_format(make_client):
    csv = ORDERS + "o1,u1,31.12.2026 14:05,1\no2,u2,01.10.2026 09:00,2\n"
    err = _error(_table(make_client, "orders", "orders.csv", csv))
    assert "orders.csv: 2 rows (lines 2, 3) in column 'timestamp'" in str(err)
    assert "set `data.orders.timestamp_format: '%d.%m.%Y %H:%M'`" in str(err)
    assert "fits too" not in str(err)  # 31 cannot be a month


def test_day_first_dates_are_read_with_the_format(make_client):
    csv = SPEND + "31/12/2026,email,1\n01/10/2026,email,2\n"
    folder = _table(make_client, "spend", "spend.csv", csv, timestamp_format="%d/%m/%Y")
    dates = _load(folder).frame("spend")["date"].tolist()
    assert [pd.Timestamp(d).date() for d in dates] == [date(2026, 12, 31), date(2026, 10, 1)]


def test_ambiguous_day_and_month_says_both_fit(make_client):
    csv = SPEND + "01/02/2026,email,1\n03/10/2026,email,2\n"
    message = str(_error(_table(make_client, "spend", "spend.csv", csv)))
    assert "spend.csv: 2 rows (lines 2, 3) in column 'date'" in message
    assert "`data.spend.timestamp_format: '%d/%m/%Y'`" in message
    assert "'%m/%d/%Y' fits too" in message


def test_epoch_seconds_in_csv_error_suggests_the_unit(make_client):
    csv = ORDERS + "o1,u1,1790000000,1\no2,u2,1790003600,2\n"
    message = str(_error(_table(make_client, "orders", "orders.csv", csv)))
    assert "orders.csv: 2 rows (lines 2, 3) in column 'timestamp'" in message
    assert "Unix time in seconds (e.g. 1790000000 = 2026-09-21 14:13:20 UTC)" in message
    assert "set `data.orders.timestamp_unit: s`" in message


def test_epoch_milliseconds_in_csv_become_local_time(make_client):
    # 1790000000000 ms = 2026-09-21 14:13:20 UTC = 16:13:20 in Berlin (CEST, UTC+2)
    csv = ORDERS + "o1,u1,1790000000000,1\n"
    folder = _table(make_client, "orders", "orders.csv", csv, timestamp_unit="ms")
    stamps = _load(folder).frame("orders").timestamp.tolist()
    assert stamps == [pd.Timestamp("2026-09-21 16:13:20")]


def test_epoch_milliseconds_as_parquet_integers(make_client):
    table = pa.table(
        {
            "user_id": ["u1", "u2"],
            "timestamp": pa.array([1790000000000, 1790003600000], pa.int64()),
            "event": ["a", "b"],
        }
    )
    content = _parquet(table)
    message = str(_error(_table(make_client, "events", "events.parquet", content)))
    assert "events.parquet: 2 rows (rows 1, 2) in column 'timestamp'" in message
    assert "set `data.events.timestamp_unit: ms`" in message
    folder = make_client(
        {"events.parquet": content},
        name="declared",
        data={"events": {"path": "data/events.parquet", "timestamp_unit": "ms"}},
    )
    stamps = _load(folder).frame("events").timestamp.tolist()
    assert stamps == [pd.Timestamp("2026-09-21 16:13:20"), pd.Timestamp("2026-09-21 17:13:20")]


def test_epoch_in_the_wrong_unit_is_refused(make_client):
    csv = ORDERS + "o1,u1,1790000000000,1\n"
    folder = _table(make_client, "orders", "orders.csv", csv, timestamp_unit="s")
    message = str(_error(folder))
    assert "1 row (line 2) in column 'timestamp'" in message
    assert "`data.orders.timestamp_unit: ms`" in message


# -- text files --------------------------------------------------------------------------------
RUSSIAN = "Дата,Канал,Расход\n2026-10-01,Почта,10\n"
RUSSIAN_MAP = {"date": "Дата", "channel": "Канал", "cost": "Расход"}


def test_cp1251_file_error_names_the_encoding(make_client):
    folder = _table(
        make_client, "spend", "spend.csv", RUSSIAN.encode("cp1251"), columns=RUSSIAN_MAP
    )
    with pytest.raises(DataError) as info:
        load_config(folder)
    assert "spend.csv: is not UTF-8 text (line 1" in str(info.value)
    assert "it looks like cp1251" in str(info.value)
    assert "set `data.spend.encoding: cp1251`" in str(info.value).lower()


def test_cp1251_file_is_read_with_its_encoding(make_client):
    content = RUSSIAN.encode("cp1251")
    folder = _table(
        make_client, "spend", "spend.csv", content, encoding="cp1251", columns=RUSSIAN_MAP
    )
    assert _load(folder).frame("spend").channel.tolist() == ["Почта"]
    assert (folder / "data" / "spend.csv").read_bytes() == content  # the export is untouched


def test_latin1_file_error_and_read(make_client):
    content = (SPEND + "2026-10-01,Müller Straße,10\n").encode("latin-1")
    with pytest.raises(DataError, match=r"spend.csv: is not UTF-8 text \(line 2.*latin-1"):
        load_config(_table(make_client, "spend", "spend.csv", content))
    folder = make_client(
        {"spend.csv": content},
        name="declared",
        data={"spend": {"path": "data/spend.csv", "encoding": "latin-1"}},
    )
    assert _load(folder).frame("spend").channel.tolist() == ["Müller Straße"]


def test_utf16_file_error_and_read(make_client):
    content = "date\tchannel\tcost\n2026-10-01\tПочта\t10\n".encode("utf-16")
    with pytest.raises(
        DataError, match=r"spend.csv: is UTF-16 text.*`data.spend.encoding: utf-16`"
    ):
        load_config(_table(make_client, "spend", "spend.csv", content))
    folder = make_client(
        {"spend.csv": content},
        name="declared",
        data={"spend": {"path": "data/spend.csv", "encoding": "utf-16"}},
    )
    assert _load(folder).frame("spend").cost.tolist() == [10.0]


def test_non_utf8_line_after_the_first_megabyte_gives_its_line(make_client):
    content = (SPEND + "2026-10-01,email,10\n" * 60_000 + "2026-10-02,Почта,5\n").encode("cp1251")
    message = str(_error(_table(make_client, "spend", "spend.csv", content)))
    assert "spend.csv: 1 row (line 60002) cannot be split" in message
    assert "not valid UTF-8" in message and "`data.spend.encoding`" in message


def test_whitespace_separated_text_is_read(make_client):
    text = "date   channel  cost\n2026-10-01  email   10\n\n2026-10-02\tseo 5\n"
    folder = _table(make_client, "spend", "spend.txt", text, delimiter="whitespace")
    frame = _load(folder).frame("spend")
    assert frame.channel.tolist() == ["email", "seo"] and frame.cost.tolist() == [10.0, 5.0]


def test_whitespace_separated_ragged_line(make_client):
    text = "date channel cost\n2026-10-01 email 10\n2026-10-02 paid search 5\n"
    folder = _table(make_client, "spend", "spend.txt", text, delimiter="whitespace")
    message = str(_error(folder))
    assert "spend.txt: 1 row (line 3) cannot be split into the header's 3 fields" in message
    assert "'2026-10-02 paid search 5'" in message


def test_ragged_rows_error_gives_their_lines(make_client):
    csv = SPEND + "2026-10-01,email,10\n2026-10-02,paid,search,5\n2026-10-03\n2026-10-04,seo,4\n"
    err = _error(_table(make_client, "spend", "spend.csv", csv))
    message = str(err)
    assert "spend.csv: 2 rows (lines 3, 4) cannot be split into the header's 3 fields" in message
    assert "line 3: too many columns; line 4: missing columns" in message
    assert "`data.spend.delimiter`" in message and err.example_rows == [3, 4]


@pytest.mark.parametrize("file", ["spend.csv", "spend.parquet", "spend.xlsx"])
def test_empty_file_is_an_error(make_client, file):
    with pytest.raises(DataError, match=rf"^{file}: the file is empty \(0 bytes\).*`data.spend`"):
        load_config(_table(make_client, "spend", file, b""))


def test_header_only_file_is_a_warning(make_client):
    client = _load(_table(make_client, "spend", "spend.csv", SPEND))
    assert client.row_counts["spend"] == 0
    issues = client.issues()
    assert issues.check.tolist() == ["no_rows"]
    assert "spend.csv: has a header but no data rows" in issues.message[0]


def test_binary_file_named_csv_is_an_error(make_client):
    content = _workbook({"Spend": pd.DataFrame({"date": ["2026-10-01"]})})
    with pytest.raises(DataError, match=r"orders.csv: is not a text file.*`data.orders.format"):
        load_config(_table(make_client, "orders", "orders.csv", content))


# -- Excel and footers -------------------------------------------------------------------------
SPEND_FRAME = pd.DataFrame(
    {"date": ["2026-10-01", "2026-10-02"], "channel": ["email", "seo"], "cost": [10.5, 2]}
)
TOTAL = pd.DataFrame({"date": ["Итого"], "channel": [None], "cost": [12.5]})


def test_several_sheets_say_which_was_read(make_client):
    content = _workbook({"Spend": SPEND_FRAME, "Notes": pd.DataFrame({"a": [1]})})
    client = _load(_table(make_client, "spend", "spend.xlsx", content))
    assert client.frame("spend").cost.tolist() == [10.5, 2.0]
    issues = client.issues().set_index("check")
    assert (
        "spend.xlsx: the workbook has 2 sheets (Spend, Notes); read 'Spend'"
        in (issues.loc["sheet_read", "message"])
    )
    assert "`data.spend.sheet`" in issues.loc["sheet_read", "message"]


def test_wrong_sheet_lists_the_sheets(make_client):
    content = _workbook({"Spend": SPEND_FRAME, "Notes": pd.DataFrame({"a": [1]})})
    folder = _table(make_client, "spend", "spend.xlsx", content, sheet="Spnd")
    with pytest.raises(
        ConfigError, match=r"spend.xlsx: has no sheet 'Spnd'.*\['Spend', 'Notes'\].*'Spend'\?"
    ):
        load_config(folder)


def test_totals_line_at_the_end_of_an_excel_export(make_client):
    content = _workbook({"Spend": pd.concat([SPEND_FRAME, TOTAL])})
    err = _error(_table(make_client, "spend", "spend.xlsx", content))
    assert "spend.xlsx: line 4 looks like a totals line ('Итого' in column 'date')" in str(err)
    assert "set `data.spend.skip_footer: 1`" in str(err)
    assert (err.column, err.example_rows) == ("date", [4])


def test_totals_line_at_the_end_of_a_csv_export(make_client):
    csv = "date;channel;cost\n2026-10-01;email;10\nTotal:;;10\n"
    message = str(_error(_table(make_client, "spend", "spend.csv", csv)))
    assert "spend.csv: line 3 looks like a totals line ('Total:' in column 'date')" in message
    assert "`data.spend.skip_footer: 1`" in message


def test_skip_footer_drops_the_totals_line_visibly(make_client):
    content = _workbook({"Spend": pd.concat([SPEND_FRAME, TOTAL])})
    client = _load(_table(make_client, "spend", "spend.xlsx", content, skip_footer=1))
    assert client.frame("spend").cost.tolist() == [10.5, 2.0]
    message = client.issues().set_index("check").loc["skipped_footer", "message"]
    assert "skipped the last 1 line(s) (from line 4)" in message and "Итого, 12.5" in message


# -- damaged files -----------------------------------------------------------------------------
def _events_parquet(rows: int = 30_000) -> bytes:
    table = pa.table(
        {
            "user_id": [f"u{i}" for i in range(rows)],
            "timestamp": [datetime(2026, 10, 1)] * rows,
            "event": [f"e{i % 7}" for i in range(rows)],
        }
    )
    return _parquet(table, row_group_size=5_000, compression="none")


def test_truncated_parquet_is_a_sentence_naming_the_file(make_client):
    content = _events_parquet()
    folder = _table(make_client, "events", "events.parquet", content[: len(content) // 2])
    with pytest.raises(DataError, match=r"^events.parquet: cannot be read as Parquet .*damaged"):
        load_config(folder)


def test_parquet_damaged_in_the_middle_is_a_sentence_naming_the_file(make_client):
    content = bytearray(_events_parquet())
    column = pq.ParquetFile(io.BytesIO(bytes(content))).metadata.row_group(3).column(0)
    start, size = column.data_page_offset, column.total_compressed_size
    content[start + 10 : start + size - 10] = b"\x00" * (size - 20)  # the footer stays valid
    err = _error(_table(make_client, "events", "events.parquet", bytes(content)))
    assert str(err).startswith("events.parquet: cannot be read as Parquet")
    assert "export it again" in str(err)


# -- missing values ----------------------------------------------------------------------------
def test_null_like_required_ids_are_missing_with_their_lines(make_client):
    csv = (
        ORDERS + "o1,NULL,2026-10-01,1\no2,u2,2026-10-02,2\no3, nan ,2026-10-02,2\n"
        "o4,#N/A,2026-10-02,2\no5,None,2026-10-02,2\n"
    )
    err = _error(_table(make_client, "orders", "orders.csv", csv))
    assert "orders.csv: 4 rows (lines 2, 4, 5, 6) have no value in required column " in str(err)
    assert "'customer_id'" in str(err) and "'NULL', ' nan ', '#N/A'" in str(err)
    assert (err.column, err.example_rows) == ("customer_id", [2, 4, 5, 6])


def test_null_like_optional_values_become_missing_and_are_counted(make_client):
    csv = (
        "order_id,customer_id,timestamp,revenue,channel\no1,u1,2026-10-01,1,nan\n"
        "o2,u2,2026-10-02,2,N/A\no3,u3,2026-10-02,2,email\no4,u4,2026-10-03,2,-\n"
    )
    client = _load(_table(make_client, "orders", "orders.csv", csv))
    assert client.frame("orders").channel.isna().tolist() == [True, True, False, True]
    issue = client.issues().set_index("check").loc["null_like"]
    assert issue["message"].startswith("orders.csv: 3 rows (lines 2, 3, 5) in column 'channel'")
    missing = health.missing_values(client).set_index(["table", "column"])
    assert missing.loc[("orders", "channel"), "missing"] == 3


def test_duplicate_ids_compare_trimmed_values(make_client):
    csv = ORDERS + "o1,u1,2026-10-01,1\no1 ,u2,2026-10-02,2\n"
    message = str(_error(_table(make_client, "orders", "orders.csv", csv)))
    assert "orders.csv: 2 rows (lines 2, 3) share a value of 'order_id'" in message


# -- client.yaml -------------------------------------------------------------------------------
def test_currency_must_be_an_iso_4217_code(make_client):
    with pytest.raises(
        ConfigError,
        match=r"`currency` = 'EUD' is invalid: 'EUD' is not an ISO 4217 currency code; "
        r"did you mean 'EUR'\?",
    ):
        load_config(make_client(currency="EUD"))


@pytest.mark.parametrize("slug", ["../../x", ".hidden", "acme/shop", "Acme", "-x"])
def test_slug_must_be_a_plain_folder_name(make_client, slug):
    with pytest.raises(ConfigError, match=r"`slug` = .* is invalid.*`slug: tiny-shop`"):
        load_config(make_client(slug=slug))


def test_valid_slug_and_currency_are_accepted(make_client):
    config = load_config(make_client(slug="магазин-ромашка_2", currency="RUB"))
    assert (config.report_slug, config.currency) == ("магазин-ромашка_2", "RUB")


@pytest.mark.parametrize(
    ("source", "pattern"),
    [
        ({"decimal": ",", "thousands": ","}, r"`thousands` and `decimal` are both ','"),
        (
            {"timestamp_format": "%d.%m.%Y", "timestamp_unit": "s"},
            r"either `timestamp_format` .* or `timestamp_unit`",
        ),
        ({"encoding": "cp-1251x"}, r"`data.spend.encoding` = 'cp-1251x' is invalid: unknown"),
        ({"delimiter": ";;"}, r"`data.spend.delimiter` = ';;' is invalid: delimiter must be one"),
        ({"decimal": ";"}, r"`data.spend.decimal`"),
    ],
)
def test_inconsistent_format_keys_are_config_errors(make_client, source, pattern):
    with pytest.raises(ConfigError, match=pattern):
        load_config(_table(make_client, "spend", "spend.csv", SPEND, **source))


def test_skip_footer_on_parquet_is_a_config_error(make_client):
    folder = _table(make_client, "events", "events.parquet", _events_parquet(10), skip_footer=1)
    with pytest.raises(ConfigError, match=r"`data.events.skip_footer` applies to CSV and Excel"):
        load_config(folder)


def test_tab_delimiter_spelled_as_a_word(make_client):
    csv = "date\tchannel\tcost\n2026-10-01\temail\t10\n"
    folder = _table(make_client, "spend", "spend.tsv", csv, delimiter="tab")
    assert _load(folder).frame("spend").cost.tolist() == [10.0]


def test_whitespace_file_without_the_key_names_the_key(make_client):
    text = "date   channel  cost\n2026-10-01  email   10\n"
    with pytest.raises(
        ConfigError, match=r"read as one column.*`data.spend.delimiter: whitespace`"
    ):
        load_config(_table(make_client, "spend", "spend.txt", text))


def test_skip_footer_in_a_whitespace_file_with_blank_lines(make_client):
    text = "date channel cost\n\n2026-10-01 email 10\n\n2026-10-02 seo 5\n\nTotal 15\n"
    folder = _table(make_client, "spend", "spend.txt", text, delimiter="whitespace", skip_footer=1)
    client = _load(folder)
    assert client.frame("spend").cost.tolist() == [10.0, 5.0]
    message = client.issues().set_index("check").loc["skipped_footer", "message"]
    assert "(from line 7)" in message and "Total, 15" in message


def test_skip_footer_covers_a_summary_line_with_other_fields(make_client):
    csv = "date;channel;cost\n2026-10-01;email;10\n2026-10-02;seo;5\nИтого: 15\n"
    client = _load(_table(make_client, "spend", "spend.csv", csv, skip_footer=1))
    assert client.frame("spend").cost.tolist() == [10.0, 5.0]
    message = client.issues().set_index("check").loc["skipped_footer", "message"]
    assert "(from line 4)" in message and "Итого: 15" in message
