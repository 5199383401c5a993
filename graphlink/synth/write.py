"""Writing a scenario as a snapshot directory (the input spec's layout).

Arrow writes the files directly: CSV through ``pyarrow.csv`` (timestamps
pre-formatted as ``2026-02-01T12:00:00Z``), gzip at level 1 with a zeroed
header timestamp so the same scenario always gives the same bytes, Parquet
with real UTC timestamp columns.
"""

from __future__ import annotations

import gzip
from pathlib import Path
from typing import Literal

import pyarrow as pa
import pyarrow.csv as pcsv
import pyarrow.parquet as pq

from graphlink.synth import _fmt

Format = Literal["csv", "csv.gz", "parquet"]
FORMATS: tuple[str, ...] = ("csv", "csv.gz", "parquet")


def as_text(table: pa.Table) -> pa.Table:
    """Timestamp columns as ISO-8601 UTC text (what the CSV files hold)."""
    cols = {}
    for name in table.column_names:
        col = table.column(name)
        if pa.types.is_timestamp(col.type):
            unit = {"s": 1, "ms": 1_000, "us": 1_000_000, "ns": 1_000_000_000}[col.type.unit]
            ticks = col.combine_chunks().cast(pa.int64()).to_numpy(zero_copy_only=False)
            col = _fmt.iso(ticks // unit)
        cols[name] = col
    return pa.table(cols)


def write_table(table: pa.Table, path: Path, fmt: Format) -> Path:
    """Write one table to ``path`` (which already carries the format's suffix)."""
    if fmt == "parquet":
        pq.write_table(table, path, compression="zstd")
        return path
    text = as_text(table)
    opts = pcsv.WriteOptions(quoting_style="none", batch_size=65536)
    if fmt == "csv":
        pcsv.write_csv(text, path, write_options=opts)
    elif fmt == "csv.gz":
        with (
            open(path, "wb") as raw,
            gzip.GzipFile(filename="", mode="wb", fileobj=raw, compresslevel=1, mtime=0) as gz,
        ):
            pcsv.write_csv(text, gz, write_options=opts)
    else:
        raise ValueError(f"unknown format {fmt!r}: use one of {', '.join(FORMATS)}")
    return path
