"""Social networks' exports read as the canonical ``social`` table.

``format: meta_posts``
    Meta Business Suite post export (Insights → Content → Export data; Meta Business Help
    Center "Export insights from Meta Business Suite"), one row per post, in two shapes:

    - the Facebook Page posts CSV — ``Post ID``, ``Page ID``, ``Page name``, ``Title``,
      ``Description``, ``Duration (sec)``, ``Publish time``, ``Permalink``, ``Post type``,
      ``Views`` (before 2025: ``Impressions``), ``Reach``, ``Reactions, Comments and Shares``,
      ``Reactions``, ``Comments``, ``Shares``, ``Total clicks`` …;
    - the Instagram posts CSV — ``Post ID``, ``Account ID``, ``Account username``, ``Account
      name``, ``Description``, ``Duration (sec)``, ``Publish time``, ``Permalink``, ``Post
      type``, ``Data comment``, ``Date`` (``Lifetime``: not a day), ``Views``, ``Reach``,
      ``Likes``, ``Shares``, ``Follows``, ``Comments``, ``Saves``.

    ``Publish time`` is written ``MM/DD/YYYY HH:MM`` (``03/27/2026 06:08``), counts may carry
    thousands commas (``"12,400"``). ``network`` is ``facebook`` when the header has ``Page ID``
    or ``Page name``, ``instagram`` when it has ``Account ID`` or ``Account username``
    (``columns: {network: <column>}`` reads it from a column instead). ``likes`` ←
    ``Reactions`` (Facebook) or ``Likes`` (Instagram); ``impressions`` ← ``Views`` (else
    ``Impressions``); ``clicks`` ← ``Total clicks`` (else ``Link clicks``); ``follows`` ←
    ``Follows``. The combined ``Reactions, Comments and Shares`` is never read (the kit sums
    the parts). Verified against public parsers of real exports (see docs/adapters/social.md);
    the Russian interface's names are **not verified**.
``format: vk_stats``
    VK community statistics export (Управление → Статистика → «Выгрузить статистику», XLSX or
    CSV), one row per day: ``Дата``, ``Полный охват`` / ``Охват``, ``Охват подписчиков``,
    ``Просмотры записей``, ``Мне нравится`` / ``Лайки``, ``Комментарии``, ``Репосты`` /
    ``Рассказать друзьям``, ``Подписались`` / ``Новые участники``, ``Отписались`` /
    ``Вышедшие участники``, ``Переходы по ссылкам``. Rows have an empty ``post_id`` and
    ``network`` ``vk``. The first sheet is read (``sheet:`` picks another); the other blocks of
    the workbook (demography, cities, devices) are not. The names follow VK's statistics
    labels as public parsers of its statistics pages and the ``stats.get`` API read them
    ("Полный охват", "Охват подписчиков", "Мне нравится", "Рассказать друзьям", "Новые
    участники", "Вышедшие участники"); the export file's own header is **not verified**.

Dates are the day of the vendor's time as written (the account's time zone, which should be the
client's). Title lines above the header and totals lines ("Итого", "Total") are skipped with a
warning; rate and percent columns are never read.

Examples
--------
>>> from funnelkit.data.adapters import find_adapter
>>> find_adapter("vk_stats").tables["social"]["network"]
'`vk`'
"""

from __future__ import annotations

import functools

from . import Adapter, register
from .engagement_read import Report, build, register_report, tables

__all__ = ["META_POSTS", "VK_STATS"]

_FACEBOOK = ("Page ID", "Page name", "ID Страницы", "Название Страницы")
_INSTAGRAM = ("Account ID", "Account username", "ID аккаунта", "Имя пользователя аккаунта")


def _network(header: list[str]) -> dict[str, str]:
    """``facebook`` or ``instagram`` from the header's page or account columns."""
    names = {h.strip().casefold() for h in header}
    if any(n.casefold() in names for n in _INSTAGRAM):
        return {"network": "instagram"}
    return {"network": "facebook"}


