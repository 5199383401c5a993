"""The derivation stage: a snapshot's ``requests`` log -> behaviour_similarity pairs -> the store.

Runs after the loaded tables (so every account the log names is known).  The
log is validated row by row like any table (bad rows go to the rejects file
with their line and reason; a row whose account is unknown to the snapshot and
the store is rejected), its valid rows stream into
:class:`graphlink.similarity.RequestAccumulator`, and the derived pairs are
written beside the ingest report as ``behaviour_similarity-derived-<stamp>.csv``
(spec columns plus ``source=derived, derivation=<version>``) and then loaded
through the ordinary ``behaviour_similarity`` path: same validation, same merge
rule (one ``SIMILAR_TO`` per pair and signal, maximum score).  The derivation
is deterministic, so re-running an ingest derives the same pairs and changes
nothing.
"""

from __future__ import annotations

import time
from pathlib import Path

from graphlink.ingest import read, write
from graphlink.ingest.report import IngestReport, RejectsWriter, TableReport
from graphlink.ingest.stream import AccountIndex, Progress, stream_table
from graphlink.ingest.tables import BEHAVIOUR_SIMILARITY, REQUESTS
from graphlink.ingest.validate import Checked
from graphlink.similarity import (
    DERIVATION_VERSION,
    RequestAccumulator,
    SimilarityConfig,
    derive,
    write_pairs,
)
from graphlink.similarity.accumulate import DEFAULT_MEMORY_MB
from graphlink.similarity.run import accumulate_checked
from graphlink.store import GraphStore

#: Name of the derived pairs' entry in the ingest report.
DERIVED_TABLE = "behaviour_similarity_derived"


def derive_similarity(
    store: GraphStore,
    tf: read.TableFile,
    report: IngestReport,
    *,
    accounts: AccountIndex,
    rejects: RejectsWriter,
    batch_size: int,
    progress: Progress,
    out_dir: Path,
    stamp: str,
    config: SimilarityConfig | None = None,
    memory_mb: float | None = DEFAULT_MEMORY_MB,
) -> None:
    """Validate ``tf`` (the requests log), derive pairs, load them; account for every row."""
    cfg = config or SimilarityConfig()
    t0 = time.perf_counter()
    tr = report.table(REQUESTS.name)
    acc = RequestAccumulator(bucket_seconds=cfg.bucket_seconds, memory_mb=memory_mb)
    progress.table_started(REQUESTS.name, read.total_rows(tf))

    def feed(checked: Checked) -> None:
        accumulate_checked(acc, checked)
        progress.rows_done(REQUESTS.name, checked.n_read)

    # the log is not written to the store: batches as large as memory comfortably allows
    stream_table(REQUESTS, tf, batch_size=max(batch_size, 250_000), accounts=accounts,
                 rejects=rejects, table_report=tr, on_valid=feed)
    tr.status = "used"
    tr.message = "validated, not stored: derives behaviour_similarity pairs"
    progress.table_finished(REQUESTS.name)
    t_read = time.perf_counter()
    agg = acc.finish()
    try:
        derived = derive(agg, cfg)
    finally:
        agg.close()  # spilled facts: removed now, not when collected
    t_derive = time.perf_counter()
    tr.seconds = round(t_derive - t0, 3)

    path = write_pairs(derived.pairs, Path(out_dir) / f"behaviour_similarity-derived-{stamp}.csv")
    dtf = read.TableFile(BEHAVIOUR_SIMILARITY.name, path, "csv")
    dr = TableReport(DERIVED_TABLE, file=str(path), format="csv", status="loaded",
                     ingest_id=read.content_hash(path),
                     message=f"derived from {tf.path.name} (derivation {DERIVATION_VERSION})")
    report.tables.append(dr)
    progress.table_started(DERIVED_TABLE, len(derived.pairs))

    def load(checked: Checked) -> None:
        if len(checked.valid):
            write.write_similarity(store, checked.valid, dr.ingest_id or "")
        progress.rows_done(DERIVED_TABLE, checked.n_read)

    stream_table(BEHAVIOUR_SIMILARITY, dtf, batch_size=batch_size, accounts=accounts,
                 rejects=rejects, table_report=dr, on_valid=load)
    progress.table_finished(DERIVED_TABLE)
    dr.seconds = round(time.perf_counter() - t_derive, 3)
    counts = ", ".join(f"{s} {n:,}" for s, n in derived.counts().items())
    report.notes.append(
        f"requests: {tr.loaded:,} valid rows of {derived.n_accounts:,} accounts derived "
        f"{len(derived.pairs):,} pairs ({counts}; derivation {DERIVATION_VERSION}) -> {path}"
    )
    report.phases["requests_read"] = round(t_read - t0, 2)
    report.phases["similarity_derive"] = round(t_derive - t_read, 2)
    report.phases["similarity_load"] = round(time.perf_counter() - t_derive, 2)
