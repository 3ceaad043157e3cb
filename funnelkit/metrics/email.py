"""E-mail campaign metrics: delivery, open, click, click-to-open, unsubscribe and bounce rates.

Rows count in the window of their ``sent_at``; a campaign's rows are summed (a campaign is its
``campaign`` value, dated by its first ``sent_at`` in the window). Rows may be one per campaign
(its counts) or one per recipient (``user_id`` set, each count 0 or 1); both give the same
rates. Two counts are filled in when the export lacks them, by one rule for every metric
(:func:`campaign_counts_sql`):

- ``recipients`` absent (or empty on a recipient's row): 1 per recipient's row (``user_id``
  set); on campaign rows it stays unknown;
- ``delivered`` absent (or empty): ``recipients − bounces`` when ``bounces`` exists (an empty
  bounce cell counts 0), else ``recipients``.

Every rate is a proportion of people (unique opens and clicks, not repeats) with a Wilson 95%
interval (= R ``prop.test(x, n, correct = FALSE)$conf.int``). A campaign whose numerator is
above its denominator (a click without a recorded open: mail apps that block images) is left out
of that rate, with a note; a denominator of 0 gives a missing value and a note.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ..core.errors import ParameterError
from ..core.stats import wilson
from ..core.stats.trend import proportion_trend_test
from ..data.validate import q
from .base import Metric, Window, check_group, proportion_frame

if TYPE_CHECKING:
    from ..data.loader import Client

__all__ = [
    "COUNTS",
    "METRICS",
    "RATES",
    "TREND_NOTES",
    "EmailMetric",
    "campaign_counts",
    "campaign_counts_sql",
    "email_bounce_rate",
    "email_campaigns",
    "email_click_rate",
    "email_click_to_open_rate",
    "email_delivery_rate",
    "email_open_rate",
    "email_trend",
    "email_unsubscribe_rate",
    "left_out_note",
]

EMAIL_GROUPS = ("campaign",)

#: The per-campaign counts, in the order :func:`email_campaigns` shows them.
COUNTS = ("recipients", "delivered", "unique_opens", "unique_clicks", "unsubscribes", "bounces")

#: rate -> (numerator count, denominator count, note when the denominator is 0).
RATES: dict[str, tuple[str, str, str]] = {
    "delivery_rate": ("delivered", "recipients", "no recipients in the period"),
    "open_rate": ("unique_opens", "delivered", "no delivered e-mails in the period"),
    "click_rate": ("unique_clicks", "delivered", "no delivered e-mails in the period"),
    "click_to_open_rate": ("unique_clicks", "unique_opens", "no opened e-mails in the period"),
    "unsubscribe_rate": ("unsubscribes", "delivered", "no delivered e-mails in the period"),
    "bounce_rate": ("bounces", "recipients", "no recipients in the period"),
}

#: Why :func:`email_trend` has no test (fixed texts, so a chapter can translate them).
TREND_NOTES = {
    "few": "fewer than 3 campaigns with this rate: no trend test",
    "constant": "the rate is 0 in every campaign, or 1 in every one: no trend test",
}

TREND_COLUMNS = ["rate", "campaigns", "first", "last", "slope_per_campaign", "statistic",
                 "p_value", "direction", "note"]  # fmt: skip


@dataclass(frozen=True)
class EmailMetric(Metric):
    """A catalogue entry whose ``recipients`` / ``delivered`` may be derived from other columns.

    ``derivable`` holds ``(column, alternatives)`` pairs: the column listed in ``needs`` is not
    missing when the client has every alternative column (e.g. ``recipients`` from ``user_id``).
    """

    derivable: tuple[tuple[str, tuple[str, ...]], ...] = ()

    def missing(self, client: Client) -> list[str]:
        """What the client lacks, as :meth:`Metric.missing`, less the columns it can derive."""
        lacking = super().missing(client)
        for column, instead in self.derivable:
            if f"email.{column}" in lacking and client.has("email", *instead):
                lacking.remove(f"email.{column}")
        return lacking


def _count_sql(client: Client, column: str) -> str:
    has = client.has("email", column)
    if column == "recipients":
        one = "CASE WHEN user_id IS NOT NULL THEN 1 END" if client.has("email", "user_id") else ""
        if has and one:
            return f"COALESCE(recipients, {one})"
        return "recipients" if has else (one or "CAST(NULL AS BIGINT)")
    if column == "delivered":
        recipients = _count_sql(client, "recipients")
        bounced = client.has("email", "bounces")
        fallback = f"({recipients}) - COALESCE(bounces, 0)" if bounced else recipients
        return f"COALESCE(delivered, {fallback})" if has else fallback
    return q(column) if has else "CAST(NULL AS BIGINT)"


def campaign_counts_sql(client: Client, window: Window) -> str:
    """SQL: one row per campaign sent in the window, with ``campaign, sent_at`` and :data:`COUNTS`.

    The one place the module's rules for absent ``recipients`` and ``delivered`` are applied; an
    absent count is NULL.
    """
    sums = ", ".join(f"sum({_count_sql(client, c)}) AS {c}" for c in COUNTS)
    return (
        f"SELECT campaign, min(sent_at) AS sent_at, {sums} FROM email "
        f"WHERE {window.sql('sent_at')} GROUP BY campaign"
    )


def campaign_counts(client: Client, window: Window) -> pd.DataFrame:
    """The counts of :func:`campaign_counts_sql` in send order (float columns; NaN if absent)."""
    frame = client.sql(f"{campaign_counts_sql(client, window)} ORDER BY sent_at, campaign")
    for column in COUNTS:
        frame[column] = frame[column].astype(float)
    return frame


def _usable(frame: pd.DataFrame, num: str, den: str) -> pd.Series:
    """Campaigns whose rate can be computed: both counts known and numerator <= denominator."""
    return frame[num].notna() & frame[den].notna() & (frame[num] <= frame[den])


def _above(frame: pd.DataFrame, num: str, den: str) -> pd.Series:
    return frame[num].notna() & frame[den].notna() & (frame[num] > frame[den])


def left_out_note(num: str, den: str) -> str:
    """The note of a rate whose campaigns with more ``num`` than ``den`` were left out.

    Examples
    --------
    >>> left_out_note("unique_clicks", "unique_opens")
    'campaigns with more unique clicks than unique opens left out'
    """
    return f"campaigns with more {num.replace('_', ' ')} than {den.replace('_', ' ')} left out"


def _rate(metric: str, rate: str, client: Client, window: Window, by: str | None) -> pd.DataFrame:
    check_group(metric, by, EMAIL_GROUPS)
    num, den, zero = RATES[rate]
    campaigns = campaign_counts(client, window)
    above = _above(campaigns, num, den)
    if by:
        counts = pd.DataFrame({"campaign": campaigns["campaign"].astype(object),
                               "numerator": campaigns[num].where(~above),
                               "denominator": campaigns[den].where(~above)})  # fmt: skip
        rows = proportion_frame(metric, counts, by="campaign", zero=zero)
        rows.loc[above.to_numpy(), "note"] = left_out_note(num, den)
        return rows
    usable = _usable(campaigns, num, den)
    counts = pd.DataFrame({"numerator": [campaigns.loc[usable, num].sum()],
                           "denominator": [campaigns.loc[usable, den].sum()]})  # fmt: skip
    rows = proportion_frame(metric, counts, zero=zero)
    if above.any():
        note = left_out_note(num, den)
        rows["note"] = "; ".join(n for n in (rows.loc[0, "note"], note) if n)
    return rows


def email_delivery_rate(client: Client, window: Window, by: str | None = None) -> pd.DataFrame:
    """Delivered / recipients, Wilson 95% CI.

    Examples
    --------
    >>> import duckdb
    >>> from types import SimpleNamespace
    >>> from datetime import datetime
    >>> con = duckdb.connect()
    >>> _ = con.execute("CREATE TABLE email AS SELECT * FROM (VALUES ('a', TIMESTAMP "
    ...                 "'2026-10-02 09:00', 100, 95)) t(campaign, sent_at, recipients, delivered)")
    >>> client = SimpleNamespace(sql=lambda s: con.sql(s).df(),
    ...                          has=lambda t, *c: set(c) <= set(con.table(t).columns))
    >>> w = Window(datetime(2026, 10, 1), datetime(2026, 11, 1))
    >>> email_delivery_rate(client, w)[["value", "ci_low", "ci_high"]].round(4)
       value  ci_low  ci_high
    0   0.95  0.8882   0.9785
    """
    return _rate("email_delivery_rate", "delivery_rate", client, window, by)


def email_open_rate(client: Client, window: Window, by: str | None = None) -> pd.DataFrame:
    """Unique opens / delivered, Wilson 95% CI."""
    return _rate("email_open_rate", "open_rate", client, window, by)


def email_click_rate(client: Client, window: Window, by: str | None = None) -> pd.DataFrame:
    """Unique clicks / delivered (the click-through rate), Wilson 95% CI."""
    return _rate("email_click_rate", "click_rate", client, window, by)


def email_click_to_open_rate(client: Client, window: Window, by: str | None = None) -> pd.DataFrame:
    """Unique clicks / unique opens, Wilson 95% CI (campaigns with more clicks than opens out)."""
    return _rate("email_click_to_open_rate", "click_to_open_rate", client, window, by)


def email_unsubscribe_rate(client: Client, window: Window, by: str | None = None) -> pd.DataFrame:
    """Unsubscribes / delivered, Wilson 95% CI."""
    return _rate("email_unsubscribe_rate", "unsubscribe_rate", client, window, by)


def email_bounce_rate(client: Client, window: Window, by: str | None = None) -> pd.DataFrame:
    """Bounces / recipients, Wilson 95% CI."""
    return _rate("email_bounce_rate", "bounce_rate", client, window, by)


def email_campaigns(client: Client, window: Window) -> pd.DataFrame:
    """One row per campaign sent in the window, in send order, with its counts and six rates.

    Returns
    -------
    pandas.DataFrame
        ``campaign, sent_at`` (its first send in the window), :data:`COUNTS`, then for each rate
        of :data:`RATES` the value, ``<rate>_low`` and ``<rate>_high`` (Wilson 95%). A count
        whose column is absent, a rate with a 0 denominator or with more numerator than
        denominator (a click without an open) is NaN.

    Examples
    --------
    >>> from funnelkit import load_client
    >>> from funnelkit.metrics.base import window
    >>> client = load_client(emit_warnings=False)
    >>> campaigns = email_campaigns(client, window(client))
    >>> campaigns[["campaign", "recipients", "open_rate"]].head(2).round(4)
                campaign  recipients  open_rate
    0  Newsletter 15 Sep     18546.0     0.4100
    1  Newsletter 22 Sep     18639.0     0.4084
    """
    frame = campaign_counts(client, window)
    for rate, (num, den, _) in RATES.items():
        ok = _usable(frame, num, den) & (frame[den] > 0)
        x, n = frame[num].where(ok), frame[den].where(ok)
        frame[rate] = x / n
        frame[f"{rate}_low"], frame[f"{rate}_high"] = wilson(x.fillna(0).to_numpy(),
                                                             n.fillna(0).to_numpy())  # fmt: skip
    return frame.reset_index(drop=True)


def email_trend(client: Client, window: Window, *, rate: str = "open_rate") -> pd.DataFrame:
    """Whether a rate rises or falls from campaign to campaign: Cochran–Armitage trend test.

    The campaigns in send order get scores 1..k (those whose rate is missing are left out);
    the test is R ``prop.trend.test(x, n)`` (:func:`~funnelkit.core.stats.trend.
    proportion_trend_test`). ``slope_per_campaign`` is the slope of the rate on the score,
    weighted by each campaign's denominator (the regression the test is built on).

    Parameters
    ----------
    rate : str, default "open_rate"
        One of :data:`RATES`.

    Returns
    -------
    pandas.DataFrame
        One row: ``rate, campaigns`` (k), ``first, last`` (the rate of the first and the last
        campaign), ``slope_per_campaign, statistic`` (χ², 1 df), ``p_value, direction`` ("up" or
        "down" when p < 0.05, else "flat"), ``note`` (why the test is missing, if it is:
        :data:`TREND_NOTES`).

    Examples
    --------
    >>> from funnelkit import load_client
    >>> from funnelkit.metrics.base import window
    >>> client = load_client(emit_warnings=False)
    >>> email_trend(client, window(client))[["rate", "campaigns", "direction"]]
            rate  campaigns direction
    0  open_rate          7      down
    """
    if rate not in RATES:
        raise ParameterError(
            f"The value for `rate` must be one of {list(RATES)}, but {rate!r} was passed."
        )
    num, den, _ = RATES[rate]
    frame = email_campaigns(client, window)
    frame = frame[frame[rate].notna()]
    x, n = frame[num].to_numpy(float), frame[den].to_numpy(float)
    k = len(frame)
    row = {"rate": rate, "campaigns": k, "first": np.nan, "last": np.nan,
           "slope_per_campaign": np.nan, "statistic": np.nan, "p_value": np.nan,
           "direction": "flat", "note": ""}  # fmt: skip
    if k:
        row["first"], row["last"] = float(frame[rate].iloc[0]), float(frame[rate].iloc[-1])
    if k < 3:
        row["note"] = TREND_NOTES["few"]
        return pd.DataFrame([row], columns=TREND_COLUMNS)
    score = np.arange(1, k + 1, dtype=float)
    centred = score - (n * score).sum() / n.sum()
    row["slope_per_campaign"] = float((n * centred * (x / n)).sum() / (n * centred**2).sum())
    statistic, p_value = proportion_trend_test(x, n)
    row["statistic"], row["p_value"] = statistic, p_value
    if np.isnan(statistic):
        row["note"] = TREND_NOTES["constant"]
    elif p_value < 0.05:
        row["direction"] = "up" if row["slope_per_campaign"] > 0 else "down"
    return pd.DataFrame([row], columns=TREND_COLUMNS)


_BASE = ("campaign", "sent_at")
#: recipients from a recipient's rows; delivered from recipients (minus bounces)
_RECIPIENTS = (("recipients", ("user_id",)),)
_DELIVERED = (*_RECIPIENTS, ("delivered", ("recipients",)), ("delivered", ("user_id",)))
_DELIVERED_STRICT = (*_RECIPIENTS, ("delivered", ("recipients", "bounces")),
                     ("delivered", ("user_id", "bounces")))  # fmt: skip


def _metric(
    id_: str, stage: str, good: str, columns: tuple[str, ...], derivable: tuple, **fields: Any
) -> EmailMetric:
    return EmailMetric(
        id=id_, stage=stage, kind="proportion", unit="share", good=good,
        needs=(("email", (*_BASE, *columns)),), groups=EMAIL_GROUPS, derivable=derivable,
        **fields,
    )  # fmt: skip


METRICS = [
    _metric(
        "email_delivery_rate", "awareness", "up", ("delivered", "recipients"), _DELIVERED_STRICT,
        name={"en": "E-mail delivery rate (delivered / recipients)",
              "ru": "Доставляемость писем (доставленные / получатели)"},
        definition={"en": "Share of the addresses a campaign was sent to whose message was "
                          "delivered (without delivered: recipients minus bounces).",
                    "ru": "Доля адресов рассылки, до которых письмо дошло (без столбца "
                          "доставленных: получатели минус недоставленные)."},
        formula="delivered / recipients", compute=email_delivery_rate,
    ),
    _metric(
        "email_open_rate", "consideration", "up", ("unique_opens", "delivered"), _DELIVERED,
        name={"en": "E-mail open rate (unique opens / delivered)",
              "ru": "Открываемость писем (уникальные открытия / доставленные)"},
        definition={"en": "Share of delivered e-mails opened at least once (people, not "
                          "repeat opens; mail apps that pre-load images inflate it).",
                    "ru": "Доля доставленных писем, открытых хотя бы раз (люди, а не повторные "
                          "открытия; почтовые программы с предзагрузкой картинок его завышают)."},
        formula="unique opens / delivered", compute=email_open_rate,
    ),
    _metric(
        "email_click_rate", "consideration", "up", ("unique_clicks", "delivered"), _DELIVERED,
        name={"en": "E-mail click-through rate (unique clicks / delivered)",
              "ru": "Кликабельность писем, CTR (уникальные клики / доставленные)"},
        definition={"en": "Share of delivered e-mails whose recipient clicked a link.",
                    "ru": "Доля доставленных писем, получатель которых перешёл по ссылке."},
        formula="unique clicks / delivered", compute=email_click_rate,
    ),
    _metric(
        "email_click_to_open_rate", "consideration", "up", ("unique_clicks", "unique_opens"), (),
        name={"en": "E-mail click-to-open rate (unique clicks / unique opens)",
              "ru": "Клики от открытий, CTOR (уникальные клики / уникальные открытия)"},
        definition={"en": "Share of recipients who opened an e-mail and clicked a link in it.",
                    "ru": "Доля открывших письмо, которые перешли по ссылке в нём."},
        formula="unique clicks / unique opens", compute=email_click_to_open_rate,
    ),
    _metric(
        "email_unsubscribe_rate", "retention", "down", ("unsubscribes", "delivered"), _DELIVERED,
        name={"en": "Unsubscribe rate (unsubscribes / delivered)",
              "ru": "Доля отписок (отписки / доставленные)"},
        definition={"en": "Share of delivered e-mails whose recipient unsubscribed.",
                    "ru": "Доля доставленных писем, получатель которых отписался."},
        formula="unsubscribes / delivered", compute=email_unsubscribe_rate,
    ),
    _metric(
        "email_bounce_rate", "awareness", "down", ("bounces", "recipients"), _RECIPIENTS,
        name={"en": "E-mail bounce rate (bounces / recipients)",
              "ru": "Доля недоставленных писем (отказы доставки / получатели)"},
        definition={"en": "Share of the addresses a campaign was sent to whose message "
                          "bounced (hard and soft).",
                    "ru": "Доля адресов рассылки, письмо на которые не было доставлено "
                          "(постоянные и временные отказы)."},
        formula="bounces / recipients", compute=email_bounce_rate,
    ),
]  # fmt: skip
