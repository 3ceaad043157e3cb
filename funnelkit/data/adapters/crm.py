"""CRM deal exports — amoCRM, Bitrix24, HubSpot — read as the canonical ``leads`` table.

Written from the vendors' help pages on exporting deals (column names as their UIs write them):

- amoCRM, "Экспорт сделок" (https://www.amocrm.ru/support/deals/export): CSV or XLSX, Russian
  headers ``ID``, ``Название сделки``, ``Бюджет``, ``Ответственный``, ``Дата создания сделки``,
  ``Дата закрытия`` (``не закрыта`` for an open deal), ``Этап сделки``, ``Воронка``,
  ``Источник``, ``utm_source`` (the header line of a real export in hromov/jevelina
  ``amoimport/leads.go``); times ``DD.MM.YYYY HH:MM:SS``; money ``150 000`` or ``150 000,50``.
- Bitrix24, CRM → Сделки → export: the titles of its own ``crm.deal.list`` component
  (``lang/ru|en/component.php``, ``templates/.default/csv.php`` in avshatalov48/
  bitrix24-core-corp): ``ID``, ``Название сделки``, ``Стадия сделки``, ``Сумма``, ``Валюта``,
  ``Дата создания``, ``Дата изменения``, ``Предполагаемая дата закрытия``, ``Источник``,
  ``Воронка`` (English: ``Deal Name``, ``Stage``, ``Income``, ``Currency``, ``Created``,
  ``Assumed close date``, ``Source``, ``Pipeline``); windows-1251 read when not UTF-8.
- HubSpot, "Export your records" (https://knowledge.hubspot.com/import-and-export/export-records):
  ``Record ID``, ``Deal Name``, ``Deal Stage``, ``Amount``, ``Create Date``, ``Close Date``,
  ``Pipeline``, ``Original Source`` (or ``Original Traffic Source``); times ISO or
  ``YYYY-MM-DD HH:MM``.

An export gives a deal's **current** stage only, so ``data.leads.stages`` in ``client.yaml``
places every stage on the funnel (:data:`STEPS`): a deal in a later step reached the earlier
ones; a ``lost`` deal reached only ``created`` unless its stage is also listed under ``mql`` or
``sql`` (a loss after qualification, "Отказ после КП"). With no stage-change dates in an export,
``mql_at`` and ``sql_at`` are the creation time, and ``won_at`` the close date (else the
creation time): **lower bounds** on when those steps happened. A stage placed nowhere is a
:class:`~funnelkit.core.errors.ConfigError` listing it with its count — never ignored.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ...core.errors import ConfigError, format_rows
from ...core.sql import lit, q
from ..sources import RawScan, create_raw
from ..validate import Problem
from . import Adapter, register

if TYPE_CHECKING:
    import duckdb

__all__ = ["AMOCRM", "BITRIX24", "HUBSPOT", "STEPS", "step_of"]

#: The steps ``stages:`` may place a CRM stage on, with how far along the funnel each is.
STEPS = {"lead": 0, "mql": 1, "sql": 2, "won": 3, "lost": 0}
#: Roles of the export's columns ``columns:`` may re-map (canonical names, plus three more).
_ROLES = ("lead_id", "created_at", "channel", "value", "won_at", "stage", "pipeline", "currency")
_ISO = "%Y-%m-%d %H:%M:%S"


@dataclass(frozen=True)
class _Crm:
    """One CRM's export: its columns per role (first present wins), time formats, layout."""

    columns: dict[str, tuple[str, ...]]
    times: tuple[str, ...]
    layout: dict[str, Any]
    won: tuple[str, ...]  #: system stages read as won / lost without being declared
    lost: tuple[str, ...]
    decimal_comma: bool = False
    empty: tuple[str, ...] = ()  #: cell texts meaning "no value" (amoCRM's "не закрыта")


def step_of(stage: str, pipeline: str | None, stages: dict[str, set[str]]) -> int | None:
    """How far along the funnel a deal in ``stage`` (of ``pipeline``) is; None if unmapped.

    Names match trimmed and in any case; ``"Pipeline / Stage"`` places a stage of one pipeline.

    Examples
    --------
    >>> step_of("Переговоры", None, {"sql": {"переговоры"}, "lost": set()})
    2
    >>> step_of("Отказ", None, {"sql": set(), "lost": {"отказ"}}) is None
    False
    """
    names = [f"{pipeline} / {stage}".casefold()] if pipeline else []
    for name in [*names, stage.casefold()]:
        placed = [STEPS[step] for step, listed in stages.items() if name in listed]
        if placed:
            return max(placed)
    return None