_META = register_report(Report(
    "meta_posts", "Meta Business Suite post export",
    'Meta Business Help Center "Export insights from Meta Business Suite" '
    "(facebook.com/business/help, Insights → Content → Export data)",
    "social",
    {
        "date": ("Publish time", "Время публикации"),
        "network": (),
        "post_id": ("Post ID", "ID публикации"),
        "reach": ("Reach", "Охват"),
        "impressions": ("Views", "Impressions", "Просмотры", "Показы"),
        "likes": ("Reactions", "Likes", "Реакции", "Отметки «Нравится»"),
        "comments": ("Comments", "Комментарии"),
        "shares": ("Shares", "Репосты", "Поделились"),
        "clicks": ("Total clicks", "Link clicks", "Всего кликов", "Клики по ссылке"),
        "follows": ("Follows", "Подписки"),
    },
    required=("date", "post_id"),
    times=("%m/%d/%Y %H:%M", "%m/%d/%Y %H:%M:%S", "%m/%d/%Y", "%d.%m.%Y %H:%M", "%d.%m.%Y"),
    choose=_network,
    id_column="post_id",
))  # fmt: skip
_VK = register_report(Report(
    "vk_stats", "VK community statistics export",
    "VK community statistics (Управление сообществом → Статистика → Выгрузить статистику); "
    "the labels of VK's statistics pages and of the stats.get API (dev.vk.com/method/stats.get)",
    "social",
    {
        "date": ("Дата", "День", "Date"),
        "network": (),
        "reach": ("Полный охват", "Охват", "Охват (всего)", "Reach"),
        "impressions": ("Просмотры записей", "Показы записей", "Post views"),
        "likes": ("Мне нравится", "Лайки", "Нравится", "Likes"),
        "comments": ("Комментарии", "Comments"),
        "shares": ("Репосты", "Рассказать друзьям", "Поделились", "Shares"),
        "clicks": ("Переходы по ссылкам", "Клики по ссылкам", "Link clicks"),
        "follows": ("Подписались", "Новые участники", "Вступили", "New members"),
        "unfollows": ("Отписались", "Вышедшие участники", "Вышли", "Left"),
    },
    required=("date",),
    times=("%d.%m.%Y", "%Y-%m-%d", "%d.%m.%y", "%d/%m/%Y"),
    constants={"network": "vk"},
))  # fmt: skip

META_POSTS = register(Adapter(
    format="meta_posts", vendor=_META.vendor, schema=_META.schema,
    tables=tables(_META, network="`facebook` (a Page ID / Page name column) or `instagram` "
                                 "(Account ID / Account username), or `columns.network`"),
    suffixes=(".csv", ".xlsx"), build=functools.partial(build, _META),
    signature=frozenset({"Post ID", "Page ID", "Publish time", "Permalink"}),
    signatures=(
        frozenset({"Post ID", "Account ID", "Account username", "Publish time"}),
        frozenset({"ID публикации", "Время публикации", "Охват"}),  # not verified
    ),
    hints={
        "Post ID": "Meta Business Suite post id; read the export with `format: meta_posts` "
                   "(data.social)",
        "Publish time": "Meta Business Suite publish time; read the export with "
                        "`format: meta_posts` (data.social)",
    },
))  # fmt: skip
VK_STATS = register(Adapter(
    format="vk_stats", vendor=_VK.vendor, schema=_VK.schema, tables=tables(_VK),
    suffixes=(".csv", ".xlsx"), build=functools.partial(build, _VK),
    signature=frozenset({"Дата", "Охват подписчиков", "Подписались", "Отписались"}),
    signatures=(
        frozenset({"Дата", "Полный охват", "Охват подписчиков"}),
        frozenset({"Дата", "Охват", "Подписались", "Отписались"}),
    ),
    hints={
        "Охват подписчиков": "VK community statistics; read the export with "
                             "`format: vk_stats` (data.social)",
        "Отписались": "VK unsubscribed members; read the export with `format: vk_stats`",
    },
))  # fmt: skip
