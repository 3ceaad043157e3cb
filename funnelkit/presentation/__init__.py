"""Presentation: what the report notebooks show — tables, charts and sentences.

Functions here take the tidy frames the analysis layer returns and turn them into what a client
reads; they never compute a statistic. One sub-package per analysis
(:mod:`~funnelkit.presentation.metrics`, :mod:`~funnelkit.presentation.stages`,
:mod:`~funnelkit.presentation.funnel`, :mod:`~funnelkit.presentation.abtest`), plus the shared
pieces: :mod:`~funnelkit.presentation.display` (tables and notes in a notebook),
:mod:`~funnelkit.presentation.plots` (the report style and the data-health charts) and
:mod:`~funnelkit.presentation.results` (what a notebook hands back to the run).
"""
