"""Ingest jobs: snapshot tables (CSV, CSV.gz, Parquet) -> validated batches -> Neo4j.

>>> from ingest import run_ingest          # doctest: +SKIP
>>> report = run_ingest(store, Path("snapshot/"), batch_size=20_000)  # doctest: +SKIP
"""

from graphlink.ingest.job import run_ingest
from graphlink.ingest.report import IngestReport, TableReport

__all__ = ["IngestReport", "TableReport", "run_ingest"]
