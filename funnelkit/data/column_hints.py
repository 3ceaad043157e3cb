"""Where a missing column may be: a vendor export, a vendor field, or a synonym.

When a file lacks a required column, :func:`column_hint` looks at the columns it has: the whole
``signature`` of a registered adapter (the file is a vendor export: set ``format:``), a vendor
field an adapter knows (its ``hints``: "`ym:s:clientID` looks like a user id; map it with
`columns.user_id`"), or another name for the column (:data:`COLUMN_SYNONYMS`, English and
Russian). ``funnelkit new --from`` (:mod:`funnelkit.data.discover`) uses the same tables.
"""

from __future__ import annotations

import re
from typing import Any

from .adapters import ADAPTERS

__all__ = ["COLUMN_SYNONYMS", "column_hint", "column_key", "matching_adapters", "one_column_hint"]

#: Canonical column -> other names exports give it (English and Russian, and the best-known
#: vendor fields: Yandex Metrica's ``ym:s:clientID``, GA4's ``user_pseudo_id``, HubSpot's
#: ``Record ID``), as :func:`column_key` writes them. A name may stand for several canonical
#: columns; each table picks its own.
COLUMN_SYNONYMS: dict[str, tuple[str, ...]] = {
    "user_id": ("client_id", "clientid", "visitor_id", "visitor", "user", "uid", "userid",
                "user_pseudo_id", "cid", "пользователь", "id_пользователя", "посетитель",
                "id_посетителя", "клиент", "id_клиента", "ym_s_clientid", "ym_pv_clientid"),
    "timestamp": ("event_time", "event_timestamp", "time", "datetime", "date_time", "ts",
                  "created_at", "order_time", "order_date", "время", "дата_и_время",
                  "время_события", "дата_время", "дата_заказа", "время_заказа", "дата",
                  "ym_s_datetime", "ym_pv_datetime"),
    "event": ("event_name", "action", "event_type", "событие", "название_события",
              "действие", "тип_события"),
    "session_id": ("session", "visit_id", "sessionid", "сессия", "id_сессии", "визит",
                   "id_визита", "ga_session_id", "ym_s_visitid", "ym_pv_visitid"),
    "page": ("page_path", "url", "page_location", "path", "страница", "адрес_страницы",
             "ym_pv_url", "ym_s_starturl"),
    "channel": ("source", "utm_source", "traffic_source", "source_medium", "канал",
                "источник", "источник_трафика", "ym_s_lasttrafficsource"),
    "campaign": ("utm_campaign", "campaign_name", "кампания", "рекламная_кампания"),
    "device": ("device_category", "device_type", "устройство", "тип_устройства",
               "ym_s_devicecategory"),
    "revenue": ("amount", "total", "sum", "order_total", "value", "выручка", "сумма",
                "доход", "сумма_заказа", "стоимость"),
    "order_id": ("order", "order_number", "transaction_id", "заказ", "номер_заказа",
                 "id_заказа"),
    "customer_id": ("client_id", "user_id", "customer", "buyer_id", "покупатель", "клиент",
                    "id_клиента", "id_покупателя"),
    "date": ("day", "дата", "день"),
    "cost": ("spend", "amount", "cost_amount", "расход", "расходы", "стоимость", "затраты"),
    "impressions": ("impr", "views", "показы"),
    "clicks": ("клики",),
    "lead_id": ("lead", "deal_id", "record_id", "id_лида", "id_сделки", "лид", "сделка", "id"),
    "created_at": ("created", "create_date", "date_created", "дата_создания", "создан",
                   "создана"),
    "mql_at": ("mql_date", "дата_mql"),
    "sql_at": ("sql_date", "дата_sql"),
    "won_at": ("closed_at", "close_date", "won_date", "дата_закрытия", "дата_оплаты"),
    "value": ("amount", "deal_value", "budget", "сумма", "бюджет", "сумма_сделки"),
    "respondent_id": ("respondent", "user_id", "client_id", "респондент"),
    "score": ("nps", "rating", "оценка", "балл"),
    "segment": ("сегмент",),
    "account_id": ("company_id", "id_компании"),
    "name": ("company", "company_name", "компания", "название", "название_компании"),
    "industry": ("отрасль",),
    "owner": ("manager", "ответственный", "менеджер"),
    "experiment": ("test", "experiment_name", "эксперимент", "тест"),
    "variant": ("group", "arm", "вариант", "группа"),
    "assigned_at": ("assignment_time", "exposed_at", "first_exposure", "время_назначения"),
}  # fmt: skip


