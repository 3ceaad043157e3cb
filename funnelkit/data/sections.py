"""The parts of ``client.yaml`` under its top level: period, stages, metrics, funnel, experiments.

Each is a strict pydantic model (unknown keys are errors) that checks its own values;
:class:`~funnelkit.data.config.ClientConfig` puts them together, and :mod:`funnelkit.data.config`
re-exports them. Where each export lies (``data.<table>``) is :mod:`funnelkit.data.inputs`.
"""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import Field, field_validator, model_validator

from ..core.patterns import check_pattern
from .inputs import Strict, TableSource

__all__ = [
    "DEFAULT_TOUCHPOINT_WEIGHTS",
    "STAGE_NAMES",
    "AccountsConfig",
    "ExclusionConfig",
    "ExperimentConfig",
    "FunnelConfig",
    "MetricsConfig",
    "Period",
    "StageConfig",
]

#: The journey stages, in order; the only keys allowed under ``stages``.
STAGE_NAMES = ("awareness", "consideration", "purchase", "retention", "advocacy")


class Period(Strict):
    """The analysis period, both ends inclusive, in the client's time zone."""

    start: date
    end: date

    @model_validator(mode="after")
    def _ordered(self) -> Period:
        if self.end < self.start:
            raise ValueError(
                f"period.end ({self.end}) is before period.start ({self.start}); swap them"
            )
        return self

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


class StageConfig(Strict):
    """One journey stage: which events and sources belong to it, and its key metric.

    ``events`` holds exact event names, glob patterns (``view_*``) or regular expressions
    written ``re:^view_(item|list)$``. A stage left out of ``client.yaml`` takes the
    business-type preset (see :mod:`funnelkit.stages`).
    """

    events: list[str] = Field(
        default_factory=list, description="Event names, glob patterns or 're:' regexes."
    )
    sources: list[Literal["orders", "leads", "nps"]] = Field(default_factory=list)
    key_metric: str | None = None
    target: float | None = Field(
        default=None, description="Target value of the key metric (in its own unit)."
    )

    @field_validator("events")
    @classmethod
    def _valid_patterns(cls, value: list[str]) -> list[str]:
        return [check_pattern(pattern) for pattern in value]


class MetricsConfig(Strict):
    """Definitions the metric catalogue needs and cannot guess from the data."""

    page_view_event: str = Field(default="page_view", description="Event name of a page view.")
    non_interaction_events: list[str] = Field(
        default_factory=lambda: ["session_start"],
        description="Events that are not an interaction (a session with only these and one "
        "page view is a bounce).",
    )
    lead_events: list[str] = Field(
        default_factory=lambda: ["generate_lead", "sign_up"],
        description="Events that are marketing conversions (a form sent, a sign-up).",
    )
    conversion_events: list[str] = Field(
        default_factory=lambda: ["purchase"],
        description="Events besides lead_events that make a session engaged (e.g. purchase).",
    )
    attribution: Literal["first_touch", "last_touch"] = Field(
        default="first_touch", description="How customers and revenue are credited to channels."
    )
    gross_margin: float | None = Field(
        default=None, gt=0, le=1, description="Gross margin share for ROMI, CLV and payback."
    )
    customer_lifetime_years: float | None = Field(
        default=None, gt=0, description="Average relationship length for CLV (else estimated)."
    )


#: What each kind of touchpoint weighs in an account's engagement score, by default: a demo or a
#: quote request says far more about buying intent than a page view. Event names, glob patterns
#: or 're:' regexes; the first that matches an event decides its weight.
DEFAULT_TOUCHPOINT_WEIGHTS: dict[str, float] = {
    "request_demo": 10,
    "request_quote": 10,
    "generate_lead": 5,
    "webinar*": 5,
    "file_download": 3,
    "email_click": 2,
    "email_open": 1,
    "social_*": 1,
    "page_view": 1,
}


