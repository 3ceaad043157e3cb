"""The tables of the metrics chapter, as a client reads them.

Each function turns one frame the analyses return into text columns: headers and words in the
report's language (gettext, Russian in ``locale/ru/LC_MESSAGES/metrics.po``), numbers drawn by
:mod:`funnelkit.core.formatting` (counts whole, shares in %, money with its currency) and every
rate named by what it divides. The numbers themselves are not changed.
"""

from __future__ import annotations

import math
import re
from functools import partial
from typing import Any

import pandas as pd

from ...core.formatting import (
    format_count,
    format_decimal,
    format_number,
    format_p,
    format_value,
)
from ...core.i18n import gettext
from ...metrics.compare import NO_EARLIER, no_earlier_text

__all__ = [
    "cells",
    "changes_table",
    "channels_table",
    "decimal",
    "key_metrics_table",
    "missing_table",
    "needs_words",
    "percent",
    "pipeline_table",
    "supported_table",
]

#: Verdicts as the table words them (a significant change says so).
_VERDICTS = {"better": "significantly better", "worse": "significantly worse"}

#: The pipeline's columns: name in the frame, header, unit.
_PIPELINE_HEADERS = (
    ("channel", "Channel", "text"),
    ("leads", "Leads created", "count"),
    ("mql", "MQL", "count"),
    ("sql", "SQL", "count"),
    ("won", "Won deals", "count"),
    ("mql_per_lead", "MQL / leads", "share"),
    ("won_per_mql", "won / MQL", "share"),
    ("won_per_sql", "won / SQL", "share"),
    ("sales_cycle_days", "Sales cycle, median days", "days"),
)

#: Parts of a channel's note stated once below the table (not on every row).
_STATED_BELOW = ("gross margin", "on revenue", "lifetime")


def cells(values: Any, unit: str, language: str, currency: str = "") -> list[str]:
    r"""Values as a client reads them (counts whole, shares in %, money with its currency).

    Examples
    --------
    >>> cells([1234.0, None], "count", "ru"), cells([0.12], "lift", "en")
    (['1\xa0234', '–'], ['+12%'])
    """
    if unit == "count":
        return [format_count(v, language) for v in values]
    if unit == "money":
        return [format_number(v, "money", language=language, currency=currency) for v in values]
    if unit == "days":
        return [format_number(v, "number", language=language) for v in values]
    return [format_number(v, unit, language=language) for v in values]


def percent(share: float, language: str) -> str:
    r"""A setting such as a 0.45 margin as "45%" (no decimals when it is a whole percent).

    Examples
    --------
    >>> percent(0.45, "en"), percent(0.455, "ru")
    ('45%', '46\xa0%')
    """
    return format_number(share, "lift", language=language).lstrip("+")


def decimal(value: float | None, digits: int, language: str) -> str:
    r"""A plain number with ``digits`` decimals in the language's notation; "–" if not finite.

    Examples
    --------
    >>> decimal(1234.56, 1, "en"), decimal(1234.56, 1, "ru"), decimal(float("inf"), 1, "en")
    ('1,234.6', '1\xa0234,6', '–')
    """
    if value is None or not math.isfinite(float(value)):
        return "–"
    return format_decimal(float(value), digits, language)


def _stages(values: Any, language: str) -> list[str]:
    return [gettext(str(v), language) for v in values]


def supported_table(catalogue: pd.DataFrame, language: str) -> pd.DataFrame:
    """The metrics the client's data supports: stage, name, what it measures, good if."""
    _ = partial(gettext, language=language)
    table = catalogue[catalogue["supported"]]
    return pd.DataFrame({
        _("Stage"): _stages(table["stage"], language),
        _("Metric"): table["name"],
        _("What it measures"): table["definition"],
        _("Good if"): [_(str(v)) for v in table["good"]],
    })  # fmt: skip


def needs_words(text: str, language: str) -> str:
    """What a metric needs (``"spend table, orders.channel"``) in the report's language.

    Examples
    --------
    >>> needs_words("spend table, orders.channel", "ru")
    'таблица spend, orders.channel'
    """
    return re.sub(
        r"\b(\w+) table\b",
        lambda m: gettext("{table} table", language).format(table=m.group(1)),
        str(text),
    )


def missing_table(catalogue: pd.DataFrame, language: str) -> pd.DataFrame:
    """The metrics the client's data does not support, with the data to add."""
    _ = partial(gettext, language=language)
    table = catalogue[~catalogue["supported"]]
    return pd.DataFrame({
        _("Stage"): _stages(table["stage"], language),
        _("Metric"): table["name"],
        _("Data to add"): [needs_words(text, language) for text in table["missing"]],
    })  # fmt: skip


