"""The accounts chapter's tables and sentences, as a client reads them.

Each function turns a frame of :mod:`funnelkit.metrics.accounts` or
:mod:`funnelkit.funnel.accounts` into text: words in the report's language (gettext, Russian in
``locale/ru/LC_MESSAGES/accounts.po``), numbers drawn by :mod:`funnelkit.core.formatting`, and
every rate named by what it divides. The numbers themselves are not changed.
"""

from __future__ import annotations

import re
from functools import partial
from typing import Any

import pandas as pd

from ...core.formatting import format_count, format_number, format_p, format_value
from ...core.i18n import gettext
from ...metrics.base import NONE
from ...metrics.compare import NO_EARLIER, no_earlier_text
from .plots import none_label, step_label

__all__ = [
    "NEEDS",
    "finding_text",
    "funnel_by_table",
    "funnel_table",
    "metrics_table",
    "needs_words",
    "note_text",
    "weights_table",
]

#: What the chapter needs, said when the client has no accounts table.
NEEDS = (
    "This chapter needs an **accounts** table (one row per company: `account_id`, `name`, and "
    "optionally `target`, `tier`, `industry`, `owner`) and the `account_id` of the company on "
    "the events, leads or orders, so that visits, deals and revenue can be counted per account. "
    "Add them under `data:` in client.yaml (docs/data.md lists the columns)."
)

#: How a verdict of :func:`funnelkit.metrics.compare.compare_periods` reads in the table.
_VERDICTS = {
    "better": "significantly better",
    "worse": "significantly worse",
}

#: A group of accounts as a sentence names it, per breakdown.
_GROUPS = {
    "tier": "Tier {segment} accounts",
    "channel": "Accounts first reached through {segment}",
    "industry": "Accounts in {segment}",
    "owner": "Accounts of {segment}",
}

#: What a group does less (or more) often than the others, per step and flag.
_MOVES = {
    ("engaged", "under"): "{group} engage less often than the other target accounts",
    ("engaged", "over"): "{group} engage more often than the other target accounts",
    ("opportunity", "under"): "{group} become opportunities less often than the other engaged "
    "accounts",
    ("opportunity", "over"): "{group} become opportunities more often than the other engaged "
    "accounts",
    ("won", "under"): "{group} win a deal less often than the other accounts with an opportunity",
    ("won", "over"): "{group} win a deal more often than the other accounts with an opportunity",
}

#: What to do about a finding, per step and flag.
_ADVICE = {
    ("engaged", "under"): "reach them with content made for them (cases from their industry, a "
    "personal e-mail from their account owner) before asking for a meeting.",
    ("opportunity", "under"): "sales should call their engaged people sooner: the list of "
    "stalled accounts below names the accounts waiting.",
    ("won", "under"): "go through their lost deals with sales (price, competitor, who decides) "
    "before putting more budget into them.",
    "over": "find out what works there and carry it over to the other accounts.",
}


def needs_words(text: str, language: str) -> str:
    """What a metric needs (``"spend table, leads.value"``) in the report's language.

    Examples
    --------
    >>> needs_words("spend table", "ru")
    'таблица spend'
    """
    return re.sub(
        r"\b(\w+) table\b",
        lambda m: gettext("{table} table", language).format(table=m.group(1)),
        str(text),
    )


_CHURN_LIFETIME = re.compile(r"lifetime 1 / account churn \(([\d.]+)%\) = ([\d.]+) periods")


