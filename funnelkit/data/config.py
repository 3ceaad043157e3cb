"""``client.yaml``: the one file a consultant fills per client, validated by a schema.

This module holds the top level (:class:`ClientConfig`) and reads the file
(:func:`load_config`); the sections below it are :mod:`funnelkit.data.sections` and
``data.<table>`` is :mod:`funnelkit.data.inputs`, both re-exported here.

Every problem becomes a :class:`~funnelkit.core.errors.ConfigError` that names the YAML key (or the
file and column), the value received, what is allowed, and the fix. Unknown keys are errors, not
ignored, because a misspelt key silently falling back to a default makes a wrong report.
"""

from __future__ import annotations

import re
import typing
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
from ..core.errors import ConfigError, did_you_mean
from ..core.paths import slugify
from ..demo import ensure_demo_data
from .adapters import adapter_files, find_adapter
from .engine_config import EngineConfig
from .formats import check_currency
from .inputs import (
    ONE,
    SEVERAL,
    DataSection,
    Strict as _Strict,
    TableSource,
    check_sources as _check_sources,
)
from .report_config import ReportConfig
from .sections import (
    STAGE_NAMES,
    AccountsConfig,
    ExclusionConfig,
    ExperimentConfig,
    FunnelConfig,
    MetricsConfig,
    Period,
    StageConfig,
)
from .tables import TABLES