def _stages(source: Any, crm: _Crm, key: str) -> dict[str, set[str]]:
    declared = source.stages or {}
    unknown = sorted(set(declared) - set(STEPS))
    if unknown:
        raise ConfigError(
            f"{key}.stages: {unknown} are not funnel steps; use {list(STEPS)} (lead: open and "
            "not qualified yet)."
        )
    stages = {step: {str(s).strip().casefold() for s in declared.get(step, [])} for step in STEPS}
    both = sorted(stages["won"] & stages["lost"])
    if both:
        raise ConfigError(f"{key}.stages: {both} are listed as both won and lost; keep one.")
    placed = set().union(*stages.values())
    stages["won"] |= {s.casefold() for s in crm.won if s.casefold() not in placed}
    stages["lost"] |= {s.casefold() for s in crm.lost if s.casefold() not in placed}
    return stages


def _pick(present: list[str], source: Any, crm: _Crm, vendor: str, key: str) -> dict[str, str]:
    """Role -> the export's column, from ``columns:`` or the CRM's names (first found)."""
    unknown = sorted(set(source.columns) - set(_ROLES))
    if unknown:
        raise ConfigError(f"{key}.columns: {unknown} are not read from a CRM export; use {_ROLES}.")
    by_name = {c.strip().lstrip("\ufeff").casefold(): c for c in present}
    found = {}
    for role, names in crm.columns.items():
        wanted = [source.columns[role]] if role in source.columns else list(names)
        hit = next((by_name[n.casefold()] for n in wanted if n.casefold() in by_name), None)
        if hit is not None:
            found[role] = hit
        elif role in source.columns:
            raise ConfigError(
                f"{key}.columns.{role}: '{source.columns[role]}' is not a column of the "
                f"{vendor}; its columns are {present}."
            )
    for role in ("lead_id", "created_at", "stage"):
        if role not in found:
            raise ConfigError(
                f"{key}: the {vendor} has none of the columns {list(crm.columns[role])} "
                f"({role}); its columns are {present}. Export the deals with that field, or "
                f"map it with `{key}.columns.{role}: <column name>`."
            )
    return found


def _read(con: duckdb.DuckDBPyConnection, raw: str, path: Path, source: Any, key: str) -> RawScan:
    """The export as it is (text columns, original headers) in the TEMP table ``raw``."""
    fmt = "excel" if path.suffix.lower() in (".xlsx", ".xls") else "csv"
    if fmt == "csv" and source.encoding is None:
        head = path.read_bytes()[: 1 << 20]
        try:
            head.decode("utf-8")
        except UnicodeDecodeError as err:
            if err.start < len(head) - 4:  # not a character cut at the end of the sample
                source = source.model_copy(update={"encoding": "cp1251"})
    return create_raw(con, raw, path, fmt, source, table="leads")


def _strptime(col: str, formats: tuple[str, ...]) -> str:
    return f"try_strptime({col}, [{', '.join(lit(f) for f in formats)}])"


def _time(col: str, formats: tuple[str, ...]) -> str:
    """SQL: the vendor's time as ISO text; other text (ISO with an offset) is kept as it is."""
    parsed = _strptime(col, formats)
    return f"CASE WHEN {parsed} IS NOT NULL THEN strftime({parsed}, {lit(_ISO)}) ELSE {col} END"


def _parsed(col: str, formats: tuple[str, ...]) -> str:
    """SQL: like :func:`_time`, NULL where the text is no time (the loader reports it once)."""
    ok = f"{_strptime(col, formats)} IS NOT NULL OR TRY_CAST({col} AS TIMESTAMPTZ) IS NOT NULL"
    return f"CASE WHEN {ok} THEN {_time(col, formats)} END"


