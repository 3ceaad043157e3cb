"""Paths and defaults, in one place, with no side effects at import.

Every location can be overridden by an environment variable so tests and CI can point the kit
at temporary folders without touching the repository.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

__all__ = [
    "CLIENT_CONFIG_NAME",
    "PACKAGE_DIR",
    "REPO_DIR",
    "cache_dir",
    "client_template_dir",
    "demo_client_dir",
    "notebooks_dir",
    "reports_dir",
    "slugify",
]

PACKAGE_DIR = Path(__file__).resolve().parents[1]
#: The checkout the package is installed from (editable install, as the setup does).
REPO_DIR = PACKAGE_DIR.parent
#: The file every client folder holds.
CLIENT_CONFIG_NAME = "client.yaml"


def _env_path(name: str, default: Path) -> Path:
    value = os.environ.get(name)
    return Path(value).expanduser().resolve() if value else default


def notebooks_dir() -> Path:
    """Folder of the report notebooks (``FUNNELKIT_NOTEBOOKS_DIR`` overrides)."""
    return _env_path("FUNNELKIT_NOTEBOOKS_DIR", REPO_DIR / "notebooks")


def reports_dir() -> Path:
    """Folder reports are written under (``FUNNELKIT_REPORTS_DIR`` overrides)."""
    return _env_path("FUNNELKIT_REPORTS_DIR", REPO_DIR / "reports")


def client_template_dir() -> Path:
    """What ``funnelkit new`` copies (``FUNNELKIT_TEMPLATE_DIR`` overrides)."""
    return _env_path("FUNNELKIT_TEMPLATE_DIR", REPO_DIR / "templates" / "client")


def demo_client_dir() -> Path:
    """The bundled demo client; its data are generated on first use (``FUNNELKIT_DEMO_DIR``)."""
    return _env_path("FUNNELKIT_DEMO_DIR", REPO_DIR / "examples" / "demo_client")


def cache_dir() -> Path:
    """Where prepared client data are cached between runs (``FUNNELKIT_CACHE_DIR`` overrides).

    Defaults to ``$XDG_CACHE_HOME/funnelkit`` (``~/.cache/funnelkit``): outside the repository and
    every report folder, so a report never carries a client's prepared data.
    """
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg).expanduser() if xdg else Path.home() / ".cache"
    return _env_path("FUNNELKIT_CACHE_DIR", base / "funnelkit")


def slugify(text: str) -> str:
    """A folder-safe name.

    Examples
    --------
    >>> slugify("Demo Shop GmbH!")
    'demo-shop-gmbh'
    """
    slug = re.sub(r"[^\w]+", "-", text.strip().lower(), flags=re.UNICODE).strip("-")
    return slug or "client"
