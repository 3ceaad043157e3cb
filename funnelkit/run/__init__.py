"""Run: the report runner, rendering, batches and the ``funnelkit`` command.

- :mod:`~funnelkit.run.cli` — the command (``funnelkit run``, ``check``, ``batch`` …);
- :mod:`~funnelkit.run.report` — one client's run, as a sequence of named steps;
  :mod:`~funnelkit.run.parallel` runs its chapters side by side and
  :mod:`~funnelkit.run.notebook_runs` records how each went;
- :mod:`~funnelkit.run.chapters`, :mod:`~funnelkit.run.parameters`,
  :mod:`~funnelkit.run.execute` — which notebooks run, with which parameters, in which kernel;
- :mod:`~funnelkit.run.outputs` — report folders (dated, owned by one client, never overwritten);
- :mod:`~funnelkit.run.render` — the offline HTML; :mod:`~funnelkit.run.summary` — ``summary.json``;
- :mod:`~funnelkit.run.batch` — every client of a folder; :mod:`~funnelkit.run.check` — what
  ``funnelkit check`` prints.
"""