def _bad_times(
    con: duckdb.DuckDBPyConnection,
    file: str,
    column: str,
    col: str,
    formats: tuple[str, ...],
    label: str,
    offset: int,
    vendor: str,
) -> Problem | None:
    """An error for the time cells of ``column`` in none of the CRM's formats (nor ISO 8601)."""
    bad = con.sql(
        f"SELECT __row + {offset}, {col} FROM {file} f WHERE {col} IS NOT NULL AND "
        f"{_parsed(col, formats)} IS NULL ORDER BY __row"
    ).fetchall()
    if not bad:
        return None
    lines, seen = [int(r[0]) for r in bad], [str(r[1]) for r in bad[:3]]
    message = (
        f"{label}: {format_rows(lines, len(lines))} in column '{column}' cannot be read as "
        f"times: the {vendor} writes them {' or '.join(formats[:2])} (or ISO 8601). Values seen: "
        f"{', '.join(repr(v) for v in seen)}; fix them in the CRM or the export."
    )
    return Problem("leads", label, column, "unreadable", "error", len(lines), lines[:5], seen,
                   message)  # fmt: skip


def _build(crm: _Crm, vendor: str):
    def build(
        con: duckdb.DuckDBPyConnection, raw: str, files: list[Path], source: Any, *, table: str
    ) -> RawScan:
        key = f"data.{table}"
        if len(files) != 1:
            raise ConfigError(
                f"{key}.path: the folder holds {len(files)} files ({[f.name for f in files[:5]]});"
                f" a {vendor} is one file — point `path` to it."
            )
        path, file = files[0], f"{raw}_file"
        scan = _read(con, file, path, source, key)
        if any(p.severity == "error" for p in scan.problems):
            con.execute(f"DROP TABLE IF EXISTS {file}")
            return RawScan(scan.line_offset, scan.unit, scan.problems, relation="table")
        present = [c for c in con.table(file).columns if c != "__row"]
        cols = _pick(present, source, crm, vendor, key)

        def text(role: str) -> str:
            if role not in cols:
                return "NULL"
            cell = f"NULLIF(trim(f.{q(cols[role])}), '')"
            if not crm.empty:
                return cell
            blanks = ", ".join(lit(v) for v in crm.empty)
            return f"CASE WHEN lower({cell}) IN ({blanks}) THEN NULL ELSE {cell} END"

        stages = _stages(source, crm, key)
        pipeline = text("pipeline")
        counts = con.sql(
            f"SELECT {text('stage')}, {pipeline}, count(*) FROM {file} f GROUP BY ALL"
        ).fetchall()
        steps, unmapped = [], Counter()
        for stage, pipe, n in counts:
            step = step_of(stage, pipe, stages) if stage is not None else None
            if step is None:
                unmapped[stage or "(empty)"] += n
            else:
                steps.append((stage, pipe or "", step))
        if unmapped:
            listed = ", ".join(f"'{s}' ({n} deals)" for s, n in unmapped.most_common())
            raise ConfigError(
                f"{path.name}: {len(unmapped)} stage(s) in '{cols['stage']}' are not placed on "
                f"the funnel by `{key}.stages`: {listed}. Add each to one step in client.yaml "
                f"— lead (open, not qualified), mql, sql, won or lost — e.g. `{key}.stages: "
                f"{{sql: [{', '.join(repr(s) for s in list(unmapped)[:2])}]}}` (a deal in a "
                "later step counts as having reached the earlier ones)."
            )
        problems = scan.problems + [
            _bad_times(con, file, cols[r], text(r), crm.times, path.name, scan.line_offset, vendor)
            for r in ("created_at", "won_at") if r in cols
        ]  # fmt: skip
        problems = [p for p in problems if p is not None]
        if any(p.severity == "error" for p in problems):
            con.execute(f"DROP TABLE {file}")
            return RawScan(scan.line_offset, scan.unit, problems, relation="table")
        steps_sql = ", ".join(f"({lit(s)}, {lit(p)}, {n})" for s, p, n in steps) or "(NULL, '', 0)"
        created = _time(text("created_at"), crm.times)
        parsed = _parsed(text("created_at"), crm.times)  # the steps' date: a lower bound
        closes = [_time(text(r), crm.times) for r in ("won_at",) if r in cols]
        won_at = f"COALESCE({', '.join([*closes, created])})"
        if "channel" in source.columns:  # a declared source column: no utm_source fallback
            cols.pop("utm_source", None)
        channel = [text(r) for r in ("channel", "utm_source") if r in cols]
        unset = con.sql(
            f"SELECT count(*) FROM {file} f WHERE COALESCE({', '.join([*channel, 'NULL'])}) IS NULL"
        ).fetchall()[0][0]
        if unset:
            names = " or ".join(f"'{cols[r]}'" for r in ("channel", "utm_source") if r in cols)
            message = (
                f"{path.name}: {unset} of the deals have no source ({names or 'no source column'} "
                "empty); their channel is '(not set)'. Fill the source in the CRM to place them."
            )
            problems.append(Problem("leads", path.name, "channel", "no_source", "warning", unset,
                                    message=message))  # fmt: skip
        value = text("value")
        if crm.decimal_comma:  # a number cell of a workbook reads '150000.5': make it '150000,5'
            value = (
                f"CASE WHEN regexp_full_match({value}, '-?[0-9]+\\.[0-9]+') "
                f"THEN replace({value}, '.', ',') ELSE {value} END"
            )
        layout = dict(crm.layout)
        if "currency" in cols:  # '1500 USD': the loader refuses a currency not the client's
            value = f"{value} || COALESCE(' ' || {_currency(text('currency'))}, '')"
            layout["currency_signs"] = True
        con.execute(
            f"CREATE TEMP TABLE {raw} AS SELECT f.__row, {text('lead_id')} AS lead_id, "
            f"{created} AS created_at, COALESCE({', '.join([*channel, repr('(not set)')])}) "
            f"AS channel, CASE WHEN s.step >= 1 THEN {parsed} END AS mql_at, "
            f"CASE WHEN s.step >= 2 THEN {parsed} END AS sql_at, "
            f"CASE WHEN s.step >= 3 THEN {won_at} END AS won_at, {value} AS value "
            f"FROM {file} f JOIN (VALUES {steps_sql}) s(stage, pipeline, step) "
            f"ON s.stage = {text('stage')} AND s.pipeline = COALESCE({pipeline}, '') "
            "ORDER BY f.__row"
        )
        con.execute(f"DROP TABLE {file}")
        return RawScan(scan.line_offset, scan.unit, problems, relation="table", layout=layout)

    return build


