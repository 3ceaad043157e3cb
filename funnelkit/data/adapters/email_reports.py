"""E-mail platforms' campaign reports read as the canonical ``email`` table (one row a campaign).

``format: mailchimp``
    Mailchimp campaign report export (Reports → Export as CSV; Mailchimp Help "Export campaign
    reports", mailchimp.com/help): ``Title``, ``Subject``, ``List``, ``Send Date``, ``Send
    Weekday``, ``Total Recipients``, ``Successful Deliveries``, ``Soft Bounces``, ``Hard
    Bounces``, ``Total Bounces``, ``Times Forwarded``, ``Forwarded Opens``, ``Unique Opens``,
    ``Open Rate``, ``Total Opens``, ``Unique Clicks``, ``Click Rate``, ``Total Clicks``,
    ``Unsubscribes``, ``Abuse Complaints`` … (the header line of public parsers' fixtures of
    real exports, see docs/adapters/email.md). ``Send Date`` is written ``Jun 09, 2018 09:30
    pm`` (the account's time zone). ``campaign`` ← ``Title`` (else ``Subject``), ``bounces`` ←
    ``Total Bounces`` (else ``Soft Bounces`` + ``Hard Bounces``).
``format: unisender``
    Unisender campaign statistics (Рассылки → Отчёты / Статистика → Экспорт), Russian
    interface: ``Название рассылки`` / ``Тема письма``, ``Дата отправки``, ``Отправлено``,
    ``Доставлено``, ``Не доставлено``, ``Прочитано`` / ``Открыли`` (unique), ``Всего
    открытий``, ``Переходы`` / ``Кликнули`` (unique), ``Всего переходов``, ``Отписались``;
    times ``DD.MM.YYYY HH:MM``, numbers ``1 234``. The counts are those of the API's
    ``getCampaignCommonStats`` ("statistics similar to Рассылки → Отчёты о рассылках";
    unisender.com/ru/support/api/statistics/get-campaign-common-stats/), whose field names —
    ``sent``, ``delivered``, ``read_unique``, ``read_all``, ``clicked_unique``, ``clicked_all``,
    ``unsubscribed`` — are read too (a table made from the API). **Not verified**: no public
    copy of the interface export's header was found; its names here are the interface's
    words, several spellings each.

Rates (``Open Rate``, ``Click Rate``, "% открытий") are never read: the kit recomputes them from
the counts. Title lines and totals lines ("Итого", "Total") are skipped with a warning.

Examples
--------
>>> from funnelkit.data.adapters import find_adapter
>>> find_adapter("mailchimp").tables["email"]["delivered"]
'Successful Deliveries'
"""

from __future__ import annotations

import functools

from . import Adapter, register
from .engagement_read import Report, build, register_report, tables

__all__ = ["MAILCHIMP", "UNISENDER"]

_MAILCHIMP = register_report(Report(
    "mailchimp", "Mailchimp campaign report",
    'Mailchimp Help "Export campaign reports" (Reports → Export as CSV), '
    "mailchimp.com/help/export-campaign-reports",
    "email",
    {
        "campaign": ("Title", "Subject"),
        "sent_at": ("Send Date",),
        "recipients": ("Total Recipients",),
        "delivered": ("Successful Deliveries",),
        "opens": ("Total Opens",),
        "unique_opens": ("Unique Opens",),
        "clicks": ("Total Clicks",),
        "unique_clicks": ("Unique Clicks",),
        "unsubscribes": ("Unsubscribes",),
        "bounces": ("Total Bounces",),
    },
    required=("campaign", "sent_at"),
    times=("%b %d, %Y %I:%M %p", "%b %d, %Y %H:%M", "%m/%d/%Y %H:%M", "%m/%d/%y %H:%M",
           "%b %d, %Y"),
    sums={"bounces": ("Soft Bounces", "Hard Bounces")},
    id_column="campaign", time_column="sent_at", date_only=False,
))  # fmt: skip
_UNISENDER = register_report(Report(
    "unisender", "Unisender campaign statistics",
    "Unisender help, campaign statistics and its export (unisender.com/ru/support); the "
    "column names are not verified against a real export",
    "email",
    {
        "campaign": ("Название рассылки", "Название", "Тема письма", "Тема", "Campaign name",
                     "Subject", "campaign_id"),
        "sent_at": ("Дата отправки", "Дата", "Отправлена", "Sending date", "Date sent",
                    "start_time"),
        "recipients": ("Отправлено", "Получателей", "Всего писем", "Sent", "total"),
        "delivered": ("Доставлено", "Delivered"),
        "opens": ("Всего открытий", "Открытия", "Total opens", "read_all"),
        "unique_opens": ("Прочитано", "Открыли", "Открыто", "Уникальные открытия", "Opened",
                         "read_unique"),
        "clicks": ("Всего переходов", "Всего кликов", "Total clicks", "clicked_all"),
        "unique_clicks": ("Переходы", "Кликнули", "Перешли", "Уникальные клики", "Clicked",
                          "clicked_unique"),
        "unsubscribes": ("Отписались", "Отписки", "Unsubscribed", "unsubscribed"),
        "bounces": ("Не доставлено", "Недоставлено", "Ошибки доставки", "Undelivered"),
    },
    required=("campaign", "sent_at"),
    times=("%d.%m.%Y %H:%M:%S", "%d.%m.%Y %H:%M", "%d.%m.%Y", "%Y-%m-%d %H:%M"),
    id_column="campaign", time_column="sent_at", date_only=False,
))  # fmt: skip

MAILCHIMP = register(Adapter(
    format="mailchimp", vendor=_MAILCHIMP.vendor, schema=_MAILCHIMP.schema,
    tables=tables(_MAILCHIMP), suffixes=(".csv", ".xlsx"),
    build=functools.partial(build, _MAILCHIMP),
    signature=frozenset({"Title", "Send Date", "Successful Deliveries", "Unique Opens"}),
    signatures=(frozenset({"Subject", "Send Date", "Total Recipients", "Unique Opens"}),),
    hints={
        "Successful Deliveries": "Mailchimp campaign report; read it with `format: mailchimp` "
                                 "(data.email)",
        "Unique Opens": "Mailchimp campaign report; read it with `format: mailchimp`",
    },
))  # fmt: skip
UNISENDER = register(Adapter(
    format="unisender", vendor=_UNISENDER.vendor, schema=_UNISENDER.schema,
    tables=tables(_UNISENDER), suffixes=(".csv", ".xlsx", ".xls"),
    build=functools.partial(build, _UNISENDER),
    signature=frozenset({"Дата отправки", "Отправлено", "Доставлено", "Отписались"}),
    signatures=(
        frozenset({"Дата отправки", "Доставлено", "Прочитано", "Переходы"}),
        frozenset({"Sending date", "Sent", "Delivered", "Unsubscribed"}),  # not verified
        frozenset({"sent", "delivered", "read_unique", "clicked_unique"}),  # the API's fields
    ),
    hints={
        "Доставлено": "delivered e-mails; a Unisender report reads with `format: unisender` "
                      "(data.email)",
    },
))  # fmt: skip
