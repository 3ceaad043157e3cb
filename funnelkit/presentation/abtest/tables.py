"""The A/B chapter's tables: the comparisons, the secondary goals and the results by segment.

Formatting only: every number comes from the frames of
:class:`~funnelkit.abtest.experiment.ExperimentResult` (``comparisons``, ``segments``); column
names and words are in the client's language (``en`` / ``ru``).
"""

from __future__ import annotations

import pandas as pd

from ...abtest.goals import SECONDARY_ROLE
from ...abtest.row_outcomes import MISSING_SEGMENT
from ...abtest.wording import METRICS, alpha_text, fmt as clean_fmt, interval, metric_names
from ...core.formatting import format_count, format_number

__all__ = ["DECISION_WORDS", "RESULT_HEADERS", "SEGMENT_HEADERS", "TEST_NAMES",
           "comparison_rows", "decision_word", "secondary_table", "segments_table"]  # fmt: skip

#: Column names of :func:`~funnelkit.presentation.abtest.display.results_table` ("{ci}" is the
#: confidence level, e.g. 95%; "{control}" the control group's name).
RESULT_HEADERS = {
    "en": {"metric": "metric", "variant": "variant", "control": "control value ({control})",
           "value": "variant value", "lift": "change against control",
           "ci": "{ci} interval of the change", "p": "p", "statistic": "test statistic",
           "yates": "p, chi-square with Yates' correction", "test": "test",
           "decision": "decision", "p_holm": "p, adjusted across secondary goals (Holm)"},
    "ru": {"metric": "метрика", "variant": "вариант", "control": "значение контроля ({control})",
           "value": "значение варианта", "lift": "изменение к контролю",
           "ci": "{ci} интервал изменения", "p": "p",
           "statistic": "статистика критерия", "yates": "p, хи-квадрат с поправкой Йейтса",
           "test": "критерий", "decision": "решение",
           "p_holm": "p с поправкой на число дополнительных целей (метод Холма)"},
}  # fmt: skip
#: Column names of :func:`segments_table` ("{ci}": the confidence level).
SEGMENT_HEADERS = {
    "en": {"segment": "segment", "level": "value", "variant": "variant",
           "users": "users: variant / control", "value": "variant: converted ÷ users",
           "control_value": "control: converted ÷ users", "diff": "difference",
           "ci": "{ci} CI of the difference", "p": "p (not adjusted)"},
    "ru": {"segment": "сегмент", "level": "значение", "variant": "вариант",
           "users": "пользователи: вариант / контроль",
           "value": "вариант: дошедшие ÷ пользователи",
           "control_value": "контроль: дошедшие ÷ пользователи", "diff": "разница",
           "ci": "{ci} дов. интервал разницы", "p": "p (без поправки)"},
}  # fmt: skip
_MISSING = {"en": "(not recorded)", "ru": "(не записано)"}
_ROLES = {"en": {"goal": " — goal", "guardrail": " — guardrail",
                 "secondary_goal": " — secondary goal"},
          "ru": {"goal": " — цель", "guardrail": " — защитная метрика",
                 "secondary_goal": " — дополнительная цель"}}  # fmt: skip
#: Each decision in a word or two, as the tables show it.
DECISION_WORDS = {
    "en": {"ship": "ship the variant", "keep_control": "keep the control",
           "no_difference": "no significant difference", "withheld": "withheld: split broken",
           "not_yet_conclusive": "not yet conclusive", "guardrail_blocked":
           "blocked by a guardrail", "error": "not analysed"},
    "ru": {"ship": "внедрять вариант", "keep_control": "оставить контроль",
           "no_difference": "значимой разницы нет",
           "withheld": "вывод отложен: группы разбиты неверно",
           "not_yet_conclusive": "пока рано делать вывод",
           "guardrail_blocked": "остановлено защитной метрикой", "error": "не проанализирован"},
}  # fmt: skip
#: What the ``statistic`` of each test is, as the results table names it.
_STATISTICS = {"z_pooled": ("z", "z"), "chi2_yates": ("χ²", "χ²"), "welch_t": ("t", "t"),
               "fisher_exact": ("odds ratio", "отношение шансов")}  # fmt: skip
