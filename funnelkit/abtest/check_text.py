"""The checks in words: the sentence a client reads beside each check's status.

:mod:`funnelkit.abtest.checks` counts and decides; the functions here word its findings in the
report's current language (:func:`funnelkit.core.i18n.current_language`), with counts, shares
and p-values formatted for that language. The Russian comes from the ``abtest.po`` catalogue.
"""

from __future__ import annotations

from datetime import date

import pandas as pd

from ..core.formatting import format_number
from ..core.i18n import current_language, gettext

__all__ = [
    "end_date_detail",
    "outside_period_detail",
    "sample_size_detail",
    "sequential_stop_detail",
    "several_variants_detail",
    "srm_detail",
    "unplanned_variant_detail",
    "window_detail",
]


def _pct(x: float) -> str:
    return format_number(x, "share", language=current_language())


def _n(x: float) -> str:
    """A count in the report's language (``1,943`` / ``1 943``)."""
    return format_number(x, "count", language=current_language())


def _decimal(x: float) -> str:
    """A statistic with two decimals in the report's language (``40.00`` / ``40,00``)."""
    text = f"{x:.2f}"
    return text.replace(".", ",") if current_language() == "ru" else text


def _t(message: str) -> str:
    """``message`` in the report's current language (the detail column is read by a client)."""
    return gettext(message)


def unplanned_variant_detail(error: Exception) -> str:
    """The SRM detail when the data hold a variant that ``planned_split`` does not name."""
    return f"{error} " + _t("The verdict is withheld.")


def srm_detail(srm: pd.DataFrame, blocking: bool) -> str:
    """The SRM sentence: observed against planned split, chi-square, p and what it means.

    Parameters
    ----------
    srm
        The frame of :func:`funnelkit.abtest.checks.srm_frame`.
    blocking
        Whether the mismatch withholds the verdict (p below the SRM threshold).

    Examples
    --------
    >>> srm = pd.DataFrame({"variant": ["a", "b"], "share": [0.5, 0.5],
    ...     "expected_share": [0.5, 0.5], "statistic": [0.0, 0.0], "df": [1, 1],
    ...     "p_value": [1.0, 1.0]})
    >>> print(srm_detail(srm, blocking=False))
    Users split 50.0% / 50.0% (a / b) against a planned 50.0% / 50.0% (chi-square = 0.00, df = 1, p = 1): a difference this small is normal chance, the split is healthy.
    """  # noqa: E501
    values = {
        "observed": " / ".join(_pct(s) for s in srm["share"]),
        "planned": " / ".join(_pct(s) for s in srm["expected_share"]),
        "variants": " / ".join(srm["variant"]),
        "p": format_number(float(srm["p_value"].iloc[0]), "p", language=current_language()),
        "chi2": _t("chi-square = {statistic}, df = {df}").format(
            statistic=_decimal(srm["statistic"].iloc[0]), df=int(srm["df"].iloc[0])
        ),
    }
    if blocking:
        return _t(
            "Users split {observed} ({variants}) against a planned {planned} ({chi2}, p "
            "{p}): a sample ratio mismatch (SRM), more than chance explains. Users "
            "were not assigned as planned (often a logging, redirect or bot-filter bug), so "
            "the groups may differ in more than the change tested; the verdict is withheld. "
            "Find and fix the cause, then rerun the test."
        ).format(**values)
    return _t(
        "Users split {observed} ({variants}) against a planned {planned} ({chi2}, p {p}): "
        "a difference this small is normal chance, the split is healthy."
    ).format(**values)


def sample_size_detail(planned: int | None, smallest: int = 0, left: int = 0) -> str:
    """The sample-size sentence: none planned, still ``left`` users to go, or reached."""
    if planned is None:
        return _t(
            "No sample size was planned before the test, so stopping too early cannot be detected."
        )
    if left:
        return _t(
            "Not yet conclusive: the smallest variant has {smallest} of the {planned} "
            "users planned per variant; {left} more are needed before the result can be "
            "read."
        ).format(smallest=_n(smallest), planned=_n(planned), left=_n(left))
    return _t("The planned {planned} users per variant are reached.").format(planned=_n(planned))


def end_date_detail(planned: date | None, end: date | None = None, days_left: int = 0) -> str:
    """The end-date sentence: none planned, ``days_left`` days to go, or reached."""
    if planned is None:
        return _t("No end date was planned before the test.")
    if days_left > 0:
        return _t(
            "Not yet conclusive: the test is planned to run until {planned}, and the data "
            "end on {end}; {left} more day(s) are needed."
        ).format(planned=planned, end=end, left=days_left)
    return _t("The planned end date ({planned}) is reached.").format(planned=planned)


def several_variants_detail(several: int, total: int) -> str:
    """The sentence on users logged in more than one variant (excluded)."""
    if not several:
        return _t("No user was logged in more than one variant.")
    return _t(
        "{n} users ({share} of those assigned) were logged in more than one variant; "
        "they are excluded from every number below."
    ).format(n=_n(several), share=_pct(several / total))


def window_detail(*, final: bool, incomplete: int, total: int, window: float, end: date) -> str:
    """The outcome-window sentence: final outcomes, users left out, or every window complete."""
    if final:
        return _t(
            "The outcomes are final values on each user's row of the assignments file: no "
            "outcome window, so no user is left out for one."
        )
    if incomplete:
        return _t(
            "{n} users ({share}) were assigned less than {days} days before the data end "
            "({end}), so the time in which their purchase would count is not over yet; they are "
            "left out, because counting them would understate conversion. Later data will "
            "include them."
        ).format(n=_n(incomplete), share=_pct(incomplete / total), days=f"{window:g}", end=end)
    return _t("Every user's {days}-day outcome window lies within the data.").format(
        days=f"{window:g}"
    )


def outside_period_detail(after: int, before: int, period_start: date | None) -> str:
    """The sentence on users assigned after the period (excluded) or before it (kept)."""
    parts = []
    if after:
        parts.append(
            _t("{n} users were assigned after the analysis period and are excluded").format(
                n=_n(after)
            )
        )
    if before:
        parts.append(
            _t(
                "{n} users were assigned before the period started ({start}); they are kept, as "
                "the experiment started earlier"
            ).format(n=_n(before), start=period_start)
        )
    if not parts:
        return _t("Every assignment is within the analysis period.")
    text = "; ".join(parts)
    return text[:1].upper() + text[1:] + "."


def sequential_stop_detail(check: str, lowest: float, alpha: float, left: float) -> str:
    """Why a peeking warning is lifted: the mSPRT boundary was crossed with ``left`` to go.

    ``check`` is ``sample_size`` (``left`` users) or ``end_date`` (``left`` days).
    """
    language = current_language()
    stopped = _t(
        "Stopped early by the sequential test (one designed to be checked every day): its "
        "p-value ({lowest}) crossed the boundary ({alpha}) and stays valid however often the "
        "test was looked at, so the result can be read now,"
    ).format(
        lowest=format_number(lowest, "p", language=language).lstrip("= "),
        alpha=format_number(alpha, "count", language=language),
    )
    still = {"sample_size": "{n} users per variant before the planned size.",
             "end_date": "{n} day(s) before the planned end date."}[check]  # fmt: skip
    return f"{stopped} {_t(still).format(n=_n(round(left)))}"
