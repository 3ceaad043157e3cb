"""Branding: who the report comes from — set once per consultant, overridable per client.

A consultant writes a profile once, ``~/.config/funnelkit/profile.yaml`` (or the file named by
``FUNNELKIT_PROFILE``)::

    consultant: Anna Petrova            # shown on the cover and in the footer
    company: Petrova Analytics
    contact: anna@petrova.example · +7 900 000-00-00
    logo: ~/brand/logo.png              # PNG, JPEG or SVG; embedded in the report
    accent: "#0b5cad"                   # headings, links and the cover band

and a client's ``client.yaml`` may override any key under ``report: {branding: {...}}`` (a
white-label client, another partner's logo). Relative logo paths are read against the file that
names them. Every problem is a :class:`~funnelkit.core.errors.ConfigError` naming the file, the
key and the fix; an empty profile (or none) gives a report without a consultant block.
"""

from __future__ import annotations

import base64
import os
import re
from pathlib import Path

import yaml
from pydantic import Field, ValidationError, field_validator

from ..core.errors import ConfigError
from .inputs import Strict

__all__ = ["Branding", "load_branding", "logo_data_uri", "profile_path"]

_LOGO_TYPES = {
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".svg": "image/svg+xml",
}
_MAX_LOGO_BYTES = 2_000_000
DEFAULT_ACCENT = "#0b5cad"


class Branding(Strict):
    """Who the report comes from; every key optional."""

    consultant: str | None = Field(default=None, description="Consultant's name.")
    company: str | None = Field(default=None, description="Consultant's company.")
    contact: str | None = Field(default=None, description="E-mail, phone or site, as one line.")
    logo: Path | None = Field(default=None, description="PNG, JPEG or SVG file of the logo.")
    accent: str | None = Field(default=None, description="Accent colour as #rrggbb.")

    @field_validator("accent")
    @classmethod
    def _hex_colour(cls, value: str | None) -> str | None:
        if value is not None and not re.fullmatch(r"#[0-9a-fA-F]{6}", value):
            raise ValueError(f"{value!r} is not a colour; write it as #rrggbb, e.g. '#0b5cad'")
        return value

    @field_validator("logo")
    @classmethod
    def _logo_type(cls, value: Path | None) -> Path | None:
        if value is not None and value.suffix.lower() not in _LOGO_TYPES:
            raise ValueError(
                f"{value.name!r} is not a PNG, JPEG or SVG file; export the logo as one of those"
            )
        return value

    def resolved(self, base: Path) -> Branding:
        """The same branding with a relative ``logo`` read against ``base`` (a folder)."""
        if self.logo is None:
            return self
        logo = Path(os.path.expanduser(self.logo))
        return self.model_copy(update={"logo": logo if logo.is_absolute() else base / logo})

    def over(self, base: Branding) -> Branding:
        """``base`` with every key set here replacing its value (a client over a profile)."""
        return base.model_copy(update=self.model_dump(exclude_none=True))

    @property
    def accent_colour(self) -> str:
        """The accent colour, or the kit's default blue."""
        return self.accent or DEFAULT_ACCENT


def profile_path() -> Path:
    """Where the consultant's profile is read: ``$FUNNELKIT_PROFILE`` or the user config folder."""
    named = os.environ.get("FUNNELKIT_PROFILE")
    if named:
        return Path(named).expanduser()
    config_home = Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")
    return config_home / "funnelkit" / "profile.yaml"


def _read_profile(path: Path) -> Branding:
    if not path.is_file():
        if os.environ.get("FUNNELKIT_PROFILE"):
            raise ConfigError(
                f"FUNNELKIT_PROFILE names {path}, which does not exist; "
                "create it or unset FUNNELKIT_PROFILE"
            )
        return Branding()
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        return Branding.model_validate(raw).resolved(path.parent)
    except yaml.YAMLError as err:
        raise ConfigError(f"{path}: not valid YAML ({err}); fix the line it names") from err
    except ValidationError as err:
        problems = "; ".join(
            f"{'.'.join(map(str, e['loc'])) or '(top)'}: {e['msg']}" for e in err.errors()
        )
        raise ConfigError(
            f"{path}: {problems}. Allowed keys: consultant, company, contact, logo, accent"
        ) from None


def load_branding(client: Branding | None = None, *, client_dir: Path | None = None) -> Branding:
    r"""The consultant's profile with the client's ``report.branding`` over it, logo checked.

    Examples
    --------
    >>> import os, tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     os.environ["FUNNELKIT_PROFILE"] = f"{tmp}/profile.yaml"
    ...     _ = open(f"{tmp}/profile.yaml", "w").write("consultant: Anna\naccent: '#112233'\n")
    ...     b = load_branding(Branding(company="Acme Partners"))
    ...     del os.environ["FUNNELKIT_PROFILE"]
    >>> b.consultant, b.company, b.accent_colour
    ('Anna', 'Acme Partners', '#112233')
    """
    merged = _read_profile(profile_path())
    if client is not None:
        merged = client.resolved(client_dir or Path(".")).over(merged)
    if merged.logo is not None:
        if not merged.logo.is_file():
            raise ConfigError(
                f"branding logo {merged.logo} does not exist; fix the `logo:` path "
                f"(in {profile_path()} or in client.yaml's report.branding)"
            )
        if merged.logo.stat().st_size > _MAX_LOGO_BYTES:
            raise ConfigError(
                f"branding logo {merged.logo} is {merged.logo.stat().st_size:,} bytes; "
                "a logo over 2 MB would bloat every report, export a smaller one"
            )
    return merged


def logo_data_uri(branding: Branding) -> str | None:
    """The logo as a ``data:`` URI (the report stays one offline file), or None."""
    if branding.logo is None:
        return None
    kind = _LOGO_TYPES[branding.logo.suffix.lower()]
    return f"data:{kind};base64," + base64.b64encode(branding.logo.read_bytes()).decode("ascii")
