"""Social-network metrics: reach, interactions, engagement rate, follower growth, interaction mix.

Rows count in the window of their ``date`` (a post's publication day, or the day of a page's
totals). Definitions (also in the catalogue):

- **Interactions** are likes + comments + shares (reposts): the source articles' "likes,
  comments and reposts". Clicks are not interactions here (many exports count every click on a
  post, including opening its picture); :func:`interaction_mix` shows them beside the others.
  An empty cell counts 0.
- **Reach** is the sum of ``reach`` over the rows: accounts reached per post or per day, added
  up, so a person reached by two posts counts twice. It is not a number of distinct people.
- **Engagement rate** is interactions / reach over the rows whose reach is known. It is a ratio
  of totals, not a share of people (a reader can like and comment), so it has no Wilson interval
  and can exceed 1.
- **Follower growth** is follows − unfollows (unfollows 0 when the column is absent); it may be
  negative.

Grouping: ``network``, or ``post_id`` (rows of daily totals group under "(none)").
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ..core.errors import DataError
from ..core.stats import wilson
from ..data.validate import q
from .base import Metric, Window, check_group, count_frame, define, label_sql, ratio_frame, text_sql

if TYPE_CHECKING:
    from ..data.loader import Client

__all__ = [
    "INTERACTIONS",
    "INTERACTION_TYPES",
    "METRICS",
    "follower_growth",
    "interaction_mix",
    "post_engagement",
    "social_engagement_rate",
    "social_interactions",
    "social_reach",
]

SOCIAL_GROUPS = ("network", "post_id")
#: What an interaction is (clicks are not).
INTERACTIONS = ("likes", "comments", "shares")
#: The interaction types :func:`interaction_mix` splits, in this order.
INTERACTION_TYPES = (*INTERACTIONS, "clicks")

MIX_COLUMNS = ["type", "interactions", "share", "ci_low", "ci_high"]
POST_COLUMNS = ["network", "post_id", "date", "reach", "interactions", "engagement_rate"]


def _in_window(window: Window) -> str:
    return window.sql('CAST("date" AS TIMESTAMP)')


def _interactions_sql(client: Client) -> str:
    """SQL: a row's likes + comments + shares (those present; empty cells 0), NULL if none."""
    present = [f"COALESCE({q(c)}, 0)" for c in INTERACTIONS if client.has("social", c)]
    return " + ".join(present) if present else "CAST(NULL AS BIGINT)"


def _check_by(client: Client, metric: str, by: str | None, allowed: tuple[str, ...]) -> None:
    check_group(metric, by, allowed)
    if by and not client.has("social", by):
        raise DataError(
            f"{client.name}: the social table has no '{by}' column (it has "
            f"{client.columns('social')}); map it under `data.social.columns` in client.yaml "
            "or group by network.",
            table="social",
        )


def _totals(client: Client, window: Window, by: str | None, sums: dict[str, str]) -> pd.DataFrame:
    """One row (per group) of the given SQL sums over the window's rows, 0 where nothing."""
    select = f"{label_sql(q(by))} AS {q(by)}, " if by else ""
    tail = " GROUP BY 1 ORDER BY 1" if by else ""
    columns = ", ".join(f"COALESCE(sum({e}), 0) AS {q(n)}" for n, e in sums.items())
    return client.sql(f"SELECT {select}{columns} FROM social WHERE {_in_window(window)}{tail}")


def social_reach(client: Client, window: Window, by: str | None = None) -> pd.DataFrame:
    """Reach summed over the rows in the window (not distinct people), no interval."""
    _check_by(client, "social_reach", by, SOCIAL_GROUPS)
    counts = _totals(client, window, by, {"numerator": "reach"})
    return count_frame("social_reach", counts, by=by)


def social_interactions(client: Client, window: Window, by: str | None = None) -> pd.DataFrame:
    """Likes + comments + shares in the window (clicks not included).

    Examples
    --------
    >>> import duckdb
    >>> from types import SimpleNamespace
    >>> from datetime import datetime
    >>> con = duckdb.connect()
    >>> _ = con.execute("CREATE TABLE social AS SELECT * FROM (VALUES (DATE '2026-10-02', 'vk', "
    ...                 "10, 2, 1, 7)) t(date, network, likes, comments, shares, clicks)")
    >>> client = SimpleNamespace(sql=lambda s: con.sql(s).df(),
    ...                          has=lambda t, *c: set(c) <= set(con.table(t).columns))
    >>> w = Window(datetime(2026, 10, 1), datetime(2026, 11, 1))
    >>> social_interactions(client, w)["value"].tolist()  # 10 + 2 + 1, the 7 clicks not counted
    [13.0]
    """
    _check_by(client, "social_interactions", by, SOCIAL_GROUPS)
    counts = _totals(client, window, by, {"numerator": _interactions_sql(client)})
    return count_frame("social_interactions", counts, by=by)


