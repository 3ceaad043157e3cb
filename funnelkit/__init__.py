"""funnelkit: where a customer journey loses people, what that is worth, and did the fix work."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("funnelkit")
except PackageNotFoundError:  # running from a checkout without an install
    __version__ = "0.0.0+unknown"

from .config import ClientConfig, load_config
from .data import Client, load_client
from .errors import ConfigError, DataError, DataWarning, FunnelkitError

__all__ = [
    "Client",
    "ClientConfig",
    "ConfigError",
    "DataError",
    "DataWarning",
    "FunnelkitError",
    "__version__",
    "load_client",
    "load_config",
]