__all__ = [
    "AccountsConfig",
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


class ClientConfig(_Strict):
    """A validated ``client.yaml``. Data paths are resolved against ``client_dir``."""

    client: str = Field(min_length=1, description="Client name as shown on the report.")
    slug: str | None = Field(
        default=None, description="Folder name under reports/: lower-case letters, digits, - and _."
    )
    language: Literal["en", "ru"] = "en"
    currency: str = Field(default="EUR", description="ISO 4217 code of every money column.")
    timezone: str = "UTC"
    business_type: Literal["ecommerce", "saas", "b2b", "abm", "services"] = "ecommerce"
    period: Period
    data: DataSection = Field(default_factory=DataSection)
    stages: dict[str, StageConfig] = Field(default_factory=dict)
    metrics: MetricsConfig = Field(default_factory=MetricsConfig)
    funnel: FunnelConfig = Field(default_factory=FunnelConfig)
    accounts: AccountsConfig = Field(default_factory=AccountsConfig)
    channels: dict[str, list[str]] = Field(
        default_factory=dict,
        description="One name per channel across events, orders, leads and spend: name -> the "
        "names the exports give it (GA4's 'google / cpc', the ad report's google_ads).",
    )
    experiments: list[ExperimentConfig] = Field(default_factory=list)
    parameters: dict[str, dict[str, Any]] = Field(
        default_factory=dict, description="Notebook name -> parameter overrides."
    )
    report: ReportConfig = Field(default_factory=ReportConfig)
    engine: EngineConfig = Field(
        default_factory=EngineConfig,
        description="Where the queries run: duckdb (embedded, default), spark, clickhouse or "
        "bigquery, with the tables read in place.",
    )
    client_dir: Path = Field(default=Path("."), exclude=True)
    config_file: Path | None = Field(default=None, exclude=True)

    @field_validator("channels")
    @classmethod
    def _one_name_per_channel(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        seen: dict[str, str] = {}
        for name, aliases in value.items():
            if not str(name).strip():
                raise ValueError("a channel name is empty; give each channel a name")
            for alias in aliases:
                alias = str(alias).strip()
                if alias in seen and seen[alias] != name:
                    raise ValueError(
                        f"'{alias}' is listed under both '{seen[alias]}' and '{name}'; a name "
                        "the exports give can stand for one channel only"
                    )
                seen[alias] = name
        return {str(n).strip(): [str(a).strip() for a in v] for n, v in value.items()}

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
                    + did_you_mean(name, STAGE_NAMES, sentence=False)
                )
        return value

    @model_validator(mode="after")
    def _one_place_per_table(self) -> ClientConfig:
        both = sorted(t for t in self.engine.tables if t in TABLES and self.data.sources(t))
        if self.engine.name != "duckdb" and both:
            raise ValueError(
                f"the table(s) {both} are both in `data:` and in `engine.tables`; a table is read "
                "either from the client folder or where the engine holds it: remove one of them"
            )
        return self

    @model_validator(mode="after")
    def _stage_sources_configured(self) -> ClientConfig:
        """A stage's written ``sources`` name tables the client has (found here, not mid-report)."""
        have = self.table_names()
        for stage, written in self.stages.items():
            if "sources" not in written.model_fields_set:
                continue
            missing = [s for s in written.sources if s not in have]
            if missing:
                raise ValueError(
                    f"`stages.{stage}.sources` lists {missing}, but client.yaml configures no "
                    f"such table (configured: {have}). Add `data.{missing[0]}` or remove "
                    f"{missing[0]!r} from `stages.{stage}.sources`"
                )
        return self

    @property
    def report_slug(self) -> str:
        return self.slug or slugify(self.client)

    def tables(self) -> dict[str, list[TableSource]]:
        """The configured tables, canonical name -> its exports (one, or several combined)."""
        return {n: s for n in TABLES if (s := self.data.sources(n))}

    def table_names(self) -> list[str]:
        """Every table the client has: those of ``data:`` and those an engine holds in place."""
        held = [t for t in self.engine.tables if t in TABLES and self.engine.name != "duckdb"]
        return [t for t in TABLES if t in self.tables() or t in held]

    def source_path(self, source: TableSource) -> Path:
        """Where one export of ``data:`` lies (its path resolved from the client folder)."""
        return (self.client_dir / source.path).resolve()

    def table_path(self, name: str) -> Path:
        """The (first) export of one table."""
        return self.source_path(self.tables()[name][0])

    def data_files(self) -> list[tuple[str, Path]]:
        """Every configured data file as ``(table, path)``: the tables, then a deals file."""
        files = []
        for name, sources in self.tables().items():
            for source in sources:
                path = self.source_path(source)
                adapter = find_adapter(source.format)
                if adapter is not None and path.is_dir():  # a folder of daily files: each file
                    files += [(name, f) for f in adapter_files(path, adapter, key=f"data.{name}")]
                else:
                    files.append((name, path))
        if self.data.deals is not None:
            files.append(("deals", (self.client_dir / self.data.deals.path).resolve()))
        return files

    def input_files(self) -> list[Path]:
        return [path for _, path in self.data_files()]

    def notebook_parameters(self, notebook: str) -> dict[str, Any]:
        """Parameter overrides for one notebook (by file stem, e.g. ``00_data_health``)."""
        return dict(self.parameters.get(notebook, {}))


#: What ``slug`` may be: a single folder name, as :func:`slugify` makes them.
_SLUG_RE = re.compile(r"[^\W_][\w-]{0,99}")


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
        nested = _models_in(field.annotation)  # through Optional, Annotated, list, dict
        current = nested[0] if nested else None
    if isinstance(current, type) and issubclass(current, BaseModel):
        return [n for n, f in current.model_fields.items() if not f.exclude]
    return None


def _models_in(annotation: Any) -> list[type[BaseModel]]:
    """The models an annotation holds (``X``, ``X | None``, ``list[X]``, ``dict[str, X]``)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    return [m for arg in typing.get_args(annotation) for m in _models_in(arg)]


def _describe(err: dict[str, Any], source: str) -> str:
    loc = tuple(p for p in err["loc"] if p not in (ONE, SEVERAL))  # a union's branch
    key = ".".join(str(p) for p in loc) or "(top level)"
    value = err.get("input")
    if err["type"] == "extra_forbidden":
        allowed = _allowed_keys(ClientConfig, loc) or []
        hint = did_you_mean(loc[-1], allowed, sentence=False)
        return (
            f"{source}: unknown key `{key}`; allowed keys here are {allowed}{hint} "
            "Remove or rename it."
        )
    if err["type"] == "missing":
        return f"{source}: `{key}` is required but missing; add it (see templates/client/)."
    message = err["msg"].removeprefix("Value error, ")
    if not loc:  # a rule across keys (a model validator): its message names them
        return f"{source}: {message}."
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