def social_engagement_rate(client: Client, window: Window, by: str | None = None) -> pd.DataFrame:
    """Interactions / reach over the rows with a reach, a ratio of totals (no interval)."""
    _check_by(client, "social_engagement_rate", by, SOCIAL_GROUPS)
    sums = {
        "numerator": f"CASE WHEN reach IS NOT NULL THEN {_interactions_sql(client)} END",
        "denominator": "reach",
    }
    counts = _totals(client, window, by, sums)
    return ratio_frame("social_engagement_rate", counts, by=by, zero="no reach in the period")


def follower_growth(client: Client, window: Window, by: str | None = None) -> pd.DataFrame:
    """Follows − unfollows in the window (net; may be negative), with both as columns."""
    _check_by(client, "follower_growth", by, ("network",))
    lost = "unfollows" if client.has("social", "unfollows") else "0"
    counts = _totals(client, window, by, {"follows": "follows", "unfollows": lost})
    counts["numerator"] = counts["follows"] - counts["unfollows"]
    return count_frame("follower_growth", counts, by=by)


def interaction_mix(client: Client, window: Window, *, by: str = "network") -> pd.DataFrame:
    """Each interaction type's count and share of a network's interactions, Wilson 95% CI.

    The types are those present among likes, comments, shares and clicks (clicks included here,
    so their weight can be seen). The interval treats every interaction as one independent trial
    that is of this type or not — an approximation: one person's like and comment are not
    independent, so the true uncertainty is somewhat wider.

    Returns
    -------
    pandas.DataFrame
        ``by, type, interactions, share, ci_low, ci_high``; one row per group and type, groups
        in order, types in :data:`INTERACTION_TYPES` order. Empty when no type column exists.

    Examples
    --------
    >>> from funnelkit import load_client
    >>> from funnelkit.metrics.base import window
    >>> client = load_client(emit_warnings=False)
    >>> interaction_mix(client, window(client))[["network", "type", "share"]].head(2).round(3)
        network      type  share
    0  facebook     likes  0.467
    1  facebook  comments  0.090
    """
    _check_by(client, "interaction_mix", by, SOCIAL_GROUPS)
    types = [t for t in INTERACTION_TYPES if client.has("social", t)]
    if not types:
        return pd.DataFrame({c: pd.Series(dtype=float if c in MIX_COLUMNS[1:] else object)
                             for c in [by, *MIX_COLUMNS]})  # fmt: skip
    counts = client.sql(
        f"SELECT {label_sql(q(by))} AS {q(by)}, "
        + ", ".join(f"COALESCE(sum({q(t)}), 0) AS {q(t)}" for t in types)
        + f" FROM social WHERE {_in_window(window)} GROUP BY 1 ORDER BY 1"
    )
    mix = counts.melt(id_vars=by, value_vars=types, var_name="type", value_name="interactions")
    mix["order"] = mix["type"].map(types.index)
    mix = mix.sort_values([by, "order"], kind="stable").drop(columns="order")
    mix["interactions"] = mix["interactions"].astype(float)
    total = mix.groupby(by, sort=False)["interactions"].transform("sum")
    mix["share"] = np.where(total > 0, mix["interactions"] / total.where(total > 0, 1), np.nan)
    mix["ci_low"], mix["ci_high"] = wilson(mix["interactions"].to_numpy(), total.to_numpy())
    return mix[[by, *MIX_COLUMNS]].reset_index(drop=True)