def column_key(name: str) -> str:
    """A column name as :data:`COLUMN_SYNONYMS` writes it: lower case, words joined by ``_``.

    Examples
    --------
    >>> column_key(" Дата и время ")
    'дата_и_время'
    >>> column_key("User-ID")
    'user_id'
    """
    return "_".join(re.findall(r"\w+", name.lstrip("\ufeff").casefold()))


def matching_adapters(present: list[str] | tuple[str, ...]) -> list[Any]:
    """The registered adapters whose whole ``signature`` is among the columns, most specific first.

    Names are compared without case (an export re-saved by a spreadsheet keeps its fields).

    Examples
    --------
    >>> matching_adapters(["user_id", "timestamp", "event"])
    []
    """
    found = [(a, s) for a in ADAPTERS.values() if (s := a.signature_in(present)) is not None]
    return [a for a, _ in sorted(found, key=lambda pair: -len(pair[1]))]


def column_hint(present: list[str], *, table: str, column: str, key: str) -> str:
    """Where a required ``column`` of ``table`` may be in a file with columns ``present``.

    The file may be a vendor export (an adapter's signature matches: set ``format:``), have a
    vendor field an adapter knows (its ``hints``), or name the column with a synonym. Returns
    the advice as sentences starting with a space, or ``""``.

    Examples
    --------
    >>> column_hint(["client_id", "ts", "event"], table="events", column="user_id",
    ...             key="data.events")
    ' `client_id` looks like the user_id; map it with `data.events.columns.user_id: client_id`.'
    """
    for adapter in matching_adapters(present):
        if table in adapter.tables:
            return (
                f" This looks like the {adapter.vendor}: set `{key}.format: {adapter.format}` "
                "and the adapter reads it."
            )
        gives = ", ".join(f"`{t}`" for t in adapter.tables)
        return (
            f" This looks like the {adapter.vendor} (`format: {adapter.format}`), which gives "
            f"{gives}, not `{table}`: is `{key}.path` the right file?"
        )
    vendor = []
    for name in present:
        for adapter in ADAPTERS.values():
            text = (adapter.hints.get(name) or adapter.hints.get(name.strip()) or "").strip()
            if not text:
                continue
            named = f"columns.{column}`" in text  # the hint maps it to the missing column
            exact = f"; for this file: `{key}.columns.{column}: {name}`" if named else ""
            verb = text.split(" ", 1)[0] in ("looks", "is", "are", "holds", "seems", "may")
            vendor.append((f"`{name}`{' ' if verb else ': '}{text.rstrip('.')}{exact}", named))
    vendor.sort(key=lambda hint: not hint[1])  # the hints naming the missing column first
    if vendor:
        return f" {'; '.join(dict.fromkeys(h for h, _ in vendor[:3]))}."
    keys = {column_key(name): name for name in present}
    synonym = next((keys[s] for s in COLUMN_SYNONYMS.get(column, ()) if s in keys), None)
    if synonym is None:
        return ""
    return f" `{synonym}` looks like the {column}; map it with `{key}.columns.{column}: {synonym}`."


def one_column_hint(present: list[str], key: str) -> str:
    """When a whole header line was read as one column name, say which delimiter splits it."""
    if len(present) != 1:
        return ""
    header = present[0].strip()
    found = next((d for d in (";", "\t", "|", ",") if d in header), None)
    if found is None and len(header.split()) > 1:
        return (
            " The header was read as one column: if fields are separated by spaces, set "
            f"`{key}.delimiter: whitespace`."
        )
    if found is None:
        return ""
    return f" The header was read as one column: set `{key}.delimiter: {found!r}`."
