"""funnelkit: where a customer journey loses people, what that is worth, and did the fix work."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from .core.errors import ConfigError, DataError, DataWarning, FunnelkitError
from .core.version import __version__

if TYPE_CHECKING:
    from .data.config import ClientConfig, load_config
    from .data.loader import Client
    from .data.prepare import load_client

# config and data pull in pydantic, yaml and pandas (~0.7 s); they are imported on first use so
# that `import funnelkit` (and `funnelkit.funnel.engine`) starts in a fraction of a second.
_LAZY = {
    "Client": "data.loader",
    "ClientConfig": "data.config",
    "load_client": "data.prepare",
    "load_config": "data.config",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})


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
