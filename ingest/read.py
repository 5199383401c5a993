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

import codecs
import csv
import functools
import hashlib
import io
import json
import re
import tempfile
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
from graphlink.ingest.tables import TableSpec

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


#: Bytes pyarrow parses at a time; a header (or one row) must fit in one block.
CSV_BLOCK = 8 << 20


def _csv_options(cols: list[str] | None = None, wanted: list[str] | None = None,
                 on_invalid: object = None
                 ) -> tuple[pacsv.ReadOptions, pacsv.ParseOptions, pacsv.ConvertOptions]:
    """The one set of CSV options, so the header check parses exactly as the load does.

    Only valid UTF-8 reaches pyarrow (:func:`csv_source`): its invalid-row
    handler cannot even be called for a short row holding invalid bytes (it
    fails decoding the row's text), which refused the whole file mid-load.
    """
    read_opts = pacsv.ReadOptions(block_size=CSV_BLOCK, use_threads=False)
    parse_opts = pacsv.ParseOptions(newlines_in_values=True,
                                    invalid_row_handler=on_invalid or (lambda row: "skip"))
    if cols is None:
        return read_opts, parse_opts, pacsv.ConvertOptions()
    conv_opts = pacsv.ConvertOptions(
        column_types={c: pa.string() for c in cols},
        include_columns=wanted,
        strings_can_be_null=False,
        quoted_strings_can_be_null=False,
    )
    return read_opts, parse_opts, conv_opts


#: Reason for a CSV row that is not UTF-8 text (the rest of the file loads).
NOT_UTF8 = "not UTF-8 text"
_SANITISED = tempfile.TemporaryDirectory(prefix="graphlink-utf8-")
_BAD_RUN = re.compile("[\udc80-\udcff]+")
_MARKER_RANGE = re.compile("[\ue000-\uf8ff]")


def _chunks(path: Path, errors: str) -> Iterator[str]:
    decoder = codecs.getincrementaldecoder("utf-8")(errors=errors)
    with pa.input_stream(str(path), compression="detect") as stream:
        while chunk := stream.read(1 << 20):
            yield decoder.decode(chunk)
    yield decoder.decode(b"", final=True)


@functools.lru_cache(maxsize=64)
def _sanitised(path: Path, size: int, mtime_ns: int) -> tuple[str, str | None]:
    try:
        for _ in _chunks(path, "strict"):
            pass
        return str(path), None
    except UnicodeDecodeError:
        pass
    # Invalid bytes: a copy where each run of them is one marker character
    # that the file's valid text never uses; rows holding it are rejected.
    used: set[str] = set()
    for text in _chunks(path, "surrogateescape"):
        used.update(_MARKER_RANGE.findall(text))
    marker = next(chr(c) for c in range(0xE000, 0xF900) if chr(c) not in used)
    folder = Path(_SANITISED.name)
    out = folder / f"{len(list(folder.iterdir()))}-{path.name.removesuffix('.gz')}"
    with out.open("w", encoding="utf-8", newline="") as f:
        for text in _chunks(path, "surrogateescape"):
            f.write(_BAD_RUN.sub(marker, text))
    return str(out), marker


def csv_source(tf: TableFile) -> tuple[str, str | None]:
    """The file pyarrow should parse for ``tf``, and the marker of invalid bytes.

    A valid UTF-8 file (the usual case, checked in one streaming pass) is
    parsed as is: ``(path, None)``.  Otherwise a decoded copy is parsed, with
    every run of invalid bytes replaced by a private-use character absent from
    the file; rows containing it are rejected as ``not UTF-8 text``.
    """
    st = tf.path.stat()
    return _sanitised(tf.path, st.st_size, st.st_mtime_ns)


def _header_only(source: str) -> list[str] | None:
    """Column names of a CSV holding a header line and nothing else (pyarrow
    calls such a file empty), None if it holds more or is not UTF-8 text."""
    with pa.input_stream(source, compression="detect") as stream:
        data = stream.read(CSV_BLOCK)
    try:
        text = data.decode("utf-8").lstrip("\ufeff")
    except UnicodeDecodeError:
        return None
    rows = list(csv.reader(io.StringIO(text)))
    return rows[0] if len(rows) == 1 and rows[0] else None