def key_metrics_table(key_metrics: pd.DataFrame, language: str) -> pd.DataFrame:
    """The key metric of each stage, its value now and before, and why it was chosen."""
    _ = partial(gettext, language=language)
    table = key_metrics
    return pd.DataFrame({
        _("Stage"): _stages(table["stage"], language),
        _("Key metric"): table["name"], _("Now"): table["now"], _("Before"): table["before"],
        _("Why this metric"): table["why"],
    })  # fmt: skip


def changes_table(changes: pd.DataFrame, language: str, currency: str) -> pd.DataFrame:
    """Every metric before and now, the relative change, the adjusted p-value and the verdict.

    A metric without earlier data says so in the "before" and verdict cells.
    """
    _ = partial(gettext, language=language)
    table, no_earlier = changes, no_earlier_text(language)
    now = [format_value(v, u, currency, language=language)
           for v, u in zip(table["value"], table["unit"], strict=True)]  # fmt: skip
    earlier = table["verdict"] != NO_EARLIER
    before = [
        format_value(v, u, currency, language=language) if e else no_earlier
        for v, u, e in zip(table["previous_value"], table["unit"], earlier, strict=True)
    ]
    verdict = [_(_VERDICTS.get(str(v), str(v))) if e else no_earlier
               for v, e in zip(table["verdict"], earlier, strict=True)]  # fmt: skip
    return pd.DataFrame({
        _("Stage"): _stages(table["stage"], language), _("Metric"): table["name"],
        _("Before"): before, _("Now"): now,
        _("Change (now / before − 1)"): cells(table["relative_change"], "lift", language),
        _("p, adjusted"): [format_p(v, language=language) for v in table["p_value_adjusted"]],
        _("Verdict"): verdict,
    })  # fmt: skip


def pipeline_table(pipeline: pd.DataFrame, language: str) -> pd.DataFrame:
    """Leads, MQL, SQL, won deals, their rates and the sales cycle per channel.

    Columns the CRM export leaves empty are left out.
    """
    columns = {}
    for name, header, unit in _PIPELINE_HEADERS:
        if name in pipeline and pipeline[name].notna().any():
            values = pipeline[name]
            if name == "channel":
                columns[gettext(header, language)] = values.astype(str).tolist()
            else:
                columns[gettext(header, language)] = cells(values, unit, language)
    return pd.DataFrame(columns)


def row_note(text: object, language: str) -> str:
    """A channel row's note without the assumptions stated once below the table.

    Examples
    --------
    >>> row_note("no spend; gross margin 45% applied; lifetime 2 years", "en")
    'no spend'
    """
    kept = [p for p in str(text).split("; ") if p and not p.startswith(_STATED_BELOW)]
    return "; ".join(gettext(p, language) for p in kept)


def channels_table(
    channels: pd.DataFrame, language: str, currency: str, *, on_margin: bool
) -> pd.DataFrame:
    """Spend, new customers, revenue, CAC, ROMI, CLV, LTV:CAC and payback per channel.

    ``on_margin``: a gross margin is set, so CLV is gross margin per customer (else revenue).
    """
    _ = partial(gettext, language=language)
    table = channels
    if on_margin:
        clv_header = _("CLV, simple formula (gross margin per customer over the expected lifetime)")
    else:
        clv_header = _("CLV, simple formula (revenue per customer over the expected lifetime)")
    if "payback_months" in table:
        payback = [decimal(v, 1, language) for v in table["payback_months"]]
    else:
        payback = ["–"] * len(table)
    return pd.DataFrame({
        _("Channel"): table["channel"].astype(str),
        _("Spend"): cells(table["spend"], "money", language, currency),
        _("New customers"): cells(table["new_customers"], "count", language),
        _("Revenue"): cells(table["revenue"], "money", language, currency),
        _("CAC (spend / new customers)"): cells(table["cac"], "money", language, currency),
        _("ROMI ((revenue × margin − spend) / spend)"): cells(table["romi"], "lift", language),
        clv_header: cells(table["clv"], "money", language, currency),
        _("LTV:CAC (CLV / CAC)"): [format_value(v, "ratio", language=language)
                                   for v in table["ltv_cac"]],
        _("Payback, months"): payback,
        _("Note"): [row_note(n, language) for n in table["note"]],
    })  # fmt: skip