class AccountsConfig(Strict):
    """Account-based marketing: what counts as an engaged account and what a touchpoint weighs.

    A touchpoint is an event of a contact of the account (``events.account_id``) other than the
    non-interaction events (``metrics.non_interaction_events``). Its weight is that of the first
    pattern of ``weights`` the event matches, else ``other_events_weight``.

    Examples
    --------
    >>> AccountsConfig().engaged_touchpoints, AccountsConfig().weights["request_demo"]
    (3, 10)
    """

    engaged_touchpoints: int = Field(
        default=3,
        ge=1,
        description="An account is engaged with at least this many touchpoints in the period.",
    )
    weights: dict[str, float] = Field(
        default_factory=lambda: dict(DEFAULT_TOUCHPOINT_WEIGHTS),
        description="Event name, glob or 're:' regex -> weight in the engagement score; "
        "replaces the default weights when given.",
    )
    other_events_weight: float = Field(
        default=1, ge=0, description="Weight of a touchpoint no pattern of `weights` matches."
    )
    spend_channels: list[str] | None = Field(
        default=None,
        description="The channels (as in spend.channel) whose spend is account-based "
        "marketing, for CAC per account; default: all the period's spend.",
    )
    opportunity: Literal["sql", "mql"] = Field(
        default="sql",
        description="The lead stage that makes an account an opportunity: 'sql' (sales "
        "accepted it) or 'mql' for CRMs without an SQL date.",
    )

    @field_validator("weights")
    @classmethod
    def _valid_weights(cls, value: dict[str, float]) -> dict[str, float]:
        for pattern, weight in value.items():
            check_pattern(pattern)
            if not weight >= 0:
                raise ValueError(
                    f"touchpoint weight of {pattern!r} is {weight}; weights are 0 or more "
                    "(0 leaves the event out of the score and the touchpoint count)"
                )
        return value


class ExclusionConfig(Strict):
    """An event that voids a funnel attempt when it happens between two steps."""

    event: str = Field(description="Event name, glob pattern or 're:' regex.")

    @field_validator("event")
    @classmethod
    def _valid_pattern(cls, value: str) -> str:
        return check_pattern(value)

    between: tuple[int, int] = Field(description="Step numbers (1-based), e.g. [2, 3].")

    @model_validator(mode="after")
    def _ordered_steps(self) -> ExclusionConfig:
        first, second = self.between
        if not 1 <= first < second:
            raise ValueError(
                f"exclusion `between` must be two step numbers with 1 <= first < second, "
                f"got {list(self.between)}"
            )
        return self


class FunnelConfig(Strict):
    steps: list[str] = Field(
        default_factory=list, description="Event names, glob patterns or 're:' regexes."
    )
    conversion_window_days: float = Field(default=7, gt=0)
    window_from: Literal["first_step", "previous_step"] = "first_step"
    order: Literal["ordered", "strict", "any"] = "ordered"
    entry: Literal["all", "first"] = "all"
    unit: Literal["user", "session"] = "user"
    exclusions: list[ExclusionConfig] = Field(default_factory=list)
    segments: list[str] = Field(default_factory=list)
    min_segment_users: int = Field(
        default=100, ge=1, description="Segments smaller than this at a step are never flagged."
    )

    @field_validator("steps")
    @classmethod
    def _valid_steps(cls, value: list[str]) -> list[str]:
        return [check_pattern(pattern) for pattern in value]

    @model_validator(mode="after")
    def _exclusions_within_steps(self) -> FunnelConfig:
        for exclusion in self.exclusions:
            if self.steps and exclusion.between[1] > len(self.steps):
                raise ValueError(
                    f"exclusion of {exclusion.event!r} refers to step {exclusion.between[1]}, "
                    f"but the funnel has {len(self.steps)} steps"
                )
        return self


