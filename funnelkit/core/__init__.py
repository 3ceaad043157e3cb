"""Core: what every layer above may use and nothing here imports from them.

- :mod:`~funnelkit.core.errors` — the one exception family (:class:`FunnelkitError` and kin);
- :mod:`~funnelkit.core.paths` — where notebooks, reports, clients and the cache live;
- :mod:`~funnelkit.core.formatting` — numbers, money, percentages, percentage points and
  durations in the report's language (Babel);
- :mod:`~funnelkit.core.stats` — intervals, two-proportion and mean tests, multiple-comparison
  adjustment (matching R, as written in each docstring);
- :mod:`~funnelkit.core.patterns` — event-name patterns, matched the same way in Python and SQL;
- :mod:`~funnelkit.core.sql` — small SQL helpers (quoting, missing-value tests).
"""
