"""``run_ingest``: load a snapshot directory into the graph.

Stages, one module each: :mod:`graphlink.ingest.read` streams a table file in batches,
:mod:`graphlink.ingest.validate` checks and normalises a batch (pure), this module
applies the cross-batch rules and hands valid rows to :mod:`graphlink.ingest.write`
(incremental, through :class:`GraphStore`) or :mod:`graphlink.ingest.bulk` (the offline
importer), and :mod:`graphlink.ingest.report` accounts for every row.

Refusal policy: before anything is written, every table file present is
checked (format, readable header, required columns).  If any file is refused
the whole ingest stops with an :class:`IngestError` naming the file and the
column, and the store is untouched: loading the other tables of a snapshot
whose ``accounts`` or ``ip_observations`` is broken would leave a half-linked
graph that detection would misread.  The optional ``requests`` table is not
stored: it is validated row by row and derives ``behaviour_similarity`` pairs
that load after the other tables (:mod:`graphlink.ingest.derive`).

Merge rules (from ``docs/graph-model.md``; re-running an ingest changes nothing):

* nodes are MERGEd on their key (``account_id``, ``instrument_id``, ``ip``,
  ``asn``, proxy ``name``, identifier ``key = kind:value``, ``org_id``);
* properties take the newest non-null value (a later row / later snapshot
  wins; a missing value never erases a known one); ``status`` defaults to
  ``active``; single-valued links (``IN_ORG``, ``IN_ASN``, ``VIA_PROVIDER``)
  follow the property (the old link is removed);
* ``first_seen`` keeps the minimum, ``last_seen`` the maximum;
* ``USED_IP.requests`` adds a row's count only if the ip table file's content
  hash (its ``ingest_id``) is not yet in ``USED_IP.snapshots``;
* ``SIMILAR_TO``: one per unordered pair and signal, stored from the smaller
  ``account_id`` to the larger, ``score`` keeps the maximum;
* the run is recorded as ``(:IngestRun {ingest_id})`` where ``ingest_id`` hashes
  the table files' content hashes: a second load of the same snapshot finds it
  and changes nothing (``IngestReport.new_run`` is False).

Row rules beyond the per-row ones: a key the spec says is unique within a
table (``accounts.account_id``; ``(account_id, instrument_id)``;
``(account_id, ip)``) is rejected on its second occurrence, and a link whose
account is neither loaded from this snapshot's ``accounts`` nor already in the
store is rejected.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import psutil

from graphlink.ingest import read, write
from graphlink.ingest.report import IngestReport, RejectsWriter, TableReport, write_report
from graphlink.ingest.stream import (
    AccountIndex,
    NoProgress,
    Plan,
    Progress,
    TableChecks,
    hash_keys_values,
    plan,
    stream_table,
)
from graphlink.ingest.tables import DERIVED_FROM, TABLES
from graphlink.ingest.validate import Checked
from graphlink.neo4j_local import LocalNeo4j
from graphlink.similarity.accumulate import DEFAULT_MEMORY_MB
from graphlink.store import GraphStore

# The stream's names stay importable from here (older callers, other branches).
__all__ = [
    "AccountIndex", "Plan", "Progress", "TableChecks", "hash_keys_values", "plan", "run_ingest",
    "stream_table",
]


class _Writer:
    """Runs store writes on one background thread, so validation of the next
    batch overlaps Neo4j's work on this one (the driver waits on the socket
    without holding the GIL).  A bounded queue keeps memory bounded."""

    def __init__(self, depth: int = 2) -> None:
        self._q: queue.Queue[Callable[[], None] | None] = queue.Queue(maxsize=depth)
        self._error: BaseException | None = None
        self._t = threading.Thread(target=self._run, name="ingest-writer", daemon=True)
        self._t.start()

    def _run(self) -> None:
        while True:
            job = self._q.get()
            if job is None:
                return
            if self._error is None:
                try:
                    job()
                except BaseException as e:  # noqa: BLE001 - re-raised in the caller
                    self._error = e

    def submit(self, job: Callable[[], None]) -> None:
        self._raise()
        self._q.put(job)

    def drain(self) -> None:
        """Wait until every submitted write is done (a barrier between tables)."""
        done = threading.Event()
        self._q.put(done.set)
        while not done.wait(0.2):
            if self._error is not None:
                break
        self._raise()

    def close(self) -> None:
        self._q.put(None)
        self._t.join()

    def _raise(self) -> None:
        if self._error is not None:
            raise self._error


def _now() -> datetime:
    return datetime.now(UTC)


def run_ingest(
    store: GraphStore,
    snapshot_dir: Path,
    *,
    batch_size: int = 20_000,
    bulk: LocalNeo4j | None = None,
    progress: Progress | None = None,
    report_dir: Path | None = None,
    similarity_memory_mb: float | None = DEFAULT_MEMORY_MB,
) -> IngestReport:
    """Load a snapshot into the store and write its report and rejects file.

    ``bulk``: the local server to fill with the offline importer (first load
    into an empty database only; the server is stopped and restarted).  If the
    database already holds data the ingest falls back to the incremental path
    and says so in ``report.notes``.  ``similarity_memory_mb``
    bounds the request log's buffered facts (see
    :class:`~graphlink.similarity.RequestAccumulator`).  ``report_dir`` defaults to
    ``<snapshot_dir>/../reports``; the CLI passes ``<GRAPHLINK_HOME>/reports``.

    >>> report = run_ingest(store, Path("snap"), batch_size=20_000)  # doctest: +SKIP
    >>> report.table("accounts").loaded                               # doctest: +SKIP
    1000
    """
    progress = progress or NoProgress()
    started = _now()
    t0 = time.perf_counter()
    p = plan(Path(snapshot_dir))
    stamp = started.strftime("%Y%m%dT%H%M%S%fZ")
    report_dir = Path(report_dir) if report_dir else p.snapshot_dir.parent / "reports"
    report = IngestReport(
        ingest_id=p.ingest_id,
        snapshot=str(p.snapshot_dir.resolve()),
        mode="bulk" if bulk is not None else "incremental",
        started_at=started.isoformat(),
    )
    for spec in (*TABLES, *DERIVED_FROM):
        tf = p.files.get(spec.name)
        report.tables.append(
            TableReport(
                spec.name,
                file=tf.path.name if tf else None,
                format=tf.fmt if tf else None,
                ingest_id=p.hashes.get(spec.name),
                status="loaded" if tf else "absent",
            )
        )
    for name in p.skipped:
        report.tables.append(TableReport(name, status="skipped", message="not loaded by ingest "
                                                                         "(optional raw log)"))
        report.notes.append(f"table {name!r} is present but not loaded (optional raw log)")

    t_schema = time.perf_counter()
    store.apply_schema()
    report.phases["schema"] = round(time.perf_counter() - t_schema, 2)
    if bulk is not None and store.read("ingest/has_data")[0]["has_data"]:
        report.mode = "incremental"
        report.notes.append("bulk refused: the database is not empty; loaded incrementally instead")
        bulk = None

    rejects = RejectsWriter(report_dir / f"rejects-{stamp}.csv")
    report.rejects_path = str(rejects.path)
    accounts = AccountIndex(store)
    try:
        if bulk is not None:
            from graphlink.ingest import bulk as bulk_path

            bulk_path.load(
                store, bulk, p, report, rejects=rejects, batch_size=batch_size, progress=progress,
                log_path=report_dir / f"neo4j-import-{stamp}.log",
            )
        else:
            t_load = time.perf_counter()
            _incremental(
                store,
                p,
                report,
                rejects=rejects,
                batch_size=batch_size,
                progress=progress,
                accounts=accounts,
            )
            report.phases["load"] = round(time.perf_counter() - t_load, 2)
        if "requests" in p.files:
            from graphlink.ingest.derive import derive_similarity

            derive_similarity(
                store,
                p.files["requests"],
                report,
                accounts=accounts,
                rejects=rejects,
                batch_size=batch_size,
                progress=progress,
                out_dir=report_dir,
                stamp=stamp,
                memory_mb=similarity_memory_mb,
            )
    finally:
        rejects.close()

    finished = _now()
    report.finished_at = finished.isoformat()
    report.seconds = round(time.perf_counter() - t0, 3)
    report.peak_rss_mb = round(_peak_rss_mb(), 1)
    report_path = report_dir / f"ingest-report-{stamp}.json"
    report.report_path = str(report_path)
    created = store.write(
        "ingest/record_run",
        ingest_id=p.ingest_id,
        started_at=report.started_at,
        finished_at=report.finished_at,
        snapshot=report.snapshot,
        report_json=report.to_json(),
    )
    report.new_run = bool(created and created[0]["created"])
    if not report.new_run:
        report.notes.append("this snapshot had been ingested before: nothing changed")
    write_report(report, report_path)
    return report


def _incremental(
    store: GraphStore,
    p: Plan,
    report: IngestReport,
    *,
    rejects: RejectsWriter,
    batch_size: int,
    progress: Progress,
    accounts: AccountIndex | None = None,
) -> None:
    accounts = accounts or AccountIndex(store)
    writer = _Writer()
    try:
        for spec in TABLES:
            tf = p.files.get(spec.name)
            if tf is None:
                continue
            tr = report.table(spec.name)
            ingest_id = p.hashes[spec.name]
            write_fn = write.WRITERS[spec.name]
            progress.table_started(spec.name, read.total_rows(tf))
            t = time.perf_counter()

            def on_valid(
                checked: Checked,
                *,
                _w: Callable[..., None] = write_fn,
                _id: str = ingest_id,
                _name: str = spec.name,
            ) -> None:
                frame, n = checked.valid, checked.n_read

                def job() -> None:
                    if len(frame):
                        _w(store, frame, _id)
                    progress.rows_done(_name, n)

                writer.submit(job)

            stream_table(
                spec,
                tf,
                batch_size=batch_size,
                accounts=accounts,
                rejects=rejects,
                table_report=tr,
                on_valid=on_valid,
            )
            # accounts must be in the store before links to them are merged
            writer.drain()
            tr.seconds = round(time.perf_counter() - t, 3)
            progress.table_finished(spec.name)
    finally:
        writer.close()


def _peak_rss_mb() -> float:
    mem = psutil.Process().memory_info()
    peak = getattr(mem, "peak_wset", None)  # Windows
    if peak is None:
        try:
            import resource

            return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
        except ImportError:  # pragma: no cover
            return mem.rss / 2**20
    return peak / 2**20
