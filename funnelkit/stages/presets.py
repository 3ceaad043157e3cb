"""Business-type presets: the default events, sources and key metric of each journey stage.

A stage left out of ``client.yaml`` (or a field of it left out) takes its value from the
preset of the client's ``business_type``. Event patterns use common GA4-style names; a
pattern that matches no event of a client is simply unused (see
:func:`funnelkit.stages.coverage`). Within one business type no two stages share an event name
(tested), so a preset never makes an event ambiguous.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..core.errors import ParameterError

__all__ = [
    "BUSINESS_TYPES",
    "PRESETS",
    "STAGES",
    "STAGE_NAMES_RU",
    "StagePreset",
    "check_stage",
    "get_preset",
    "stage_name",
]

#: The journey stages, in order.
STAGES = ("awareness", "consideration", "purchase", "retention", "advocacy")

#: Stage names in Russian, for a Russian-language report (English uses the ids themselves).
STAGE_NAMES_RU = {
    "awareness": "осведомлённость",
    "consideration": "рассмотрение",
    "purchase": "покупка",
    "retention": "удержание",
    "advocacy": "рекомендации",
}


def stage_name(stage: str, language: str = "en") -> str:
    """A stage as the report's reader calls it.

    Examples
    --------
    >>> stage_name("purchase"), stage_name("purchase", "ru")
    ('purchase', 'покупка')
    """
    return STAGE_NAMES_RU.get(stage, stage) if language == "ru" else stage


@dataclass(frozen=True)
class StagePreset:
    """The defaults of one stage for one business type.

    Attributes
    ----------
    events : tuple of str
        Event names, glob patterns (``refer*``) or ``re:`` regexes.
    sources : tuple of str
        Tables other than events that put people in the stage (``orders``, ``leads``, ``nps``).
    key_metric : str
        Id of the stage's key metric in the metric catalogue.
    reason : dict
        ``{"en": …, "ru": …}``: why this metric for this stage of this business.
    """

    events: tuple[str, ...]
    sources: tuple[str, ...]
    key_metric: str
    reason: dict[str, str]


_ARRIVAL = ("session_start", "first_visit", "page_view")
#: Signs of interest every business shares; ``email_click`` is a recipient's e-mail click, which
#: the loader adds to the events (:mod:`funnelkit.data.engagement`).
_BROWSE = ("view_item", "view_item_list", "search", "email_click")
_ADVOCACY = ("share", "write_review", "refer*")

_VISITORS = {
    "en": "Awareness is measured by how many people reach the site: the number of visitors.",
    "ru": "Осведомлённость измеряется числом людей, дошедших до сайта: количеством посетителей.",
}
_NPS = {
    "en": "Advocacy is how many customers would recommend you: the Net Promoter Score.",
    "ru": "Лояльность — это готовность клиентов рекомендовать вас: индекс NPS.",
}


def _stage(
    events: tuple[str, ...], sources: tuple[str, ...], key: str, en: str, ru: str
) -> StagePreset:
    return StagePreset(events, sources, key, {"en": en, "ru": ru})


PRESETS: dict[str, dict[str, StagePreset]] = {
    "ecommerce": {
        "awareness": StagePreset(_ARRIVAL, (), "visitors", _VISITORS),
        "consideration": _stage(
            (
                *_BROWSE,
                "view_cart",
                "add_to_wishlist",
                "select_item",
                "select_promotion",
                "add_to_cart",
                "generate_lead",
                "sign_up",
                "newsletter_signup",
            ),
            (),
            "engagement_rate",
            "A shop's visitors show intent before buying by engaging: viewing products, "
            "searching, filling the cart; the engagement rate measures that.",
            "Посетители магазина проявляют намерение купить, вовлекаясь: смотрят товары, ищут, "
            "кладут в корзину; это измеряет доля вовлечённых сессий.",
        ),
        "purchase": _stage(
            ("begin_checkout", "add_shipping_info", "add_payment_info", "purchase"),
            ("orders",),
            "conversion_rate",
            "A shop sells products online, so the purchase stage is the share of visitors who "
            "buy: the conversion rate.",
            "Магазин продаёт товары онлайн, поэтому этап покупки — это доля посетителей, "
            "совершивших покупку: конверсия.",
        ),
        "retention": _stage(
            ("login", "repeat_purchase"),
            ("orders",),
            "repeat_purchase_rate",
            "A shop keeps customers when they buy again: the repeat purchase rate.",
            "Магазин удерживает клиентов, когда они покупают снова: доля повторных покупок.",
        ),
        "advocacy": StagePreset(_ADVOCACY, ("nps",), "nps", _NPS),
    },
    "saas": {
        "awareness": StagePreset(_ARRIVAL, (), "visitors", _VISITORS),
        "consideration": _stage(
            (*_BROWSE, "view_pricing", "generate_lead", "sign_up", "start_trial", "request_demo"),
            ("leads",),
            "visitor_to_lead",
            "A software product shows intent through sign-ups, trials and demo requests: the "
            "share of visitors who become leads.",
            "Интерес к программному продукту виден по регистрациям, пробным периодам и "
            "запросам демо: доля посетителей, ставших лидами.",
        ),
        "purchase": _stage(
            ("begin_checkout", "add_payment_info", "purchase", "subscribe"),
            ("orders", "leads"),
            "conversion_rate",
            "A software product sells licences or subscriptions: the share of visitors who buy "
            "one, the conversion rate.",
            "Программный продукт продаёт лицензии или подписки: доля посетителей, купивших их, "
            "то есть конверсия.",
        ),
        "retention": _stage(
            ("login", "renew*", "subscription_renew*"),
            ("orders",),
            "retention_rate",
            "A subscription business lives on renewals: the share of customers who stay, the "
            "retention rate.",
            "Подписочный бизнес живёт продлениями: доля оставшихся клиентов, коэффициент "
            "удержания.",
        ),
        "advocacy": StagePreset((*_ADVOCACY, "invite*"), ("nps",), "nps", _NPS),
    },
    "b2b": {
        "awareness": StagePreset(_ARRIVAL, (), "visitors", _VISITORS),
        "consideration": _stage(
            (
                *_BROWSE,
                "file_download",
                "generate_lead",
                "sign_up",
                "request_demo",
                "request_quote",
            ),
            ("leads",),
            "mql_to_sql",
            "In B2B, intent is a marketing lead that sales accepts: the MQL-to-SQL rate.",
            "В B2B намерение — это маркетинговый лид, принятый отделом продаж: конверсия "
            "MQL в SQL.",
        ),
        "purchase": _stage(
            ("purchase", "deal_won", "close_*"),
            ("leads", "orders"),
            "win_rate",
            "In B2B the sale is a won deal: the share of qualified deals won, the win rate.",
            "В B2B продажа — это выигранная сделка: доля выигранных квалифицированных сделок.",
        ),
        "retention": _stage(
            ("login", "renew*", "contract_renew*"),
            ("orders",),
            "retention_rate",
            "A B2B client is kept when the contract is renewed: the retention rate.",
            "Клиент B2B удержан, когда продлевает договор: коэффициент удержания.",
        ),
        "advocacy": StagePreset(_ADVOCACY, ("nps",), "nps", _NPS),
    },
    "abm": {
        "awareness": _stage(
            _ARRIVAL,
            (),
            "target_account_coverage",
            "Account-based marketing starts from a list of target companies: awareness is the "
            "share of them in which you know at least one person.",
            "Маркетинг, ориентированный на аккаунты, начинается со списка целевых компаний: "
            "осведомлённость — это доля тех, в которых вы знаете хотя бы одного человека.",
        ),
        "consideration": _stage(
            (
                *_BROWSE,
                "file_download",
                "webinar*",
                "email_*",
                "generate_lead",
                "request_demo",
                "request_quote",
            ),
            ("leads",),
            "engaged_target_accounts",
            "A target company considers you when its people engage: e-mail opens and clicks, "
            "site visits, demo requests; the share of target accounts that engaged measures it.",
            "Целевая компания рассматривает вас, когда её сотрудники вовлекаются: открывают и "
            "кликают письма, заходят на сайт, запрашивают демо; это измеряет доля вовлечённых "
            "целевых аккаунтов.",
        ),
        "purchase": _stage(
            ("purchase", "deal_won", "close_*"),
            ("leads", "orders"),
            "account_win_rate",
            "In account-based marketing the sale is a company won: the share of accounts with "
            "an opportunity that won a deal.",
            "В маркетинге, ориентированном на аккаунты, продажа — это выигранная компания: доля "
            "аккаунтов с возможностью сделки, которые заключили сделку.",
        ),
        "retention": _stage(
            ("login", "renew*", "contract_renew*"),
            ("orders",),
            "account_retention",
            "Keeping a company costs less than winning a new one: the share of last period's "
            "customer accounts that bought again, the account retention.",
            "Удержать компанию дешевле, чем привлечь новую: доля аккаунтов-клиентов прошлого "
            "периода, купивших снова, — удержание аккаунтов.",
        ),
        "advocacy": StagePreset(_ADVOCACY, ("nps",), "nps", _NPS),
    },
    "services": {
        "awareness": StagePreset(_ARRIVAL, (), "visitors", _VISITORS),
        "consideration": _stage(
            (*_BROWSE, "generate_lead", "sign_up", "contact*", "request_quote"),
            ("leads",),
            "visitor_to_lead",
            "A service is bought after a request or a call: the share of visitors who become "
            "leads.",
            "Услугу покупают после заявки или звонка: доля посетителей, ставших лидами.",
        ),
        "purchase": _stage(
            ("begin_checkout", "add_payment_info", "purchase", "book_appointment"),
            ("orders", "leads"),
            "conversion_rate",
            "A service is sold when it is booked or paid: the conversion rate.",
            "Услуга продана, когда её забронировали или оплатили: конверсия.",
        ),
        "retention": _stage(
            ("login", "repeat_booking", "rebook*"),
            ("orders",),
            "repeat_purchase_rate",
            "A service keeps clients when they come back: the repeat purchase rate.",
            "Сервис удерживает клиентов, когда они возвращаются: доля повторных покупок.",
        ),
        "advocacy": StagePreset(_ADVOCACY, ("nps",), "nps", _NPS),
    },
}

#: The business types a preset exists for (``business_type`` in ``client.yaml``).
BUSINESS_TYPES = tuple(PRESETS)


def get_preset(business_type: str) -> dict[str, StagePreset]:
    """The stage presets of one business type, stage name -> :class:`StagePreset`.

    Parameters
    ----------
    business_type : str
        One of :data:`BUSINESS_TYPES`.

    Returns
    -------
    dict of str to StagePreset
        The five stages in journey order.

    Raises
    ------
    ParameterError
        For an unknown business type, listing the valid ones.

    Examples
    --------
    >>> preset = get_preset("b2b")
    >>> [p.key_metric for p in preset.values()]
    ['visitors', 'mql_to_sql', 'win_rate', 'retention_rate', 'nps']
    >>> preset["purchase"].sources
    ('leads', 'orders')
    """
    try:
        return PRESETS[business_type]
    except KeyError:
        raise ParameterError(
            f"The value for `business_type` must be one of {list(BUSINESS_TYPES)}, but "
            f"{business_type!r} was passed."
        ) from None


def check_stage(stage: str) -> str:
    """Return ``stage`` if it is a journey stage, else raise listing the five.

    Examples
    --------
    >>> check_stage("purchase")
    'purchase'
    """
    if stage not in STAGES:
        raise ParameterError(
            f"The value for `stage` must be one of {list(STAGES)}, but {stage!r} was passed."
        )
    return stage