#: Currency names a Russian CRM writes instead of the ISO code.
_CURRENCY_NAMES = {"рубль": "RUB", "российский рубль": "RUB", "руб.": "RUB",
                   "доллар сша": "USD", "евро": "EUR", "тенге": "KZT", "гривна": "UAH",
                   "белорусский рубль": "BYN"}  # fmt: skip


def _currency(col: str) -> str:
    cases = " ".join(f"WHEN {lit(k)} THEN {lit(v)}" for k, v in _CURRENCY_NAMES.items())
    return f"CASE lower({col}) {cases} ELSE upper({col}) END"


_RU_TIMES = ("%d.%m.%Y %H:%M:%S", "%d.%m.%Y %H:%M", "%d.%m.%Y")
_RU_MONEY = {"decimal": ",", "thousands": " ", "currency_signs": True}
_COMMON = {"lead_id": ("ID",), "pipeline": ("Воронка", "Направление")}

_AMO = _Crm(  # real header lines: hromov/jevelina amoimport/leads.go (see docs/adapters/crm.md)
    columns={**_COMMON, "created_at": ("Дата создания сделки", "Дата создания"),
             "stage": ("Этап сделки", "Этап", "Статус"), "value": ("Бюджет", "Бюджет сделки"),
             "won_at": ("Дата закрытия", "Дата закрытия сделки"),
             "channel": ("Источник", "Источник сделки"), "utm_source": ("utm_source",),
             "currency": ()},
    times=_RU_TIMES, layout=_RU_MONEY, won=("Успешно реализовано",),
    lost=("Закрыто и не реализовано",), decimal_comma=True, empty=("не закрыта",),
)  # fmt: skip
#: Bitrix24's own CSV export (crm.deal.list/templates/.default/csv.php) writes the column titles
#: of lang/ru and lang/en/component.php: "Название сделки" / "Deal Name", "Стадия сделки" /
#: "Stage", "Сумма" / "Income", "Валюта" / "Currency" (a name: "Российский рубль"), "Дата
#: создания" / "Created", "Предполагаемая дата закрытия" / "Assumed close date", "Источник" /
#: "Source", "Воронка" / "Pipeline"; every cell quoted and followed by ";".
_BITRIX = _Crm(
    columns={"lead_id": ("ID",), "pipeline": (*_COMMON["pipeline"], "Pipeline"),
             "created_at": ("Дата создания", "Created"),
             "stage": ("Стадия сделки", "Стадия", "Stage"),
             "value": ("Сумма", "Сумма сделки", "Income"), "currency": ("Валюта", "Currency"),
             "won_at": ("Дата закрытия", "Предполагаемая дата закрытия", "Дата изменения",
                        "Assumed close date", "Modified"),
             "channel": ("Источник", "Source"), "utm_source": ("UTM Source", "utm_source")},
    times=_RU_TIMES, layout=_RU_MONEY, won=("Сделка успешна",), lost=("Сделка провалена",),
    decimal_comma=True,
)  # fmt: skip
_HUBSPOT = _Crm(
    columns={"lead_id": ("Record ID", "Deal ID"), "created_at": ("Create Date",),
             "stage": ("Deal Stage",), "pipeline": ("Pipeline",),
             "value": ("Amount", "Amount in company currency"),
             "currency": ("Currency", "Deal currency code"), "won_at": ("Close Date",),
             "channel": ("Original Source", "Original Traffic Source", "Original Source Type"),
             "utm_source": ("UTM Source",)},
    times=("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d", "%m/%d/%Y %H:%M", "%m/%d/%Y"),
    layout={"thousands": ","}, won=("Closed Won",), lost=("Closed Lost",),
)  # fmt: skip


