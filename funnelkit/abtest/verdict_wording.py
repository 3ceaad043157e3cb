"""A verdict in words: the English and Russian sentences for one comparison and its decision.

:func:`verdict_text` words a decision of :func:`funnelkit.abtest.verdict.decide`: the values in
both groups, the difference with its interval and p-value, what a test that is not yet
conclusive still needs, and what to do. The Russian comes from the ``abtest.po`` catalogue.
"""

from __future__ import annotations

import pandas as pd

from ..core.i18n import gettext
from .checks import PEEKING_CHECKS
from .wording import METRICS, alpha_text, fmt, interval, metric_names

__all__ = ["verdict_text"]


def _numbers(row: pd.Series, language: str, currency: str) -> dict[str, str]:
    """The values, the difference with its interval and p, and the detectable size, as text.

    A rate's difference is in percentage points (its Newcombe interval), with the relative
    lift beside it; a mean's difference is the relative lift with its interval.
    """
    unit = METRICS.get(row["metric"], {}).get("unit") or _unit(row)
    f = lambda v, u=unit: fmt(v, u, language, currency)  # noqa: E731
    p = row.get("p_value_adjusted")
    p = row["p_value"] if p is None or pd.isna(p) else p
    level = alpha_text(1 - row["alpha"], language).replace("\u00a0", "")
    adjusted = row.get("adjust_method") not in (None, "none") and row.get("comparisons", 1) > 1
    absolute = [row.get(c) for c in ("abs_lift", "abs_ci_low", "abs_ci_high")]
    relative = [row.get(c) for c in ("rel_lift", "rel_ci_low", "rel_ci_high")]
    if unit == "share" and not any(v is None or pd.isna(v) for v in absolute):
        diff, low, high = (f(v, "points") for v in absolute)
        if relative[0] is not None and not pd.isna(relative[0]):
            diff = gettext("{diff}, or {lift} relative to control", language).format(
                diff=diff, lift=f(relative[0], "lift")
            )
    elif any(v is None or pd.isna(v) for v in relative[1:]):  # e.g. 0 conversions
        diff_unit = "points" if unit == "share" else unit
        diff, low, high = (f(v, diff_unit) for v in absolute)
    else:
        diff, low, high = (f(v, "lift") for v in relative)
    stats = gettext("{diff}; {level} interval {range}; p {p}", language).format(
        diff=diff, level=level, range=interval(low, high, language), p=f(p, "p")
    )
    if adjusted:
        stats += " " + gettext("after adjusting for the number of comparisons", language)
    mde = row.get("mde_rel")
    if mde is None or pd.isna(mde):
        mde = (row["rel_ci_high"] - row["rel_ci_low"]) / 2
    return {
        "c": f(row["control_value"]),
        "x": f(row["value"]),
        "stats": stats,
        "mde": None if pd.isna(mde) else f(abs(mde), "lift").lstrip("+"),
    }


def _unit(row: pd.Series) -> str:
    """Unit of a metric outside :data:`METRICS` (a secondary goal): its ``unit`` column."""
    unit = row.get("unit")
    return unit if isinstance(unit, str) else "count"


def _names(row: pd.Series, goal: str | None) -> dict[str, str]:
    """The metric's names; an outcome column outside :data:`METRICS` says what it is per user."""
    metric = row["metric"]
    if metric in METRICS or metric.startswith("conversion:"):
        return metric_names(metric, goal)
    if _unit(row) == "share":
        ru = f"«{metric}» (пользователи с ним / пользователи группы)"
        return {"en": f'"{metric}" (users with it / users in the group)', "ru": ru, "ru_acc": ru}
    ru = f"«{metric}» на пользователя"
    return {"en": f'"{metric}" per user', "ru": ru, "ru_acc": ru}


def _plural_ru(n: int, one: str, few: str, many: str) -> str:
    """The Russian plural form for ``n`` (1 день, 2 дня, 5 дней)."""
    if n % 10 == 1 and n % 100 != 11:
        return one
    if 2 <= n % 10 <= 4 and not 12 <= n % 100 <= 14:
        return few
    return many


def _left(checks: pd.DataFrame, language: str) -> str:
    """What a test that is not yet conclusive still needs: users, days, or both."""
    left = checks[checks["check"].isin(PEEKING_CHECKS) & (checks["status"] != "ok")]
    parts = []
    for item in left.itertuples():
        n = int(item.value)
        if item.check == "sample_size":
            msg = "{n} more users per variant are needed" if n != 1 else (
                "{n} more user per variant is needed")  # fmt: skip
            parts.append(gettext(msg, language).format(n=fmt(n, "count", language)))
        elif language == "ru":
            word = _plural_ru(n, "день", "дня", "дней")
            verb = "остался" if word == "день" else "осталось"
            parts.append(f"до запланированной даты окончания {verb} {n} {word}")
        else:
            parts.append(f"{n} more day{'s' if n != 1 else ''} until the planned end date")
    return "; ".join(parts)


