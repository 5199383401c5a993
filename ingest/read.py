"""Streaming readers for snapshot table files (CSV, CSV.gz, Parquet).

Every reader yields :class:`RawBatch` objects: a DataFrame whose columns are
all text (empty string for a missing value) plus the source line of each row,
so validation has one code path whatever the file format, and memory stays
bounded by the batch size whatever the file size.

Line numbers are what a person opening the file sees: for CSV the physical
line the row starts on (header = line 1; quoted values spanning lines are
counted), for Parquet the row index + 1.  (pyarrow skips blank lines in CSV;
a file with blank lines between rows gets line numbers that ignore them.)
"""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from graphlink.errors import IngestError
from ingest.tables import TableSpec

#: Suffixes recognised, most specific first.
FORMATS: tuple[tuple[str, str], ...] = (
    (".csv.gz", "csv.gz"),
    (".csv", "csv"),
    (".parquet", "parquet"),
)


@dataclass(frozen=True)
class TableFile:
    table: str
    path: Path
    fmt: str  # csv | csv.gz | parquet


@dataclass
class RawBatch:
    """A slice of a table file: text columns and each row's source line.

    ``malformed`` holds rows the CSV parser could not split into the header's
    columns, as ``(line, reason, text)``: they count as read and are rejected.
    """

    frame: pd.DataFrame
    lines: np.ndarray  # int64, one per row
    malformed: list[tuple[int, str, str]] = field(default_factory=list)


def find_table_file(snapshot_dir: Path, table: str) -> TableFile | None:
    """The file holding ``table`` in a snapshot, or None when absent.

    Refuses (IngestError) a table present only in an unsupported format, or
    present twice (``accounts.csv`` and ``accounts.parquet``): guessing which
    one the exporter meant could load stale data.
    """
    found = [
        TableFile(table, snapshot_dir / f"{table}{suffix}", fmt)
        for suffix, fmt in FORMATS
        if (snapshot_dir / f"{table}{suffix}").is_file()
    ]
    if len(found) > 1:
        names = ", ".join(f.path.name for f in found)
        raise IngestError(f"{snapshot_dir}: table {table!r} is present more than once ({names})")
    if found:
        return found[0]
    others = sorted(p.name for p in snapshot_dir.glob(f"{table}.*") if p.is_file())
    if others:
        raise IngestError(
            f"{snapshot_dir / others[0]}: not CSV, CSV.gz or Parquet "
            f"(table {table!r} must be {table}.csv, {table}.csv.gz or {table}.parquet)"
        )
    return None


def content_hash(path: Path) -> str:
    """sha256 of the file's bytes: the table file's ``ingest_id``.

    The same export loaded twice has the same id, so counters guarded by it
    (``USED_IP.requests``) are not added twice.
    """
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def header(tf: TableFile) -> list[str]:
    """Column names of a table file (IngestError if it cannot be read as its format)."""
    try:
        if tf.fmt == "parquet":
            return list(pq.ParquetFile(tf.path).schema_arrow.names)
        with pa.input_stream(str(tf.path), compression="detect") as stream:
            head = stream.read(1 << 16)
        text = head.decode("utf-8")
    except (pa.ArrowException, OSError, UnicodeDecodeError, EOFError) as e:
        raise IngestError(f"{tf.path}: not a readable {tf.fmt} file ({e})") from e
    except Exception as e:  # gzip errors surface as various types
        raise IngestError(f"{tf.path}: not a readable {tf.fmt} file ({e})") from e
    text = text.lstrip("\ufeff")
    rows = csv.reader(io.StringIO(text))
    try:
        return [c.strip() for c in next(rows)]
    except StopIteration:
        raise IngestError(f"{tf.path}: empty file (no header row)") from None


