"""The I/O edge: stream a requests file through validation into the accumulator.

Used by ``graphlink similarity`` (a file on its own) and by ingest (the
``requests`` table of a snapshot, which adds the known-account rule).  Reading
and per-row validation are ingest's own (:mod:`graphlink.ingest.read`,
:mod:`graphlink.ingest.validate`), so a bad row is refused for the same reason, with the
same line number, whichever way the log comes in.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from graphlink.errors import IngestError
from graphlink.ingest import read
from graphlink.ingest.report import RejectsWriter
from graphlink.ingest.tables import REQUESTS
from graphlink.ingest.validate import Checked, validate
from graphlink.similarity import Derived, RequestAccumulator, SimilarityConfig, derive
from graphlink.similarity.accumulate import DEFAULT_MEMORY_MB


@dataclass
class LogCounts:
    """Rows of the log: read = used + rejected (nothing dropped silently)."""

    read: int = 0
    used: int = 0
    rejected: int = 0
    reasons: Counter[str] = field(default_factory=Counter)


def requests_file(path: Path) -> read.TableFile:
    """The :class:`~graphlink.ingest.read.TableFile` of a requests log given by path (CSV, CSV.gz,
    Parquet)."""
    path = Path(path)
    if not path.is_file():
        raise IngestError(f"{path}: no such file")
    for suffix, fmt in read.FORMATS:
        if path.name.endswith(suffix):
            return read.TableFile("requests", path, fmt)
    raise IngestError(
        f"{path}: not CSV, CSV.gz or Parquet (name must end in .csv, .csv.gz or .parquet)"
    )


def accumulate_checked(acc: RequestAccumulator, checked: Checked) -> None:
    """Feed the valid rows of one validated requests batch to ``acc``."""
    v = checked.valid
    if len(v):
        acc.add(v["account_id"], v["ts"].to_numpy(), v["model"], v["prompt_fingerprint"])


def derive_from_file(
    path: Path,
    config: SimilarityConfig | None = None,
    *,
    batch_size: int = 500_000,
    rejects: RejectsWriter | None = None,
    on_rows: Callable[[int], None] | None = None,
    memory_mb: float | None = DEFAULT_MEMORY_MB,
) -> tuple[Derived, LogCounts]:
    """Validate and reduce the log in one streamed pass, then derive the pairs.

    Rejected rows go to ``rejects`` (line and reason) when given; ``memory_mb``
    bounds the buffered facts (:class:`~graphlink.similarity.RequestAccumulator`).
    """
    cfg = config or SimilarityConfig()
    tf = requests_file(path)
    acc = RequestAccumulator(bucket_seconds=cfg.bucket_seconds, memory_mb=memory_mb)
    counts = LogCounts()
    for raw in read.iter_batches(tf, REQUESTS, batch_size=batch_size):
        checked = validate(REQUESTS, raw)
        counts.read += checked.n_read
        counts.rejected += checked.n_rejected
        counts.used += len(checked.valid)
        if checked.n_rejected:
            bad = checked.rejects()
            if rejects is not None:
                counts.reasons.update(rejects.write("requests", tf.path.name, bad))
            else:
                counts.reasons.update(bad["reason"].tolist())
        accumulate_checked(acc, checked)
        if on_rows:
            on_rows(checked.n_read)
    agg = acc.finish()
    try:
        return derive(agg, cfg), counts
    finally:
        agg.close()