def post_engagement(client: Client, window: Window) -> pd.DataFrame:
    """One row per post in the window, best engagement rate first.

    A post's rows (if an export repeats it) are summed and dated by the first. Rows of daily
    totals (no ``post_id``) are left out.

    Returns
    -------
    pandas.DataFrame
        ``network, post_id, date, reach, interactions, engagement_rate`` (interactions / reach,
        NaN without reach), sorted by ``engagement_rate`` descending (missing last), then
        ``post_id``. Empty with these columns when the table has no post rows.

    Examples
    --------
    >>> from funnelkit import load_client
    >>> from funnelkit.metrics.base import window
    >>> client = load_client(emit_warnings=False)
    >>> post_engagement(client, window(client))[["post_id", "engagement_rate"]].head(2).round(4)
           post_id  engagement_rate
    0  in-1020-040           0.0615
    1  in-0917-022           0.0594
    """
    if not client.has("social", "post_id"):
        return pd.DataFrame({c: pd.Series(dtype=float if c in POST_COLUMNS[3:] else object)
                             for c in POST_COLUMNS})  # fmt: skip
    reach = "reach" if client.has("social", "reach") else "CAST(NULL AS BIGINT)"
    posts = client.sql(
        f'SELECT network, {text_sql("post_id")} AS post_id, min("date") AS date, '
        f"sum({reach}) AS reach, sum({_interactions_sql(client)}) AS interactions FROM social "
        f"WHERE {_in_window(window)} AND {text_sql('post_id')} IS NOT NULL GROUP BY 1, 2"
    )
    for column in ("reach", "interactions"):
        posts[column] = posts[column].astype(float)
    reached = posts["reach"] > 0
    posts["engagement_rate"] = np.where(
        reached, posts["interactions"] / posts["reach"].where(reached, 1), np.nan
    )
    posts = posts.sort_values(
        ["engagement_rate", "post_id", "network"], ascending=[False, True, True],
        na_position="last", kind="stable",
    )  # fmt: skip
    return posts[POST_COLUMNS].reset_index(drop=True)


def _metric(id_: str, stage: str, kind: str, unit: str, **fields: Any) -> Metric:
    return define(id_, stage, kind, unit, "up", groups=SOCIAL_GROUPS, **fields)


_BASE = ("date", "network")

METRICS = [
    _metric(
        "social_reach", "awareness", "total", "people",
        name={"en": "Social reach (sum of reach over posts or days)",
              "ru": "Охват в соцсетях (сумма охвата публикаций или дней)"},
        definition={"en": "Accounts reached, added up over the posts (or days) of the period: a "
                          "person reached twice counts twice — not distinct people.",
                    "ru": "Охваченные аккаунты, сложенные по публикациям (или дням) периода: "
                          "увидевший две публикации считается дважды — это не число людей."},
        formula="sum(reach)", needs=(("social", (*_BASE, "reach")),), compute=social_reach,
    ),
    _metric(
        "social_interactions", "consideration", "count", "count",
        name={"en": "Social interactions (likes + comments + shares)",
              "ru": "Реакции в соцсетях (лайки + комментарии + репосты)"},
        definition={"en": "Likes, comments and shares (reposts) in the period; clicks are "
                          "not counted.",
                    "ru": "Лайки, комментарии и репосты за период; клики не учитываются."},
        formula="likes + comments + shares", needs=(("social", (*_BASE, *INTERACTIONS)),),
        compute=social_interactions,
    ),
    _metric(
        "social_engagement_rate", "consideration", "ratio", "share",
        name={"en": "Social engagement rate (likes + comments + shares / reach)",
              "ru": "Вовлечённость в соцсетях (лайки + комментарии + репосты / охват)"},
        definition={"en": "Interactions per account reached, over the posts (or days) with a "
                          "reach; a ratio of totals that can exceed 100%.",
                    "ru": "Реакции на один охваченный аккаунт по публикациям (или дням) с "
                          "известным охватом; отношение сумм, может превышать 100%."},
        formula="(likes + comments + shares) / reach",
        needs=(("social", (*_BASE, "reach", *INTERACTIONS)),), compute=social_engagement_rate,
    ),
    define(
        "follower_growth", "awareness", "total", "people", "up",
        name={"en": "Follower growth (follows − unfollows)",
              "ru": "Прирост подписчиков (подписки − отписки)"},
        definition={"en": "New followers minus followers lost in the period (net; may be "
                          "negative). Without an unfollows column, new followers only.",
                    "ru": "Новые подписчики минус отписавшиеся за период (может быть "
                          "отрицательным). Без столбца отписок — только новые подписчики."},
        formula="follows − unfollows", needs=(("social", (*_BASE, "follows")),),
        compute=follower_growth, groups=("network",),
    ),
]  # fmt: skip
