"""The three ad platforms' report columns, in every spelling the adapters of :mod:`.ads` read.

Column names follow the vendors' documents named in :mod:`funnelkit.data.adapters.ads` (Google
Ads Help "Download your reports" and the Google Ads API report fields; Meta Business Help
Center "Export your ad reports from Ads Manager"; Yandex Direct API v5 Reports "Формат отчёта"
and "Поля отчётов"), in the English and the Russian interface. Checked against public material
(docs/adapters/ads.md lists it): Google Ads English headers and API field names, Meta's English
and Russian headers, Yandex Direct's API TSV and "Мастер отчётов" headers; Google Ads' Russian
interface names are not verified (no public example found).

Examples
--------
>>> PLATFORMS["google_ads"].score(["Day", "Campaign", "Cost", "Impr."])
4
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

__all__ = ["PLATFORMS", "RUSSIAN_SIGNATURES", "WORD_CURRENCIES", "Platform", "other_platform"]

#: The currency a Russian cost header names in words ("Расход (руб.)").
WORD_CURRENCIES = {
    "руб.": "RUB", "руб": "RUB", "₽": "RUB", "тенге": "KZT", "тг": "KZT", "тг.": "KZT",
    "бел. руб.": "BYN", "грн.": "UAH", "грн": "UAH", "сум": "UZS", "у.е.": "у.е.",
}  # fmt: skip


@dataclass(frozen=True)
class Platform:
    """One ad platform's report: its column names (every spelling) per canonical column."""

    format: str
    vendor: str
    schema: str
    names: dict[str, tuple[str, ...]]  #: canonical column -> the platform's names, preferred first
    micros: tuple[str, ...] = ()  #: cost columns in millionths
    currency: tuple[str, ...] = ()  #: currency-code columns
    #: Cost headers carrying the currency: "Amount spent (EUR)" -> group 1 is the currency.
    cost_pattern: str | None = None
    period: tuple[tuple[str, ...], tuple[str, ...]] | None = None  #: (starts, ends) columns
    hints: dict[str, str] = field(default_factory=dict)
    #: Column names that together identify the export (``funnelkit new --from``).
    signature: frozenset[str] = frozenset()

    def known(self) -> set[str]:
        every = [*self.micros, *self.currency, *(n for v in self.names.values() for n in v)]
        if self.period:
            every += [*self.period[0], *self.period[1]]
        return {n.casefold() for n in every}

    def score(self, cells: list[str]) -> int:
        """How many of ``cells`` are this platform's column names (finds the header line)."""
        known = self.known()
        pattern = re.compile(self.cost_pattern, re.IGNORECASE) if self.cost_pattern else None
        return sum(1 for c in cells if c.casefold() in known or (pattern and pattern.fullmatch(c)))


GOOGLE = Platform(
    "google_ads",
    "Google Ads campaign report",
    'Google Ads Help "Download your reports" (support.google.com/google-ads/answer/2454022); '
    'Google Ads API "Report fields" for the API field names',
    {
        "date": ("Day", "День", "segments.date", "Date", "Дата"),
        "campaign": ("Campaign", "Кампания", "campaign.name"),
        "cost": ("Cost", "Стоимость", "Расходы"),
        "impressions": ("Impr.", "Impressions", "Показы", "metrics.impressions"),
        "clicks": ("Clicks", "Клики", "metrics.clicks"),
    },
    micros=("metrics.cost_micros",),
    currency=("Currency code", "Currency", "Код валюты", "Валюта", "customer.currency_code"),
    signature=frozenset({"Day", "Campaign", "Currency code", "Cost", "Impr."}),
    hints={
        "Impr.": "Google Ads impressions; read the file with `format: google_ads`",
        "Currency code": "Google Ads currency; read the file with `format: google_ads`",
        "metrics.cost_micros": "Google Ads API cost in millionths; read the file with "
        "`format: google_ads`",
    },
)
#: Ads Manager's reporting period. "Дата начала отчетности", "Дата окончания отчетности" and
#: "Окончание отчетности" are the Russian headers seen in public parsers of real exports.
_META_STARTS = ("Reporting starts", "Начало отчетности", "Начало отчётности",
                "Дата начала отчетности", "Дата начала отчётности")  # fmt: skip