def note_text(note: object, language: str) -> str:
    r"""A metric's note (parts joined by "; ") in the report's language, numbers redrawn.

    Examples
    --------
    >>> note_text("3 opportunities without a value (counted as 0)", "en")
    '3 opportunities without a value (counted as 0)'
    >>> note_text("lifetime 1 / account churn (81.2%) = 1.23 periods; gross margin 40% applied",
    ...           "ru")
    'срок жизни 1 / отток аккаунтов (81,2\xa0%) = 1,23 периода; учтена валовая маржа 40\xa0%'
    """
    if not isinstance(note, str) or not note.strip():
        return ""
    _ = partial(gettext, language=language)
    parts = []
    for part in note.split("; "):
        if part.startswith("before: "):  # the period before's reason (metrics.compare)
            parts.append(
                _("in the period before: {note}").format(note=note_text(part[8:], language))
            )
            continue
        if m := re.fullmatch(r"no (\w+\.\w+) in the export", part):
            part = _("no {field} in the export").format(field=m.group(1))
        elif m := re.fullmatch(r"(\d+) opportunit(?:y|ies) without a value \(counted as 0\)", part):
            n = int(m.group(1))
            text = "{n} opportunity without a value (counted as 0)" if n == 1 else (
                "{n} opportunities without a value (counted as 0)")  # fmt: skip
            part = _(text).format(n=format_count(n, language))
        elif m := _CHURN_LIFETIME.fullmatch(part):
            part = _("lifetime 1 / account churn ({churn}) = {periods} periods").format(
                churn=format_number(float(m.group(1)) / 100, "share", language=language),
                periods=format_number(float(m.group(2)), "number", language=language),
            )
        elif m := re.fullmatch(r"lifetime ([\d.]+) years \(configured\)", part):
            part = _("lifetime {years} years (configured)").format(
                years=format_number(float(m.group(1)), "number", language=language))  # fmt: skip
        elif (m := re.fullmatch(r"spend of (.+)", part)) and part != "spend of every channel":
            part = _("spend of {channels}").format(channels=m.group(1))
        elif m := re.fullmatch(r"gross margin (\d+)% applied", part):
            part = _("gross margin {margin} applied").format(
                margin=format_number(int(m.group(1)) / 100, "lift", language=language).lstrip("+")
            )
        else:
            part = _(part)
        parts.append(part)
    return "; ".join(dict.fromkeys(parts))


def weights_table(settings: Any, quiet: list[str], language: str) -> pd.DataFrame:
    """The touchpoint weights of ``client.config.accounts``: event (or pattern) and weight."""
    _ = partial(gettext, language=language)
    rows = [(str(p), format_number(float(w), "number", language=language))
            for p, w in settings.weights.items()]  # fmt: skip
    rows.append((_("any other event"), format_number(float(settings.other_events_weight),
                                                       "number", language=language)))  # fmt: skip
    if quiet:
        rows.append((", ".join(quiet) + " " + _("(not an interaction)"), "0"))
    return pd.DataFrame(rows, columns=[_("Event (name or pattern)"), _("Weight")])


def _interval(low: float, high: float, unit: str, language: str, currency: str) -> str:
    if pd.isna(low) or pd.isna(high):
        return "–"
    return f"{format_value(low, unit, currency, language=language)} – " + format_value(
        high, unit, currency, language=language
    )


def _change(row: pd.Series, language: str, currency: str = "") -> str:
    """The change in words: by how much, and whether it is significant."""
    _ = partial(gettext, language=language)
    if row["verdict"] == NO_EARLIER:
        return no_earlier_text(language)
    if pd.isna(row["change"]):
        return "–"
    if row["unit"] == "share":
        by = format_number(row["change"], "points", language=language)
    elif pd.notna(row["relative_change"]):
        by = format_number(row["relative_change"], "lift", language=language)
    else:  # from zero: no relative change, the absolute one
        sign = "+" if row["change"] > 0 else ""
        by = sign + format_value(row["change"], row["unit"], currency, language=language)
    verdict = str(row["verdict"])
    return f"{by}: {_(_VERDICTS.get(verdict, verdict))}"


def metrics_table(changes: pd.DataFrame, language: str, currency: str) -> pd.DataFrame:
    """Each account metric before and now, its 95% interval, the change in words and a note.

    A metric with no value shows "–" and its note (what is missing), never a zero.
    """
    _ = partial(gettext, language=language)

    def value(v: float, unit: str) -> str:
        return format_value(v, unit, currency, language=language)

    rows = []
    for _i, row in changes.iterrows():
        earlier = row["verdict"] != NO_EARLIER
        notes = [n for n in str(row["note"] or "").split("; ") if n and n != no_earlier_text(
            language) and n != NO_EARLIER]  # fmt: skip
        rows.append({
            _("Metric"): row["name"],
            _("Before"): value(row["previous_value"], row["unit"]) if earlier
            else no_earlier_text(language),
            _("Now"): value(row["value"], row["unit"]),
            _("95% interval (now)"): _interval(row["ci_low"], row["ci_high"], row["unit"],
                                              language, currency),
            _("Change"): _change(row, language, currency),
            _("p, adjusted"): format_p(row["p_value_adjusted"], language=language),
            _("Note"): note_text("; ".join(notes), language),
        })  # fmt: skip
    return pd.DataFrame(rows)


def _share_cell(value: float, low: float, high: float, language: str) -> str:
    if pd.isna(value):
        return "–"
    share = partial(format_number, unit="share", language=language)
    return f"{share(value)} ({share(low)} – {share(high)})"