def header(tf: TableFile) -> list[str]:
    """Column names of a table file (IngestError if it cannot be read as its format).

    A CSV header is read by the same pyarrow parser and options as the rows
    (:func:`_csv_options`), never by a second parser: names are taken exactly
    as the loader will see them (a leading space stays), however long the
    header and wherever a multi-byte character falls.
    """
    try:
        if tf.fmt == "parquet":
            return list(pq.ParquetFile(tf.path).schema_arrow.names)
        source, marker = csv_source(tf)
        read_opts, parse_opts, conv_opts = _csv_options()
        try:
            reader = pacsv.open_csv(source, read_options=read_opts, parse_options=parse_opts,
                                    convert_options=conv_opts)
            names = list(reader.schema.names)
            reader.close()
        except pa.ArrowInvalid as e:
            if "Empty CSV" not in str(e):
                raise
            names = _header_only(source)  # type: ignore[assignment]
            if names is None:
                raise IngestError(f"{tf.path}: empty file (no header row)") from None
        if marker and any(marker in n for n in names):
            raise IngestError(f"{tf.path}: header is not UTF-8 text")
        return names
    except IngestError:
        raise
    except UnicodeDecodeError as e:
        raise IngestError(f"{tf.path}: header is not UTF-8 text ({e})") from e
    except Exception as e:  # pyarrow, gzip and OS errors surface as various types
        raise IngestError(f"{tf.path}: not a readable {tf.fmt} file ({e})") from e


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
    spaced = [c for c in cols if c != c.strip() and c.strip() in spec.columns]
    if spaced:
        raise IngestError(
            f"{tf.path}: column {spaced[0]!r} has spaces around its name "
            f"(column names are exact: {spaced[0].strip()!r})"
        )
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
        {
            n: pd.Series(table.column(n), dtype=pd.ArrowDtype(pa.string()))
            for n in table.column_names
        },
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
        for b in bad:
            recs[recs >= b[0]] += 1
        end = int(recs[-1]) if n else self.next_rec - 1
        # events in record order: valid rows and malformed rows up to the batch's end
        events: list[tuple[int, int, tuple[int, str, str] | None]] = [
            (int(r), int(e), None) for r, e in zip(recs.tolist(), extra.tolist())
        ]
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


def _iter_csv(
    tf: TableFile, cols: list[str], wanted: list[str], batch_size: int
) -> Iterator[RawBatch]:
    # Rows with the wrong number of fields are skipped by the parser and
    # reported with their physical line (known to the parser when it runs
    # single-threaded), then valid rows' line numbers are shifted past them.
    malformed: list[tuple[int, str, str]] = []

    def on_invalid(row: pacsv.InvalidRow) -> str:
        reason = (
            f"wrong number of fields (expected {row.expected_columns}, got {row.actual_columns})"
        )
        malformed.append((int(row.number or 0), reason, row.text or ""))
        return "skip"

    read_opts, parse_opts, conv_opts = _csv_options(cols, wanted, on_invalid)
    lines = _LineMap()
    try:
        source, marker = csv_source(tf)
        try:
            reader = pacsv.open_csv(
                source, read_options=read_opts, parse_options=parse_opts, convert_options=conv_opts
            )
        except pa.ArrowInvalid as e:
            if "Empty CSV" in str(e) and _header_only(source) is not None:
                return  # a header and no rows
            raise
        for rb in reader:
            # Physical lines each row spans: 1 + newlines inside its quoted values.
            extra = np.zeros(rb.num_rows, dtype=np.int64)
            for col in rb.columns:
                if pc.any(pc.match_substring(col, "\n")).as_py():
                    extra += pc.count_substring(col, "\n").to_numpy(zero_copy_only=False)
            starts, bad = lines.place(extra, malformed)
            if marker is not None:
                bad = [(line, reason, text.replace(marker, "\ufffd")) for line, reason, text in bad]
                undecodable = np.zeros(rb.num_rows, dtype=bool)
                for col in rb.columns:
                    undecodable |= pc.match_substring(col, marker).to_numpy(zero_copy_only=False)
                if undecodable.any():
                    rows = rb.filter(pa.array(undecodable)).to_pylist()
                    bad = sorted(bad + [
                        (int(line), NOT_UTF8,
                         json.dumps(row, ensure_ascii=False).replace(marker, "\ufffd"))
                        for line, row in zip(starts[undecodable].tolist(), rows)
                    ])
                    rb = rb.filter(pa.array(~undecodable))
                    starts = starts[~undecodable]
            frame = _to_frame(_as_text(rb, wanted))
            for lo in range(0, max(rb.num_rows, 1), batch_size):
                hi = min(lo + batch_size, rb.num_rows)
                yield RawBatch(
                    frame.iloc[lo:hi].reset_index(drop=True), starts[lo:hi], bad if lo == 0 else []
                )
        _, bad = lines.place(np.zeros(0, dtype=np.int64), malformed, final=True)
        if bad:
            empty = pa.table({c: pa.array([], pa.string()) for c in wanted})
            yield RawBatch(_to_frame(empty), np.zeros(0, dtype=np.int64), bad)
    except pa.ArrowInvalid as e:
        raise IngestError(f"{tf.path}: malformed CSV ({e})") from e
    except (OSError, EOFError) as e:
        raise IngestError(f"{tf.path}: unreadable {tf.fmt} ({e})") from e
