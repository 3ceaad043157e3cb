"""BigQuery: the kit's queries run in the client's project, through Google's client library.

Credentials come from Google's usual chain (``GOOGLE_APPLICATION_CREDENTIALS``, ``gcloud auth
application-default login``, the metadata server) — never from ``client.yaml``, which names the
project, the dataset and the location only. Queries are transpiled from DuckDB's dialect to
BigQuery's (:func:`funnelkit.core.engines.transpile`); only their (aggregated) results are
downloaded. The SQL is checked by parsing it back in the tests; the engine itself runs only
where credentials exist.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from . import missing_extra, transpile

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["BigQueryEngine"]


@dataclass
class BigQueryEngine:
    """A BigQuery client for one project (and default dataset).

    Parameters
    ----------
    project : str
        The Google Cloud project billed for the queries.
    dataset : str, optional
        Default dataset of unqualified table names.
    location : str, optional
        Where the dataset lives (``EU``, ``US``, ``europe-west3`` …).
    maximum_bytes_billed : int, optional
        A query that would scan more is refused by BigQuery before it costs anything.
    """

    project: str
    dataset: str | None = None
    location: str | None = None
    maximum_bytes_billed: int | None = None
    name: str = "bigquery"
    dialect: str = "bigquery"
    _client: Any = field(default=None, repr=False)

    def _connect(self) -> Any:
        if self._client is None:
            try:
                from google.cloud import bigquery
            except ImportError as err:
                raise missing_extra("bigquery", "google-cloud-bigquery", err) from err
            self._client = bigquery.Client(project=self.project, location=self.location)
        return self._client

    def query(self, sql: str) -> pd.DataFrame:
        """Run DuckDB-dialect ``sql`` in BigQuery; the result as a pandas frame."""
        from google.cloud import bigquery

        client = self._connect()
        config = bigquery.QueryJobConfig(
            default_dataset=f"{self.project}.{self.dataset}" if self.dataset else None,
            maximum_bytes_billed=self.maximum_bytes_billed,
        )
        return client.query(transpile(sql, self.dialect), job_config=config).to_dataframe()

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None