def check_columns(tf: TableFile, spec: TableSpec) -> list[str]:
    """The file's header, after refusing it if a required column is missing.

    Column names are case-sensitive (the spec says so); the error names the
    file and every missing column so the exporter can fix them in one go.
    """
    cols = header(tf)
    dupes = sorted({c for c in cols if cols.count(c) > 1})
    if dupes:
        raise IngestError(f"{tf.path}: column {dupes[0]!r} appears more than once")
    missing = [c for c in spec.required if c not in cols]
    if missing:
        raise IngestError(
            f"{tf.path}: missing required column {', '.join(repr(c) for c in missing)} "
            f"(table {spec.name!r} needs {', '.join(spec.required)})"
        )
    return cols


def total_rows(tf: TableFile) -> int | None:
    """Row count when cheap to know (Parquet metadata); None for CSV."""
    if tf.fmt == "parquet":
        return int(pq.ParquetFile(tf.path).metadata.num_rows)
    return None


def _as_text(batch: pa.RecordBatch, wanted: list[str]) -> pa.Table:
    """Keep ``wanted`` columns (those present), cast to string, trimmed, nulls as ''."""
    cols = {}
    for name in wanted:
        idx = batch.schema.get_field_index(name)
        if idx < 0:
            continue
        col = batch.column(idx)
        if pa.types.is_timestamp(col.type):
            # ISO-8601 text of the UTC instant ("2026-01-05 00:00:03.000", the fraction
            # by the column's unit), "Z" added for tz-aware columns; naive ones are UTC
            # (spec).  A tz-aware value is stored as UTC, so dropping the zone and casting
            # gives its UTC text: ~10x faster than pc.strftime, which looks the zone up
            # per value (3 s per 500,000 rows; most of a 16M-row request log's reading).
            tz = col.type.tz
            col = pc.cast(col.cast(pa.timestamp(col.type.unit)), pa.string())
            if tz:
                col = pc.binary_join_element_wise(col, pa.scalar("Z"), "")
        elif not (pa.types.is_string(col.type) or pa.types.is_large_string(col.type)):
            col = pc.cast(col, pa.string())
        # trimmed in Arrow (C++), so validators never strip per value in Python
        cols[name] = pc.utf8_trim_whitespace(pc.fill_null(col, ""))
    return pa.table(cols)


def _to_frame(table: pa.Table) -> pd.DataFrame:
    # Arrow-backed string columns: the validators' .str ops and comparisons then
    # run in Arrow's C++ kernels instead of a Python call per value.
    return pd.DataFrame(
        {n: pd.Series(table.column(n), dtype=pd.ArrowDtype(pa.string())) for n in table.column_names},
        index=pd.RangeIndex(table.num_rows),
    )


def iter_batches(tf: TableFile, spec: TableSpec, *, batch_size: int) -> Iterator[RawBatch]:
    """Stream ``tf`` as text batches of at most ``batch_size`` rows.

    Only the spec's columns are kept (extra columns are allowed and ignored).
    """
    cols = check_columns(tf, spec)
    wanted = [c for c in spec.columns if c in cols]
    if tf.fmt == "parquet":
        yield from _iter_parquet(tf, wanted, batch_size)
    else:
        yield from _iter_csv(tf, cols, wanted, batch_size)


def _iter_parquet(tf: TableFile, wanted: list[str], batch_size: int) -> Iterator[RawBatch]:
    try:
        pf = pq.ParquetFile(tf.path)
        offset = 0
        for rb in pf.iter_batches(batch_size=batch_size, columns=wanted):
            n = rb.num_rows
            yield RawBatch(_to_frame(_as_text(rb, wanted)), np.arange(offset + 1, offset + n + 1))
            offset += n
    except pa.ArrowException as e:
        raise IngestError(f"{tf.path}: unreadable Parquet ({e})") from e


