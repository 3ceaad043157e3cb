"""Session-wide isolation for every test, doctest and notebook run by pytest.

Prepared client data are cached (``funnelkit.data.prepare``); the tests use a cache of their own,
removed at the end, and never the user's ``~/.cache/funnelkit``. Kernels started by nbval inherit
the variable, so the notebooks share the same cache.
"""

from __future__ import annotations

import os
import shutil
import tempfile

_OWN_CACHE: list[str] = []


def pytest_configure(config) -> None:
    """Point the prepared-data cache at a fresh folder unless the caller chose one."""
    if not os.environ.get("FUNNELKIT_CACHE_DIR"):
        folder = tempfile.mkdtemp(prefix="funnelkit-test-cache-")
        os.environ["FUNNELKIT_CACHE_DIR"] = folder
        _OWN_CACHE.append(folder)


def pytest_unconfigure(config) -> None:
    """Remove the cache folder made for this session."""
    for folder in _OWN_CACHE:
        shutil.rmtree(folder, ignore_errors=True)
