"""``client.yaml``: the one file a consultant fills per client, validated by a schema.

Every problem becomes a :class:`~funnelkit.core.errors.ConfigError` that names the YAML key (or the
file and column), the value received, what is allowed, and the fix. Unknown keys are errors, not
ignored, because a misspelt key silently falling back to a default makes a wrong report.
"""

from __future__ import annotations

import difflib
import re
from datetime import date
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import (
    BaseModel,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from ..core import paths
from ..core.errors import ConfigError
from .formats import check_currency
from .inputs import DataSection, Strict as _Strict, TableSource, check_sources as _check_sources
from .tables import TABLES

__all__ = [
    "ClientConfig",
    "ExclusionConfig",
    "ExperimentConfig",
    "FunnelConfig",
    "MetricsConfig",
    "Period",
    "StageConfig",
    "TableSource",
    "check_sources",
    "load_config",
    "slugify",
]

STAGE_NAMES = ("awareness", "consideration", "purchase", "retention", "advocacy")


class Period(_Strict):
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


class StageConfig(_Strict):
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
        for pattern in value:
            if pattern.startswith("re:"):
                try:
                    re.compile(pattern[3:])
                except re.error as err:
                    raise ValueError(
                        f"{pattern!r} is not a valid regular expression ({err}); fix it or "
                        "write an exact event name or a glob pattern like 'view_*'"
                    ) from None
        return value


class MetricsConfig(_Strict):
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


class ExclusionConfig(_Strict):
    """An event that voids a funnel attempt when it happens between two steps."""

    event: str = Field(description="Event name or glob pattern.")
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


class FunnelConfig(_Strict):
    steps: list[str] = Field(default_factory=list, description="Event names or glob patterns.")
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

    @model_validator(mode="after")
    def _exclusions_within_steps(self) -> FunnelConfig:
        for exclusion in self.exclusions:
            if self.steps and exclusion.between[1] > len(self.steps):
                raise ValueError(
                    f"exclusion of {exclusion.event!r} refers to step {exclusion.between[1]}, "
                    f"but the funnel has {len(self.steps)} steps"
                )
        return self


class ExperimentConfig(_Strict):
    name: str
    control: str = "control"
    goal: str = Field(default="purchase", description="Goal event name, or 'revenue'/'orders'.")
    guardrails: list[str] = Field(default_factory=list)
    planned_split: dict[str, float] | None = None
    planned_users_per_variant: int | None = Field(default=None, gt=0)
    end_date: date | None = None
    outcome_window_days: float = Field(default=7, gt=0)
    alpha: float = Field(default=0.05, gt=0, lt=1)
    alternative: Literal["two-sided", "larger", "smaller"] = "two-sided"

    @field_validator("planned_split")
    @classmethod
    def _split_positive(cls, value: dict[str, float] | None) -> dict[str, float] | None:
        if value is not None and (not value or any(v <= 0 for v in value.values())):
            raise ValueError("planned_split needs a positive share per variant, e.g. {a: 1, b: 1}")
        return value


class ClientConfig(_Strict):
    """A validated ``client.yaml``. Data paths are resolved against ``client_dir``."""

    client: str = Field(min_length=1, description="Client name as shown on the report.")
    slug: str | None = Field(
        default=None, description="Folder name under reports/: lower-case letters, digits, - and _."
    )
    language: Literal["en", "ru"] = "en"
    currency: str = Field(default="EUR", description="ISO 4217 code of every money column.")
    timezone: str = "UTC"
    business_type: Literal["ecommerce", "saas", "b2b", "services"] = "ecommerce"
    period: Period
    data: DataSection = Field(default_factory=DataSection)
    stages: dict[str, StageConfig] = Field(default_factory=dict)
    metrics: MetricsConfig = Field(default_factory=MetricsConfig)
    funnel: FunnelConfig = Field(default_factory=FunnelConfig)
    experiments: list[ExperimentConfig] = Field(default_factory=list)
    parameters: dict[str, dict[str, Any]] = Field(
        default_factory=dict, description="Notebook name -> parameter overrides."
    )
    client_dir: Path = Field(default=Path("."), exclude=True)
    config_file: Path | None = Field(default=None, exclude=True)

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                f"unknown time zone {value!r}; use an IANA name such as 'Europe/Moscow' or 'UTC'"
            ) from None
        return value

    @field_validator("currency")
    @classmethod
    def _iso_currency(cls, value: str) -> str:
        return check_currency(value)

    @field_validator("slug")
    @classmethod
    def _folder_slug(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is None or (_SLUG_RE.fullmatch(value) and value == value.lower()):
            return value
        suggestion = slugify(str(info.data.get("client") or value))
        raise ValueError(
            "a slug is one folder name of lower-case letters, digits, '-' and '_' (no '/', "
            f"'..' or leading dot); write e.g. `slug: {suggestion}` (the client name made "
            "folder-safe), or remove the key to get that"
        )

    @field_validator("stages")
    @classmethod
    def _known_stages(cls, value: dict[str, StageConfig]) -> dict[str, StageConfig]:
        for name in value:
            if name not in STAGE_NAMES:
                raise ValueError(
                    f"unknown stage {name!r}; the stages are {list(STAGE_NAMES)}"
                    + _suggest(name, STAGE_NAMES)
                )
        return value

    @property
    def report_slug(self) -> str:
        return self.slug or slugify(self.client)

    def tables(self) -> dict[str, TableSource]:
        """The configured tables, canonical name -> source."""
        return {n: s for n in TABLES if (s := getattr(self.data, n)) is not None}

    def table_path(self, name: str) -> Path:
        return (self.client_dir / self.tables()[name].path).resolve()

    def input_files(self) -> list[Path]:
        return [self.table_path(name) for name in self.tables()]

    def notebook_parameters(self, notebook: str) -> dict[str, Any]:
        """Parameter overrides for one notebook (by file stem, e.g. ``00_data_health``)."""
        return dict(self.parameters.get(notebook, {}))


#: What ``slug`` may be: a single folder name, as :func:`slugify` makes them.
_SLUG_RE = re.compile(r"[^\W_][\w-]{0,99}")


def slugify(text: str) -> str:
    """A folder-safe name.

    Examples
    --------
    >>> slugify("Demo Shop GmbH!")
    'demo-shop-gmbh'
    """
    slug = re.sub(r"[^\w]+", "-", text.strip().lower(), flags=re.UNICODE).strip("-")
    return slug or "client"


def _suggest(word: str, choices: Any) -> str:
    close = difflib.get_close_matches(str(word), [str(c) for c in choices], n=1)
    return f"; did you mean {close[0]!r}?" if close else ""


def _allowed_keys(model: type[BaseModel], loc: tuple[Any, ...]) -> list[str] | None:
    """Walk the schema along ``loc`` to list the keys allowed where an unknown key was found."""
    current: Any = model
    for part in loc[:-1]:
        is_model = isinstance(current, type) and issubclass(current, BaseModel)
        if isinstance(part, int) or not is_model:
            continue
        field = current.model_fields.get(part)
        if field is None:
            return None
        annotation = field.annotation
        candidates = [annotation, *getattr(annotation, "__args__", ())]
        nested = [c for c in candidates if isinstance(c, type) and issubclass(c, BaseModel)]
        if nested:
            current = nested[0]
        else:
            # dict[str, Model] / list[Model]
            inner = [
                a
                for c in candidates
                for a in getattr(c, "__args__", ())
                if isinstance(a, type) and issubclass(a, BaseModel)
            ]
            current = inner[0] if inner else None
    if isinstance(current, type) and issubclass(current, BaseModel):
        return [n for n, f in current.model_fields.items() if not f.exclude]
    return None


def _describe(err: dict[str, Any], source: str) -> str:
    loc = tuple(err["loc"])
    key = ".".join(str(p) for p in loc) or "(top level)"
    value = err.get("input")
    if err["type"] == "extra_forbidden":
        allowed = _allowed_keys(ClientConfig, loc) or []
        hint = _suggest(loc[-1], allowed)
        return (
            f"{source}: unknown key `{key}`; allowed keys here are {allowed}{hint} "
            "Remove or rename it."
        )
    if err["type"] == "missing":
        return f"{source}: `{key}` is required but missing; add it (see templates/client/)."
    message = err["msg"].removeprefix("Value error, ")
    shown = repr(value) if not isinstance(value, dict) else "a mapping"
    return f"{source}: `{key}` = {shown} is invalid: {message}. Fix the value in the YAML."


def _read_yaml(path: Path) -> dict[str, Any]:
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise ConfigError(
            f"{path}: is not valid YAML{where}: {getattr(err, 'problem', err)}. "
            "Check the indentation and quote values that contain ':' or '#'."
        ) from err
    if raw is None:
        raise ConfigError(f"{path}: is empty; copy templates/client/client.yaml and fill it in.")
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: must be a mapping of keys (client:, period:, data: …).")
    return raw


def load_config(client: str | Path | None = None, *, check_files: bool = True) -> ClientConfig:
    """Read and validate a client folder's ``client.yaml`` (or a YAML path).

    ``None`` loads the bundled demo client, generating its data on first use.

    Parameters
    ----------
    client
        A client folder, a path to its YAML file, or ``None`` for the demo client.
    check_files
        Also check that every data file exists and has the mapped columns (header read only).

    Returns
    -------
    ClientConfig

    Raises
    ------
    ConfigError
        Naming the YAML key or the file and column, and the fix.

    Examples
    --------
    >>> cfg = load_config()
    >>> cfg.client, cfg.period.days
    ('Demo Shop', 45)
    """
    if client is None:
        from ..demo import ensure_demo_data

        client = paths.demo_client_dir()
        ensure_demo_data(client / "data")
    path = Path(client).expanduser().resolve()
    yaml_path = path / paths.CLIENT_CONFIG_NAME if path.is_dir() else path
    if not yaml_path.is_file():
        hint = "run `funnelkit new NAME` to create a client folder"
        raise ConfigError(f"{yaml_path}: no client.yaml found; {hint}.")
    raw = _read_yaml(yaml_path)
    source = str(yaml_path)
    try:
        config = ClientConfig.model_validate(
            {**raw, "client_dir": yaml_path.parent, "config_file": yaml_path}
        )
    except ValidationError as err:
        internal = {("client_dir",), ("config_file",)}
        problems = [_describe(e, source) for e in err.errors() if e["loc"][:1] not in internal]
        raise ConfigError("\n".join(problems)) from None
    if check_files:
        check_sources(config)
    return config


def check_sources(config: ClientConfig) -> None:
    """Check that every data file of ``config`` exists and has the mapped columns (headers only).

    Raises
    ------
    ConfigError
        Naming the YAML key or the file and column, and the fix.
    """
    _check_sources(config, str(config.config_file or config.client_dir / paths.CLIENT_CONFIG_NAME))