def funnel_table(funnel: pd.DataFrame, language: str) -> pd.DataFrame:
    """The account funnel: accounts per step, share of the target list and step pass rate."""
    _ = partial(gettext, language=language)
    return pd.DataFrame({
        _("Step"): [step_label(s, language) for s in funnel["step"]],
        _("Target accounts at the step"): [format_count(v, language) for v in funnel["accounts"]],
        _("Share of the target list (step / target accounts), 95% interval"): [
            _share_cell(v, lo, hi, language) for v, lo, hi in zip(
                funnel["share_of_first"], funnel["share_of_first_ci_low"],
                funnel["share_of_first_ci_high"], strict=True)],
        _("Pass rate (step / step before), 95% interval"): [
            _share_cell(v, lo, hi, language) for v, lo, hi in zip(
                funnel["share_of_previous"], funnel["share_of_previous_ci_low"],
                funnel["share_of_previous_ci_high"], strict=True)],
        _("Lost since the step before"): [format_count(v, language) for v in funnel["dropped"]],
    })  # fmt: skip


def group_name(column: str, segment: object, language: str) -> str:
    """A group of accounts in words ("Tier 3 accounts"); the no-value group translated."""
    text = none_label(column, language) if str(segment) == NONE else str(segment)
    template = _GROUPS.get(column, "Accounts with {column} {segment}")
    return gettext(template, language).format(segment=text, column=gettext(column, language))


def funnel_by_table(funnel: pd.DataFrame, by: str, language: str) -> pd.DataFrame:
    """Per group: target accounts at each step and the step pass rates (step / step before)."""
    _ = partial(gettext, language=language)
    steps = ("target", "engaged", "opportunity", "won")
    rows = []
    for group, part in funnel.groupby(by, sort=False):
        part = part.set_index("step").reindex(list(steps))
        row = {_(by.capitalize()): none_label(by, language) if group == NONE else str(group)}
        for step in steps:
            row[step_label(step, language)] = format_count(part.loc[step, "accounts"], language)
        for step, before in zip(steps[1:], steps[:-1], strict=True):
            rate = part.loc[step, "share_of_previous"]
            header = f"{step_label(step, language)} / {step_label(before, language)}"
            row[header] = "–" if pd.isna(rate) else format_number(rate, "share", language=language)
        rows.append(row)
    return pd.DataFrame(rows)


def finding_text(row: pd.Series, language: str) -> str:
    """One significant segment test in words, with its numbers and what to do.

    ``row`` is a row of :func:`funnelkit.funnel.accounts.account_funnel_tests` with a flag.
    """
    _ = partial(gettext, language=language)
    share = partial(format_number, unit="share", language=language)
    points = partial(format_number, unit="points", language=language)
    group = group_name(str(row["column"]), row["segment"], language)
    move = _(_MOVES[(str(row["step"]), str(row["flag"]))]).format(group=group)
    numbers = _(
        "{rate} vs {rest} ({step} / {previous}; {n} accounts in the group at the step before; "
        "difference {diff}, 95% interval {low} to {high}); significant after Holm's correction "
        "(adjusted p {p})."
    ).format(
        rate=share(row["rate"]), rest=share(row["rest_rate"]),
        step=step_label(row["step"], language),
        previous=step_label(_previous(str(row["step"])), language),
        n=format_count(row["users_previous"], language), diff=points(row["abs_diff"]),
        low=points(row["abs_ci_low"]), high=points(row["abs_ci_high"]),
        p=format_p(row["p_value_adjusted"], language=language),
    )  # fmt: skip
    return f"{move}: {numbers} **{_('What to do:')}** {finding_parts(row, language)['action']}"


def finding_parts(row: pd.Series, language: str) -> dict[str, str]:
    """A significant test as the front page lists it: a short title and what to do."""
    group = group_name(str(row["column"]), row["segment"], language)
    move = gettext(_MOVES[(str(row["step"]), str(row["flag"]))], language).format(group=group)
    share = partial(format_number, unit="share", language=language)
    advice = _ADVICE.get((str(row["step"]), str(row["flag"])), _ADVICE["over"])
    return {
        "title": gettext("{move}: {rate} vs {rest}", language).format(
            move=move, rate=share(row["rate"]), rest=share(row["rest_rate"])
        ),
        "action": gettext(advice, language),
    }


def _previous(step: str) -> str:
    order = ["target", "engaged", "opportunity", "won"]
    return order[max(order.index(step) - 1, 0)] if step in order else step
