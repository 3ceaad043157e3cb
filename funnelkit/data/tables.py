"""The canonical tables: the column names and types every analysis is written against.

A client's exports are mapped onto these in ``client.yaml`` (``data.<table>.columns``); every
table and every optional column may be absent, and each notebook says what it needs.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["TABLES", "ColumnSpec", "TableSpec", "get_table_spec", "table_docs"]


@dataclass(frozen=True)
class ColumnSpec:
    """One canonical column.

    ``kind`` is one of ``id`` (text, never empty), ``text``, ``timestamp``, ``date``,
    ``number``, ``integer`` and ``flag`` (yes/no: 1/0, true/false, yes/no, да/нет). ``unique``
    marks identifiers that must not repeat, ``minimum``/``maximum`` bound numbers (inclusive).
    """

    name: str
    kind: str
    required: bool
    description: str
    unique: bool = False
    minimum: float | None = None
    maximum: float | None = None


@dataclass(frozen=True)
class TableSpec:
    """One canonical table: its columns, and the column that dates each row.

    ``periodic`` tables hold what happens over time, so the analysis period selects their rows;
    ``accounts`` is a list (its ``created_at`` only says when a company entered the CRM).
    """

    name: str
    description: str
    columns: tuple[ColumnSpec, ...]
    time_column: str
    periodic: bool = True

    @property
    def required(self) -> list[str]:
        return [c.name for c in self.columns if c.required]

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]

    def column(self, name: str) -> ColumnSpec:
        return next(c for c in self.columns if c.name == name)


C = ColumnSpec
TABLES: dict[str, TableSpec] = {
    spec.name: spec
    for spec in (
        TableSpec(
            "events",
            "Web or app events, one row per event (can be tens of millions of rows).",
            (
                C("user_id", "id", True, "Visitor or user identifier."),
                C("timestamp", "timestamp", True, "When the event happened."),
                C("event", "id", True, "Event name, e.g. page_view, add_to_cart, purchase."),
                C("session_id", "text", False, "Session identifier."),
                C("page", "text", False, "Page path or screen name."),
                C("channel", "text", False, "Acquisition channel of the session."),
                C("campaign", "text", False, "Campaign of the session."),
                C("device", "text", False, "desktop / mobile / tablet …"),
                C("revenue", "number", False, "Revenue attached to the event.", minimum=0),
                C("account_id", "text", False, "The contact's company: an accounts.account_id."),
            ),
            "timestamp",
        ),
        TableSpec(
            "orders",
            "Orders, one row per order.",
            (
                C("order_id", "id", True, "Order identifier (unique).", unique=True),
                C("customer_id", "id", True, "Customer identifier (same as events.user_id)."),
                C("timestamp", "timestamp", True, "When the order was placed."),
                C("revenue", "number", True, "Order value in the client's currency.", minimum=0),
                C("channel", "text", False, "Channel credited with the order."),
                C("account_id", "text", False, "The contact's company: an accounts.account_id."),
            ),
            "timestamp",
        ),
        TableSpec(
            "spend",
            "Advertising spend, one row per day and channel (or per day, channel and campaign).",
            (
                C("date", "date", True, "Day of the spend."),
                C("channel", "id", True, "Channel, named as in events.channel."),
                C("campaign", "text", False, "Campaign, as the ad platform names it."),
                C("cost", "number", True, "Spend in the client's currency.", minimum=0),
                C("impressions", "integer", False, "Ad impressions.", minimum=0),
                C("clicks", "integer", False, "Ad clicks.", minimum=0),
            ),
            "date",
        ),
        TableSpec(
            "leads",
            "CRM leads, one row per lead with the time it reached each stage.",
            (
                C("lead_id", "id", True, "Lead identifier (unique).", unique=True),
                C("created_at", "timestamp", True, "When the lead was created."),
                C("channel", "text", True, "Channel the lead came from."),
                C("mql_at", "timestamp", False, "When it became a marketing-qualified lead."),
                C("sql_at", "timestamp", False, "When it became a sales-qualified lead."),
                C("won_at", "timestamp", False, "When the deal was won."),
                C(
                    "value",
                    "number",
                    False,
                    "Deal value: expected while the deal is open, actual when won.",
                    minimum=0,
                ),
                C("account_id", "text", False, "The contact's company: an accounts.account_id."),
            ),
            "created_at",
        ),
        TableSpec(
            "nps",
            "Net Promoter Score answers, one row per answer.",
            (
                C("respondent_id", "id", True, "Who answered."),
                C("timestamp", "timestamp", True, "When they answered."),
                C("score", "integer", True, "Answer from 0 to 10.", minimum=0, maximum=10),
                C("segment", "text", False, "Any grouping, e.g. new / returning."),
            ),
            "timestamp",
        ),
        TableSpec(
            "social",
            "Social-network statistics: one row per post (post_id set) or one row per day of a "
            "page's or community's totals (post_id empty) — not both for one network. Unlocks "
            "the engagement chapter.",
            (
                C("date", "date", True, "Day the post was published (or of the day's totals)."),
                C("network", "id", True, "facebook, instagram, vk, telegram …"),
                C(
                    "post_id",
                    "text",
                    False,
                    "Post or promoted-post identifier; empty on a row of daily totals.",
                ),
                C(
                    "reach",
                    "integer",
                    False,
                    "Accounts that saw the post at least once.",
                    minimum=0,
                ),
                C("impressions", "integer", False, "Times the post was shown.", minimum=0),
                C("likes", "integer", False, "Likes or reactions.", minimum=0),
                C("comments", "integer", False, "Comments.", minimum=0),
                C("shares", "integer", False, "Shares or reposts.", minimum=0),
                C("clicks", "integer", False, "Clicks (on links or on the post).", minimum=0),
                C("follows", "integer", False, "New followers or subscribers.", minimum=0),
                C("unfollows", "integer", False, "Followers or subscribers lost.", minimum=0),
            ),
            "date",
        ),
        TableSpec(
            "email",
            "E-mail campaigns: one row per campaign with its counts, or one row per recipient "
            "and campaign (user_id set; each count is that recipient's). Unlocks the "
            "engagement chapter; a recipient's clicks and opens become events.",
            (
                C("campaign", "id", True, "Campaign name or identifier."),
                C("sent_at", "timestamp", True, "When the campaign was sent."),
                C(
                    "recipients",
                    "integer",
                    False,
                    "Addresses it was sent to (1 on a recipient's row when absent).",
                    minimum=0,
                ),
                C(
                    "delivered",
                    "integer",
                    False,
                    "Messages delivered (sent minus bounces).",
                    minimum=0,
                ),
                C("opens", "integer", False, "Opens, counting repeats.", minimum=0),
                C("unique_opens", "integer", False, "Recipients who opened.", minimum=0),
                C("clicks", "integer", False, "Link clicks, counting repeats.", minimum=0),
                C("unique_clicks", "integer", False, "Recipients who clicked a link.", minimum=0),
                C("unsubscribes", "integer", False, "Recipients who unsubscribed.", minimum=0),
                C("bounces", "integer", False, "Messages that bounced (hard and soft).", minimum=0),
                C("user_id", "id", False, "The recipient, as events.user_id: a row per recipient."),
                C("account_id", "text", False, "The recipient's company: an accounts.account_id."),
                C("opened_at", "timestamp", False, "When the recipient first opened it."),
                C("clicked_at", "timestamp", False, "When the recipient first clicked."),
            ),
            "sent_at",
        ),
        TableSpec(
            "accounts",
            "Companies (B2B accounts), one row per account: the target list and every company "
            "whose contacts appear in events, leads or orders. Unlocks the accounts chapter.",
            (
                C("account_id", "id", True, "Account identifier (unique).", unique=True),
                C("name", "text", True, "Company name."),
                C(
                    "target",
                    "flag",
                    False,
                    "On the target list (yes/no; an empty cell is no). Without the column "
                    "every account is a target.",
                ),
                C("tier", "text", False, "Target tier, e.g. 1 / 2 / 3 or strategic / core."),
                C("industry", "text", False, "Industry of the company."),
                C("owner", "text", False, "Account owner in sales."),
                C("created_at", "timestamp", False, "When the account entered the CRM."),
            ),
            "created_at",
            periodic=False,
        ),
        TableSpec(
            "assignments",
            "Experiment assignments, one row per user and experiment. Every other column of "
            "the file is kept as it is: an experiment's `outcomes` (a 0/1 or TRUE/FALSE flag, "
            "or a number per user) and `segments` (country, device …) are read from them.",
            (
                C("user_id", "id", True, "User identifier (same as events.user_id)."),
                C(
                    "experiment",
                    "id",
                    False,
                    "Experiment name as declared in client.yaml; "
                    "without it the file holds one experiment, read by every one declared.",
                ),
                C("variant", "id", True, "Variant the user saw."),
                C(
                    "assigned_at",
                    "timestamp",
                    False,
                    "When the user was assigned; needed "
                    "unless the experiment's outcomes are columns of the file.",
                ),
            ),
            "assigned_at",
        ),
    )
}
del C


def get_table_spec(name: str) -> TableSpec:
    """Look up a canonical table; the error lists the valid names.

    Examples
    --------
    >>> get_table_spec("orders").required
    ['order_id', 'customer_id', 'timestamp', 'revenue']
    """
    try:
        return TABLES[name]
    except KeyError:
        raise KeyError(
            f"Unknown table {name!r}; the canonical tables are {sorted(TABLES)}."
        ) from None


def table_docs() -> str:
    """The canonical tables as Markdown (used to keep ``docs/data.md`` in sync; tested)."""
    lines: list[str] = []
    for spec in TABLES.values():
        lines += [f"### `{spec.name}`", "", spec.description, ""]
        lines += ["| column | type | required | meaning |", "| --- | --- | --- | --- |"]
        for col in spec.columns:
            rules = []
            if col.unique:
                rules.append("unique")
            if col.minimum is not None:
                rules.append(f"≥ {col.minimum:g}")
            if col.maximum is not None:
                rules.append(f"≤ {col.maximum:g}")
            extra = f" ({', '.join(rules)})" if rules else ""
            lines.append(
                f"| `{col.name}` | {col.kind}{extra} | {'yes' if col.required else 'no'} "
                f"| {col.description} |"
            )
        lines.append("")
    return "\n".join(lines)