class ExperimentConfig(Strict):
    """One A/B test: its variants, goal and plan, and the shape its data arrive in.

    Three shapes: assignments joined with ``events``/``orders`` over an outcome window (the
    default); ``outcomes`` that are columns of the assignments file (one final value per user:
    no window); or a per-variant ``summary`` file (users, conversions, sums).

    Examples
    --------
    >>> ExperimentConfig(name="gate", control="gate_30", goal="retention_7",
    ...                  outcomes={"retention_7": "share", "sum_gamerounds": "mean"}).goal
    'retention_7'
    """

    name: str
    control: str = "control"
    goal: str = Field(
        default="purchase",
        description="Goal event name, glob pattern or 're:' regex, or 'revenue'/'orders'; "
        "with `outcomes`, one of their `share` columns. It alone decides the verdict.",
    )
    secondary_goals: list[str] = Field(
        default_factory=list,
        description="More goals (event names or patterns, or `outcomes` columns), reported "
        "with Holm's adjustment across them; never a verdict on their own.",
    )
    outcomes: dict[str, Literal["share", "mean"]] = Field(
        default_factory=dict,
        description="Outcome columns of the assignments file: 'share' for a 0/1 or TRUE/FALSE "
        "flag, 'mean' for a number per user (revenue, rounds played). Final values: no window.",
    )
    segments: list[str] = Field(
        default_factory=list,
        description="Columns of the assignments file (country, device …): the goal's effect per "
        "segment, and a test of whether it differs between segments.",
    )
    summary: TableSource | None = Field(
        default=None,
        description="A per-variant export (variant, users, conversions, optional revenue_sum, "
        "revenue_sum_sq …) analysed instead of user-level data.",
    )
    guardrails: list[str] = Field(default_factory=list)
    planned_split: dict[str, float] | None = None
    planned_users_per_variant: int | None = Field(default=None, gt=0)
    end_date: date | None = None
    outcome_window_days: float = Field(
        default=7, gt=0, description="Days after the assignment, both ends inclusive."
    )
    alpha: float = Field(default=0.05, gt=0, lt=1)
    alternative: Literal["two-sided", "larger", "smaller"] = "two-sided"
    sequential_tau: float | None = Field(
        default=None,
        gt=0,
        description="Spread of the effects you expect, on the difference scale, e.g. your MDE "
        "(0.005 is half a percentage point of conversion); turns on the always-valid mSPRT "
        "p-value for teams that look every day.",
    )

    @field_validator("goal")
    @classmethod
    def _valid_goal(cls, value: str) -> str:
        return check_pattern(value)

    @field_validator("secondary_goals")
    @classmethod
    def _valid_secondary(cls, value: list[str]) -> list[str]:
        return [check_pattern(goal) for goal in value]

    @field_validator("planned_split")
    @classmethod
    def _split_positive(cls, value: dict[str, float] | None) -> dict[str, float] | None:
        if value is not None and (not value or any(v <= 0 for v in value.values())):
            raise ValueError("planned_split needs a positive share per variant, e.g. {a: 1, b: 1}")
        return value

    @model_validator(mode="after")
    def _consistent_shape(self) -> ExperimentConfig:
        where = f"experiment {self.name!r}"
        if self.summary is not None and (self.outcomes or self.segments or self.secondary_goals):
            raise ValueError(
                f"{where}: a per-variant `summary` has no user rows, so it cannot have "
                "`outcomes`, `segments` or `secondary_goals`; remove them or the summary"
            )
        if self.goal in self.secondary_goals:
            raise ValueError(
                f"{where}: {self.goal!r} is both the goal and a secondary goal; list it once"
            )
        if self.outcomes:
            if self.outcomes.get(self.goal) != "share":
                shares = [c for c, kind in self.outcomes.items() if kind == "share"]
                raise ValueError(
                    f"{where}: with `outcomes`, the goal must be one of its 'share' columns "
                    f"{shares}, got {self.goal!r}; set `goal:` to one of them (a 'mean' column "
                    "can be a secondary goal)"
                )
            unknown = [g for g in self.secondary_goals if g not in self.outcomes]
            if unknown:
                raise ValueError(
                    f"{where}: secondary goal(s) {unknown} are not in `outcomes` "
                    f"{sorted(self.outcomes)}; declare them there (share or mean)"
                )
        elif any(g in ("revenue", "orders") for g in self.secondary_goals):
            raise ValueError(
                f"{where}: revenue and orders per user are always compared; "
                "`secondary_goals` takes goal events (names or patterns)"
            )
        return self