#: Each test's name for a reader.
TEST_NAMES = {
    "en": {"z_pooled": "z-test of two proportions", "chi2_yates": "chi-square test",
           "fisher_exact": "Fisher's exact test", "welch_t": "Welch's t-test"},
    "ru": {"z_pooled": "z-критерий для двух долей", "chi2_yates": "критерий хи-квадрат",
           "fisher_exact": "точный критерий Фишера", "welch_t": "t-критерий Уэлча"},
}  # fmt: skip


def decision_word(decision: str, language: str) -> str:
    """A decision in words (``ship`` -> "ship the variant"; the code itself when unknown)."""
    words = DECISION_WORDS["ru" if language == "ru" else "en"]
    return words.get(decision, str(decision).replace("_", " "))


def _test_numbers(result) -> pd.DataFrame:
    """Per metric and variant: the test's statistic and the Yates chi-square p (NaN if none).

    Taken from the comparisons when they carry them, else from the proportions (conversion).
    """
    wanted = ["statistic", "chi2_yates_p_value"]
    comparisons = result.comparisons
    if all(c in comparisons for c in wanted):
        return comparisons[["metric", "variant", *wanted]]
    props = result.proportions
    if not len(props) or not all(c in props for c in wanted):
        return pd.DataFrame(columns=["metric", "variant", *wanted])
    return props[["variant", *wanted]].assign(metric="conversion")


def _unit(row) -> str:
    """The unit of a metric outside :data:`METRICS`: its ``unit`` column, else by its name."""
    unit = getattr(row, "unit", None)
    if isinstance(unit, str):
        return "share" if unit == "share" else "number"
    return "share" if row.metric.startswith("conversion") else "number"


def _label(row, language: str) -> str:
    """A secondary goal's name for a reader: what its rate divides, or a mean per user."""
    ru = language == "ru"
    if row.metric.startswith("conversion:"):
        return metric_names(row.metric)["ru" if ru else "en"]
    if _unit(row) == "share":
        return (f"{row.metric}: доля (пользователи с ним / пользователи группы)" if ru
                else f"{row.metric}: share (users with it / users in the group)")  # fmt: skip
    return f"{row.metric}: среднее на пользователя" if ru else f"{row.metric}: mean per user"


def _statistic(test: str, value: float, language: str) -> str:
    if pd.isna(value):
        return "–"
    name = _STATISTICS.get(test, ("statistic", "статистика"))[language == "ru"]
    text = f"{value:.2f}".replace("-", "−")
    return f"{name} = {text.replace('.', ',') if language == 'ru' else text}"


def comparison_rows(result, frame: pd.DataFrame, *, language: str) -> pd.DataFrame:
    """Rows of ``frame`` (a part of ``result.comparisons``) as text, one per metric and variant.

    See :func:`~funnelkit.presentation.abtest.display.results_table` for the columns.
    """
    ru = language == "ru"
    names = RESULT_HEADERS["ru" if ru else "en"]
    rows = []
    decisions = result.verdicts.set_index(["metric", "variant"])["decision"]
    tests = _test_numbers(result).set_index(["metric", "variant"])
    goal = result.experiment.goal
    for r in frame.itertuples(index=False):
        spec = METRICS.get(r.metric)
        if spec is None:
            spec = {"unit": _unit(r), "en": _label(r, "en"), "ru": _label(r, "ru")}
        else:
            spec = spec | metric_names(r.metric, goal)
        unit = spec["unit"]
        fmt = lambda v, u=unit: clean_fmt(v, u, language, result.currency)  # noqa: E731
        p = r.p_value_adjusted if not pd.isna(r.p_value_adjusted) else r.p_value
        key = (r.metric, r.variant)
        statistic = tests["statistic"].get(key, float("nan"))
        yates = tests["chi2_yates_p_value"].get(key, float("nan"))
        decision = decisions.get(key, "")
        role = _ROLES["ru" if ru else "en"].get(r.role, "")
        low, high = fmt(r.rel_ci_low, "lift"), fmt(r.rel_ci_high, "lift")
        rows.append({
            names["metric"]: spec["ru" if ru else "en"] + role,
            names["variant"]: r.variant, names["control"].format(control=r.control):
                fmt(r.control_value),
            names["value"]: fmt(r.value), names["lift"]: fmt(r.rel_lift, "lift"),
            names["ci"].format(ci=alpha_text(1 - r.alpha, "en")): interval(low, high, language),
            names["p"]: fmt(p, "p").removeprefix("= "),
            names["statistic"]: _statistic(r.test, statistic, language),
            names["yates"]: "–" if pd.isna(yates) else fmt(yates, "p").removeprefix("= "),
            names["test"]: TEST_NAMES["ru" if ru else "en"].get(r.test,
                                                                 str(r.test).replace("_", " ")),
            names["decision"]: decision_word(decision, language) if decision else "–",
        })  # fmt: skip
    return pd.DataFrame(rows)