class _LineMap:
    """Turns parser record numbers into physical line numbers.

    pyarrow numbers records (header = 1) and skips malformed ones, reporting
    their record number; a record spans 1 + (newlines inside quoted values)
    physical lines.  Batches arrive in order, so a running count suffices.
    """

    def __init__(self) -> None:
        self.next_rec = 2  # record number of the next row not yet placed
        self.extra = 0  # embedded newlines in all records before next_rec
        self.done: set[int] = set()

    def place(
        self, extra: np.ndarray, malformed: list[tuple[int, str, str]], *, final: bool = False
    ) -> tuple[np.ndarray, list[tuple[int, str, str]]]:
        """Lines of a batch of valid rows, and the malformed rows placed before its end."""
        n = len(extra)
        bad = sorted(m for m in malformed if m[0] >= self.next_rec and m[0] not in self.done)
        if not bad:  # the usual case, vectorised
            starts = self.next_rec + self.extra + np.arange(n, dtype=np.int64)
            starts[1:] += np.cumsum(extra)[:-1]
            self.extra += int(extra.sum())
            self.next_rec += n
            return starts, []
        recs = self.next_rec + np.arange(n, dtype=np.int64)
        for m in bad:
            recs[recs >= m[0]] += 1
        end = int(recs[-1]) if n else self.next_rec - 1
        # events in record order: valid rows and malformed rows up to the batch's end
        events = [(int(r), int(e), None) for r, e in zip(recs.tolist(), extra.tolist())]
        events += [(m[0], m[2].count("\n"), m) for m in bad if final or m[0] < end]
        events.sort(key=lambda ev: ev[0])
        starts = np.zeros(n, dtype=np.int64)
        placed: list[tuple[int, str, str]] = []
        i = 0
        for rec, e, m in events:
            line = rec + self.extra
            if m is None:
                starts[i] = line
                i += 1
            else:
                placed.append((line, m[1], m[2]))
                self.done.add(rec)
            self.extra += e
        if n:
            self.next_rec = end + 1
        return starts, placed


def _iter_csv(tf: TableFile, cols: list[str], wanted: list[str], batch_size: int) -> Iterator[RawBatch]:
    # Rows with the wrong number of fields are skipped by the parser and
    # reported with their physical line (known to the parser when it runs
    # single-threaded), then valid rows' line numbers are shifted past them.
    malformed: list[tuple[int, str, str]] = []

    def on_invalid(row: pacsv.InvalidRow) -> str:
        reason = f"wrong number of fields (expected {row.expected_columns}, got {row.actual_columns})"
        malformed.append((int(row.number or 0), reason, row.text or ""))
        return "skip"

    read_opts = pacsv.ReadOptions(block_size=8 << 20, use_threads=False)
    parse_opts = pacsv.ParseOptions(newlines_in_values=True, invalid_row_handler=on_invalid)
    conv_opts = pacsv.ConvertOptions(
        column_types={c: pa.string() for c in cols},
        include_columns=wanted,
        strings_can_be_null=False,
        quoted_strings_can_be_null=False,
    )
    lines = _LineMap()
    try:
        reader = pacsv.open_csv(
            str(tf.path), read_options=read_opts, parse_options=parse_opts, convert_options=conv_opts
        )
        for rb in reader:
            # Physical lines each row spans: 1 + newlines inside its quoted values.
            extra = np.zeros(rb.num_rows, dtype=np.int64)
            for col in rb.columns:
                if pc.any(pc.match_substring(col, "\n")).as_py():
                    extra += pc.count_substring(col, "\n").to_numpy(zero_copy_only=False)
            starts, bad = lines.place(extra, malformed)
            frame = _to_frame(_as_text(rb, wanted))
            for lo in range(0, max(rb.num_rows, 1), batch_size):
                hi = min(lo + batch_size, rb.num_rows)
                yield RawBatch(frame.iloc[lo:hi].reset_index(drop=True), starts[lo:hi], bad if lo == 0 else [])
        _, bad = lines.place(np.zeros(0, dtype=np.int64), malformed, final=True)
        if bad:
            empty = pa.table({c: pa.array([], pa.string()) for c in wanted})
            yield RawBatch(_to_frame(empty), np.zeros(0, dtype=np.int64), bad)
    except pa.ArrowInvalid as e:
        raise IngestError(f"{tf.path}: malformed CSV ({e})") from e
    except (OSError, EOFError) as e:
        raise IngestError(f"{tf.path}: unreadable {tf.fmt} ({e})") from e
