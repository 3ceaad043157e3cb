"""The accounts chapter (account-based marketing): what notebook 05 shows, computed once.

:func:`review_accounts` computes the account metrics now and in the period before, the account
funnel (target → engaged → opportunity → won) as a whole and per tier and channel, the tests of
each tier and channel against the other accounts, and the stalled accounts;
:class:`AccountsChapter` displays them (tables and sentences from :mod:`.text`, charts from
:mod:`.plots`) and hands plain values to ``save_results``. A client without an accounts table
gets one note saying what the chapter needs, and nothing else.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import matplotlib.pyplot as plt
import pandas as pd
from IPython.display import Markdown, display

from ...core.formatting import format_count, format_number
from ...funnel.accounts import (
    account_funnel,
    account_funnel_tests,
    stalled_accounts,
    stalled_worth,
    write_stalled_accounts,
)
from ...metrics.accounts import METRICS
from ...metrics.base import NONE
from ...metrics.catalogue import get_metric
from ...metrics.compare import compare_periods
from ..display import ClientWords, note, show
from ..results import to_jsonable
from . import plots, text

if TYPE_CHECKING:
    from ...data.loader import Client

__all__ = ["BREAKDOWNS", "STALLED_FILE", "AccountsChapter", "review_accounts"]

#: The breakdowns the funnel is shown and tested by.
BREAKDOWNS = ("tier", "channel", "industry")
#: The file the stalled accounts are written to, next to the report's results.
STALLED_FILE = "audience_stalled_accounts.csv"
#: The account metrics of the catalogue, in the order the table shows them.
ACCOUNT_METRICS = tuple(m.id for m in METRICS)


@dataclass
class AccountsChapter(ClientWords):
    """The computed content of the accounts chapter (see :func:`review_accounts`)."""

    client: Client
    available: bool
    metrics: pd.DataFrame = field(default_factory=pd.DataFrame)
    unsupported: dict[str, str] = field(default_factory=dict)
    funnel: pd.DataFrame = field(default_factory=pd.DataFrame)
    funnel_by: dict[str, pd.DataFrame] = field(default_factory=dict)
    tests: pd.DataFrame = field(default_factory=pd.DataFrame)
    stalled: pd.DataFrame = field(default_factory=pd.DataFrame)
    worth: dict[str, Any] = field(default_factory=dict)
    min_accounts: int = 10

    def intro_text(self) -> str:
        """What an account, the target list, a touchpoint and the engagement score are."""
        settings = self.client.config.accounts
        targets = int(self.funnel["accounts"].iloc[0]) if len(self.funnel) else 0
        accounts = int(self.client.sql("SELECT count(*) AS n FROM accounts")["n"].iloc[0])
        return self._(
            "An **account** is a company the client sells to; the **target list** is the "
            "accounts marketing and sales chose to win together ({targets} of the {accounts} "
            "accounts in the data). A **touchpoint** is anything a person from an account does "
            "that shows interest: opening or clicking an e-mail, visiting the site, coming from "
            "a social network, asking for a demo. The **engagement score** of an account adds "
            "up its touchpoints in the period, each counted with a weight for how much it says "
            "about the intent to buy; an account is **engaged** when its people made at least "
            "**{n}** touchpoints in the period. The weights are a choice made for this report "
            "(the consultant can change them), not a measured fact:"
        ).format(
            targets=format_count(targets, self.language),
            accounts=format_count(accounts, self.language),
            n=format_count(settings.engaged_touchpoints, self.language),
        )

    def show_intro(self) -> None:
        """The definitions and the weights, or the note saying what the chapter needs."""
        if not self.available:
            note(text.NEEDS, language=self.language)
            return
        display(Markdown(self.intro_text()))
        quiet = list(self.client.config.metrics.non_interaction_events)
        show(text.weights_table(self.client.config.accounts, quiet, self.language))

    def show_metrics(self) -> None:
        """The account metrics now and in the period before, with intervals and the change."""
        if not self.available:
            return
        if self.metrics.empty:
            note(self._("No account metric can be computed from this client's data."))
        else:
            show(text.metrics_table(self.metrics, self.language, self.currency))
        for metric, missing in self.unsupported.items():
            note(self._("Not computed: {metric}; the data lack {missing}.").format(
                metric=metric, missing=missing), language=self.language)  # fmt: skip

    def show_funnel(self) -> None:
        """The account funnel as a chart and a table."""
        if not self.available:
            return
        if self.funnel.empty or int(self.funnel["accounts"].iloc[0]) == 0:
            note(self._("The target list is empty, so there is no account funnel."))
            return
        plots.plot_account_funnel(self.funnel)
        plt.show()
        show(text.funnel_table(self.funnel, self.language))
        if not self.client.has("events", "account_id"):
            note(self._("The data hold no touchpoints (no events carry an account), so the "
                        "engaged step only counts the accounts already talking to sales."),
                 language=self.language)  # fmt: skip

    def show_funnel_by(self, by: str) -> None:
        """The account funnel per group of ``by`` (tier or channel): chart and table."""
        if not self.available:
            return
        frame = self.funnel_by.get(by)
        if frame is None or frame.empty:
            note(self._("The accounts have no {by} to split the funnel by.").format(
                by=self._(by)), language=self.language)  # fmt: skip
            return
        plots.plot_funnel_by(frame, by)
        plt.show()
        show(text.funnel_by_table(frame, by, self.language))

    def findings(self) -> pd.DataFrame:
        """The significant tests (flag set), biggest gap first; no-channel accounts left out.

        An account with no touch at all has no first-touch channel and cannot be engaged, so
        the "no channel" group would differ by construction, not by anything marketing did.
        """
        if self.tests.empty:
            return self.tests
        flagged = self.tests[self.tests["flag"] != ""]
        flagged = flagged[~((flagged["column"] == "channel") & (flagged["segment"] == NONE))]
        order = flagged["abs_diff"].abs().sort_values(ascending=False).index
        return flagged.loc[order].reset_index(drop=True)

    def findings_text(self) -> list[str]:
        """Each significant finding as a sentence with its numbers and what to do."""
        return [text.finding_text(row, self.language) for _, row in self.findings().iterrows()]

    def show_findings(self) -> None:
        """The tiers and channels that differ from the others, in words, or that none does."""
        if not self.available:
            return
        _ = self._
        sentences = self.findings_text()
        if sentences:
            display(Markdown("\n".join(f"- {s}" for s in sentences)))
        else:
            note(_("No tier, channel or industry differs significantly from the other target "
                   "accounts at any step (two-proportion tests, Holm's correction)."),
                 language=self.language)  # fmt: skip
        gated = int(self.tests["gated"].sum()) if len(self.tests) else 0
        if gated:
            note(_("{n} comparisons were not tested: fewer than {gate} accounts on one side at "
                   "the step before.").format(n=format_count(gated, self.language),
                                              gate=format_count(self.min_accounts,
                                                                self.language)),
                 language=self.language)  # fmt: skip

    def stalled_text(self, written: Path | None) -> str:
        """How many accounts stall, and where their list is (never their names)."""
        n = len(self.stalled)
        if n == 0:
            return self._("No engaged target account is waiting without an opportunity.")
        count = format_count(n, self.language)
        if written is None:
            return self._(
                "**{n}** engaged target accounts have no opportunity yet. Their list is written "
                "to `{file}` next to the report when the report is built."
            ).format(n=count, file=STALLED_FILE)
        return (
            self._(
                "**{n}** engaged target accounts have no opportunity yet: their list (tier, owner, "
                "touchpoints and score, the most engaged first) is in `{file}` next to the report. "
                "Hand it to sales."
            ).format(n=count, file=STALLED_FILE)
            + self.worth_text()
        )

    def worth_text(self) -> str:
        """What the stalled accounts are worth in the stated scenario (empty when unknown)."""
        worth = self.worth or {}
        if worth.get("worth") is None:
            return ""

        def money(value: float) -> str:
            return format_number(value, "money", language=self.language, currency=self.currency)

        def share(value: float) -> str:
            return format_number(value, "share", language=self.language)

        text = self._(
            " If they moved on at this period's rates — {opportunity} of the engaged target "
            "accounts became opportunities, {win} of the opportunities were won, a won account "
            "brought {value} on average — they would be worth about **{worth}** (95% interval "
            "{low} to {high}); a scenario to size the call list, not a forecast."
        )
        low, high = worth.get("worth_low"), worth.get("worth_high")
        return text.format(
            opportunity=share(worth["opportunity_rate"]), win=share(worth["win_rate"]),
            value=money(worth["value_per_won"]), worth=money(worth["worth"]),
            low=money(low) if low is not None else "–", high=money(high) if high is not None
            else "–",
        )  # fmt: skip

    def show_stalled(self, results_path: str | Path = "") -> None:
        """Write the stalled accounts next to the report and say how many there are."""
        if not self.available:
            return
        written = write_stalled_accounts(self.stalled, results_path) if len(self.stalled) else None
        if written is None and len(self.stalled) and str(results_path):
            written = Path(results_path).parent / STALLED_FILE
        display(Markdown(self.stalled_text(written)))

    def to_results(self) -> dict[str, Any]:
        """Plain JSON values: headline metrics, funnel counts, findings, stalled accounts."""
        if not self.available:
            return {"available": False, "needs": text.NEEDS}
        columns = ["metric", "name", "unit", "value", "ci_low", "ci_high", "previous_value",
                   "change", "relative_change", "p_value_adjusted", "significant", "verdict",
                   "note"]  # fmt: skip
        funnel = ["step", "accounts", "share_of_first", "share_of_previous", "dropped"]
        found = self.findings()
        findings = found[["column", "segment", "step", "flag", "users_previous", "users", "rate",
                          "rest_rate", "abs_diff", "abs_ci_low", "abs_ci_high",
                          "p_value_adjusted"]] if len(found) else []  # fmt: skip
        if len(found):
            parts = [text.finding_parts(row, self.language) for _, row in found.iterrows()]
            findings = findings.assign(title=[p["title"] for p in parts],
                                       action=[p["action"] for p in parts])  # fmt: skip
        return to_jsonable({
            "available": True,
            "engaged_touchpoints": self.client.config.accounts.engaged_touchpoints,
            "weights": dict(self.client.config.accounts.weights),
            "metrics": self.metrics[columns] if len(self.metrics) else [],
            "metrics_not_computed": self.unsupported,
            "funnel": self.funnel[funnel] if len(self.funnel) else [],
            "funnel_by": {by: f[[by, *funnel]] for by, f in self.funnel_by.items()},
            "significant_segments": findings,
            "findings_text": self.findings_text(),
            "stalled_accounts": len(self.stalled),
            "stalled_file": STALLED_FILE if len(self.stalled) else None,
            "stalled_worth": self.worth,
        })  # fmt: skip


def review_accounts(client: Client, *, min_accounts: int = 10) -> AccountsChapter:
    """Compute the accounts chapter for a client (nothing but a note without accounts).

    Parameters
    ----------
    client : funnelkit.data.loader.Client
    min_accounts : int, default 10
        Accounts each side of a tier or channel test needs at the step before to be tested.

    Examples
    --------
    >>> from funnelkit import load_client
    >>> chapter = review_accounts(load_client(emit_warnings=False))
    >>> chapter.available == chapter.client.has("accounts")
    True
    """
    if not client.has("accounts"):
        return AccountsChapter(client=client, available=False, min_accounts=min_accounts)
    language = client.config.language
    supported, unsupported = [], {}
    for metric_id in ACCOUNT_METRICS:
        metric = get_metric(metric_id)
        missing = metric.missing(client)
        if missing:
            words = [text.needs_words(m, language) for m in missing]
            unsupported[metric.name[language]] = ", ".join(words)
        else:
            supported.append(metric_id)
    funnel_by = {}
    for by in BREAKDOWNS:
        frame = account_funnel(client, by=by)
        if not frame.empty and set(frame[by].astype(str)) != {NONE}:
            funnel_by[by] = frame
    return AccountsChapter(
        client=client,
        available=True,
        metrics=compare_periods(client, supported) if supported else pd.DataFrame(),
        unsupported=unsupported,
        funnel=account_funnel(client),
        funnel_by=funnel_by,
        tests=account_funnel_tests(client, by=list(funnel_by), min_accounts=min_accounts)
        if funnel_by
        else pd.DataFrame(columns=["column", "segment", "step", "flag", "gated"]),
        stalled=stalled_accounts(client),
        worth=stalled_worth(client),
        min_accounts=min_accounts,
    )