def _tables(crm: _Crm) -> dict[str, dict[str, str]]:
    first = {role: names[0] for role, names in crm.columns.items() if names}
    source = first["channel"] + (f" (else {first['utm_source']})" if "utm_source" in first else "")
    return {"leads": {
        "lead_id": first["lead_id"], "created_at": first["created_at"], "channel": source,
        "mql_at": f"{first['created_at']}, when `stages` puts {first['stage']} at mql or later",
        "sql_at": f"{first['created_at']}, when `stages` puts {first['stage']} at sql or later",
        "won_at": f"{first['won_at']} (else {first['created_at']}) of a won stage",
        "value": first["value"]
        + (f" ({first['currency']} checked)" if "currency" in first else ""),
    }}  # fmt: skip


def _hints(stage: str, fmt: str, vendor: str) -> dict[str, str]:
    return {stage: f"{vendor} deal stage; read the export with `format: {fmt}` and place its "
                   f"stages on the funnel with `stages:` (lead, mql, sql, won, lost)"}  # fmt: skip


_SUFFIXES = (".csv", ".xlsx", ".xls")  # .xls: Bitrix24 writes an HTML table
AMOCRM = register(Adapter(
    format="amocrm", vendor="amoCRM deals export",
    schema="amoCRM help, Экспорт сделок: https://www.amocrm.ru/support/deals/export",
    tables=_tables(_AMO), suffixes=_SUFFIXES, build=_build(_AMO, "amoCRM deals export"),
    signature=frozenset({"ID", "Название сделки", "Этап сделки", "Бюджет"}),
    hints=_hints("Этап сделки", "amocrm", "amoCRM") | {
        "Бюджет": "amoCRM deal budget: read with `format: amocrm` (it becomes leads.value)"},
))  # fmt: skip
BITRIX24 = register(Adapter(
    format="bitrix24", vendor="Bitrix24 deals export",
    schema="Bitrix24 helpdesk, Экспорт сделок (CRM → Сделки → Экспорт в CSV / Excel): "
           "https://helpdesk.bitrix24.ru/",
    tables=_tables(_BITRIX), suffixes=_SUFFIXES, build=_build(_BITRIX, "Bitrix24 deals export"),
    signature=frozenset({"ID", "Название", "Стадия сделки", "Сумма"}),
    signatures=(frozenset({"ID", "Название сделки", "Стадия сделки", "Сумма"}),
                frozenset({"ID", "Deal Name", "Stage", "Income"})),
    hints=_hints("Стадия сделки", "bitrix24", "Bitrix24") | {
        "Валюта": "Bitrix24 deal currency: `format: bitrix24` checks it against `currency`"},
))  # fmt: skip
HUBSPOT = register(Adapter(
    format="hubspot", vendor="HubSpot deals export",
    schema="HubSpot Knowledge Base, Export your records: "
           "https://knowledge.hubspot.com/import-and-export/export-records",
    tables=_tables(_HUBSPOT), suffixes=_SUFFIXES, build=_build(_HUBSPOT, "HubSpot deals export"),
    signature=frozenset({"Record ID", "Deal Name", "Deal Stage"}),
    hints=_hints("Deal Stage", "hubspot", "HubSpot") | {
        "Record ID": "HubSpot record id: with `format: hubspot` it becomes leads.lead_id"},
))  # fmt: skip