_META_ENDS = ("Reporting ends", "Конец отчетности", "Конец отчётности",
              "Дата окончания отчетности", "Дата окончания отчётности",
              "Окончание отчетности", "Окончание отчётности")  # fmt: skip
META = Platform(
    "meta_ads",
    "Meta Ads Manager export",
    'Meta Business Help Center "Export your ad reports from Ads Manager" '
    "(facebook.com/business/help/1695754927158071)",
    {
        "date": ("Day", "День"),
        "campaign": ("Campaign name", "Название кампании"),
        "cost": ("Amount spent", "Потраченная сумма", "Сумма затрат"),
        "impressions": ("Impressions", "Показы"),
        "clicks": ("Link clicks", "Клики по ссылке", "Clicks (all)", "Клики (все)"),
    },
    currency=("Currency", "Валюта"),
    #: "Сумма затрат (USD)": the other Russian spend header seen in public exports' parsers.
    cost_pattern=r"(?:Amount spent|Потраченная сумма|Сумма затрат)\s*\(([^)]+)\)",
    period=(_META_STARTS, _META_ENDS),
    signature=frozenset({"Reporting starts", "Reporting ends", "Campaign name", "Impressions"}),
    hints={
        "Amount spent (EUR)": "Meta Ads spend; read the file with `format: meta_ads`",
        "Reporting starts": "Meta Ads Manager export; read the file with `format: meta_ads`",
        "Потраченная сумма (RUB)": "Meta Ads spend; read the file with `format: meta_ads`",
    },
)
YANDEX = Platform(
    "yandex_direct",
    "Yandex Direct report",
    'Yandex Direct API v5 Reports "Формат отчёта" and "Поля отчётов" '
    '(yandex.ru/dev/direct/doc/reports/); Direct "Мастер отчётов" downloads',
    {
        "date": ("Date", "Дата", "День"),
        "campaign": ("CampaignName", "Кампания", "Название кампании"),
        "cost": ("Cost", "Расход"),
        "impressions": ("Impressions", "Показы"),
        "clicks": ("Clicks", "Клики"),
    },
    currency=("Currency", "Валюта"),
    cost_pattern=r"(?:Расход|Cost)\s*\(([^)]+)\)(?:,?\s*(?:с НДС|без НДС|incl\. VAT))?",
    signature=frozenset({"Date", "CampaignName", "Cost", "Impressions", "Clicks"}),
    hints={
        "CampaignName": "Yandex Direct campaign; read the file with `format: yandex_direct`",
        "Расход (руб.)": "Yandex Direct spend; read the file with `format: yandex_direct`",
    },
)
PLATFORMS = {p.format: p for p in (GOOGLE, META, YANDEX)}


def other_platform(cells: list[str], platform: Platform) -> str | None:
    """The other ad platform whose report this header is ("a Meta Ads Manager export (`…`)")."""
    own = platform.score(cells)
    best = max(PLATFORMS.values(), key=lambda p: p.score(cells))
    if best is platform or best.score(cells) <= max(own, 2):
        return None
    return f"a {best.vendor} (`{best.format}`)"


#: The reports' headers in the platforms' Russian interfaces (``funnelkit new --from``).
RUSSIAN_SIGNATURES = {
    "google_ads": (frozenset({"День", "Кампания", "Стоимость", "Показы"}),),
    "meta_ads": (  # the first two as public Russian exports have them (docs/adapters/ads.md)
        frozenset(
            {"Дата начала отчетности", "Окончание отчетности", "Название кампании", "Показы"}
        ),
        frozenset({"Дата начала отчетности", "Дата окончания отчетности", "Название кампании"}),
        frozenset({"Начало отчетности", "Конец отчетности", "Название кампании", "Показы"}),
    ),
    "yandex_direct": (frozenset({"Дата", "Кампания", "Показы", "Клики"}),),
}