def _text(row, decision, checks, *, goal, currency, guardrail, language) -> str:
    """The verdict for one comparison in one language (see :func:`verdict_text`)."""
    _ = lambda message: gettext(message, language)  # noqa: E731
    ru = language == "ru"
    v, ctl = row["variant"], row["control"]
    names = _names(row, goal)
    name, name_acc = (names["ru"], names["ru_acc"]) if ru else (names["en"], names["en"])
    n = _numbers(row, language, currency)
    role = row.get("role", "goal")
    srm = checks[checks["check"] == "srm"]
    srm_ok = not srm.empty and srm["status"].iloc[0] == "ok"
    split = " " + _("Users were split between the groups as planned.") if srm_ok else ""
    values = {"v": v, "ctl": ctl, "name": name, "name_acc": name_acc, "c": n["c"], "x": n["x"],
              "stats": n["stats"], "split": split}  # fmt: skip
    if decision == "withheld" and role != "goal":
        return _(
            "Observed {name}: {c} in {ctl}, {x} in {v}; not comparable while the groups are not "
            "split as planned."
        ).format(**values)
    if decision == "withheld":
        blocked = checks[checks["status"] == "blocking"].iloc[0]
        p = blocked["value"]
        srm_p = f"; p {fmt(p, 'p', language)}" if not pd.isna(p) else ""
        return _(
            "Verdict withheld: users were not split between the groups as planned (a sample "
            "ratio mismatch, SRM: the group sizes differ from the planned split by more than "
            "chance allows{srm_p}), so the groups may differ in more than the change tested. "
            "Observed {name}: {c} in {ctl}, {x} in {v}; do not act on these numbers. Find the "
            "cause (often a logging, redirect or bot-filter bug), fix it and rerun the test."
        ).format(srm_p=srm_p, **values)
    if decision == "not_yet_conclusive":
        return _(
            "Not yet conclusive: so far {name} is {c} in {ctl} and {x} in {v} ({stats}); "
            "{left}. Do not stop the test early or pick a winner now: early results swing, and "
            "stopping at a lucky moment makes false wins more likely."
        ).format(left=_left(checks, language), **values)
    if decision == "guardrail_blocked" and role == "guardrail":
        return _(
            "Guardrail {name} (a metric that must not get worse) got significantly worse in "
            "{v}: {c} in {ctl} against {x} in {v} ({stats}).{split} This blocks shipping {v}."
        ).format(**values)
    if decision in ("ship", "guardrail_blocked"):
        if decision == "guardrail_blocked" and guardrail is not None:
            g = _names(guardrail, goal)
            gn = _numbers(guardrail, language, currency)
            return _(
                "Do not ship {v} as it is: it raised {name_acc} from {c} to {x} ({stats}), but "
                "the guardrail {g} (a metric that must not get worse) got significantly worse "
                "({gc} → {gx}, {gstats}).{split}"
            ).format(g=g["ru" if ru else "en"], gc=gn["c"], gx=gn["x"], gstats=gn["stats"],
                     **values)  # fmt: skip
        if role == "goal":
            return _("Ship {v}: it raised {name_acc} from {c} to {x} ({stats}).{split}").format(
                **values
            )
        return _(
            "Variant {v} raised {name_acc} from {c} to {x} ({stats}).{split} A secondary "
            "metric: it adds to the picture, the goal metric decides."
        ).format(**values)
    if decision == "keep_control":
        if role == "goal":
            return _(
                "Keep {ctl}: variant {v} lowered {name_acc} from {c} to {x} ({stats}).{split}"
            ).format(**values)
        return _(
            "Variant {v} lowered {name_acc} from {c} to {x} ({stats}).{split} A secondary "
            "metric: it adds to the picture, the goal metric decides."
        ).format(**values)
    if pd.isna(row.get("p_value")):
        note = row.get("note")
        note = _(note) if isinstance(note, str) and note else _("too little data")
        return _("Could not compare {name} between {v} and {ctl} ({note}).").format(
            note=note, **values
        )
    text = _(
        "No significant difference in {name}: {c} in {ctl} against {x} in {v} ({stats}).{split}"
    ).format(**values)
    if n["mde"]:
        text += " " + _(
            "With this many users the test can only detect a change of about ±{mde} or more; a "
            "smaller real effect may go unseen."
        ).format(mde=n["mde"])
    if role == "goal":
        text += " " + _("Keep {ctl}, or run the test longer if a smaller effect matters.").format(
            **values
        )
    return text


def verdict_text(
    row: pd.Series,
    decision: str,
    checks: pd.DataFrame,
    *,
    goal: str | None = None,
    currency: str = "EUR",
    guardrail: pd.Series | None = None,
) -> tuple[str, str]:
    """The English and Russian sentences for one comparison row and its decision.

    Parameters
    ----------
    row
        One comparison (metric, role, variant, control, value, control_value, abs_lift,
        abs_ci_low, abs_ci_high, rel_lift, rel_ci_low, rel_ci_high, p_value,
        p_value_adjusted, alpha, optional mde_rel).
    decision
        From :func:`~funnelkit.abtest.verdict.decide`.
    checks
        The experiment's checks (for the split sentence, the SRM p-value and what is left).
    goal
        The goal event, to name conversion ("conversion to purchase (buyers / users in the
        group)").
    currency
        ISO code for money metrics.
    guardrail
        For a goal blocked by a guardrail: that guardrail's comparison row.

    Returns
    -------
    tuple of str
        ``(text_en, text_ru)``; the Russian comes from the ``abtest.po`` catalogue.
    """
    options = {"goal": goal, "currency": currency, "guardrail": guardrail}
    return (
        _text(row, decision, checks, language="en", **options),
        _text(row, decision, checks, language="ru", **options),
    )
