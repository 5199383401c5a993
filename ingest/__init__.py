"""Ingest jobs: snapshot tables (CSV, CSV.gz, Parquet) -> validated batches -> Neo4j.

>>> from graphlink.ingest.job import run_ingest                       # doctest: +SKIP
>>> report = run_ingest(store, Path("snapshot/"), batch_size=20_000)  # doctest: +SKIP

Nothing is re-exported here: :mod:`graphlink.similarity.run` uses this package's
reader and validator, and :mod:`graphlink.ingest.job` (through
:mod:`graphlink.ingest.derive`) uses the similarity stage, so a package
``__init__`` that imported ``job`` would close an import circle.
"""
