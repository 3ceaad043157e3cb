"""Data: a client's configuration and exports, checked and prepared once per run.

- :mod:`~funnelkit.data.config` — the ``client.yaml`` schema (its sections in
  :mod:`~funnelkit.data.sections`);
- :mod:`~funnelkit.data.tables` — the canonical tables and their columns;
- :mod:`~funnelkit.data.inputs`, :mod:`~funnelkit.data.formats`, :mod:`~funnelkit.data.textfiles`,
  :mod:`~funnelkit.data.hints` — how an export is read (encodings, separators, decimal commas);
- :mod:`~funnelkit.data.sources` and :mod:`~funnelkit.data.validate` — reading in place and
  checking every rule in SQL;
- :mod:`~funnelkit.data.loader` — the loaded :class:`~funnelkit.data.loader.Client`, with the
  whole-table checks of :mod:`~funnelkit.data.findings`;
- :mod:`~funnelkit.data.prepare` — the validated, typed DuckDB file a run reads (cached).

Nothing here imports the analysis, presentation or run layers (``tests/test_architecture.py``).
"""