def secondary_table(result, *, language: str | None = None) -> pd.DataFrame:
    """The secondary goals, variant against control, with the Holm-adjusted p-value.

    One row per secondary goal and variant: goal, variant, control value, variant value, lift,
    interval, p adjusted with Holm's method across every secondary comparison, test. No
    decision column: secondary goals inform and never decide. Empty without secondary goals.

    Examples
    --------
    >>> from funnelkit.abtest import ExperimentResult
    >>> from funnelkit.data.config import ExperimentConfig
    >>> secondary_table(ExperimentResult(ExperimentConfig(name="x"))).empty
    True
    """
    language = language or result.language
    comparisons = result.comparisons
    if not len(comparisons) or "role" not in comparisons:
        return pd.DataFrame()
    part = comparisons[comparisons["role"] == SECONDARY_ROLE].assign(role="")
    if not len(part):
        return pd.DataFrame()
    names = RESULT_HEADERS["ru" if language == "ru" else "en"]
    rows = comparison_rows(result, part, language=language)
    rows = rows.drop(columns=[names["statistic"], names["yates"], names["decision"]])
    return rows.rename(columns={names["p"]: names["p_holm"]})


def segments_table(result, *, language: str | None = None) -> pd.DataFrame:
    """The goal's effect per segment value: users per arm, rates, difference with interval.

    One row per segment column, value and variant against control: the goal's conversion
    (converted users ÷ users of that value and arm) in both arms, the difference in percentage
    points with its Newcombe interval, and the p-value (not adjusted: exploratory). Column
    names in ``language`` (see :data:`SEGMENT_HEADERS`). Empty without segments.

    Examples
    --------
    >>> from funnelkit.abtest import ExperimentResult
    >>> from funnelkit.data.config import ExperimentConfig
    >>> segments_table(ExperimentResult(ExperimentConfig(name="x"))).empty
    True
    """
    language = language or result.language
    ru = language == "ru"
    names = SEGMENT_HEADERS["ru" if ru else "en"]
    rows = []
    for r in result.segments.itertuples(index=False):
        share = lambda v: clean_fmt(v, "share", language)  # noqa: E731
        points = lambda v: clean_fmt(v, "points", language)  # noqa: E731
        users = " / ".join(format_count(n, language=language) for n in (r.users, r.control_users))
        rows.append({
            names["segment"]: r.segment,
            names["level"]: _MISSING[language if ru else "en"] if r.level == MISSING_SEGMENT
                            else r.level,
            names["variant"]: f"{r.variant} / {r.control}",
            names["users"]: users,
            names["value"]: share(r.value), names["control_value"]: share(r.control_value),
            names["diff"]: points(r.abs_lift),
            names["ci"].format(ci=alpha_text(1 - result.experiment.alpha, "en")):
                interval(points(r.abs_ci_low), points(r.abs_ci_high), language),
            names["p"]: format_number(r.p_value, "p", language=language).removeprefix("= "),
        })  # fmt: skip
    return pd.DataFrame(rows)
