"""The installed funnelkit version (``0.0.0+unknown`` in a checkout without an install)."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

__all__ = ["__version__"]

try:
    __version__ = version("funnelkit")
except PackageNotFoundError:  # running from a checkout without an install
    __version__ = "0.0.0+unknown"
