"""The checked stream of a snapshot's tables, shared by every way of loading it.

:func:`plan` finds and checks a snapshot's table files before anything is
written; :func:`stream_table` reads one file batch by batch, validates each
batch (:mod:`graphlink.ingest.validate`) and applies the cross-batch rules
(unique keys, links to known accounts: :class:`TableChecks`).  The incremental
path (:mod:`graphlink.ingest.job`), the offline importer
(:mod:`graphlink.ingest.bulk`) and the derived similarity
(:mod:`graphlink.ingest.derive`) all consume it, so a row is accepted or
refused for the same reasons whichever path loads it; :mod:`graphlink.ingest.job`
only chooses the path, which keeps the imports one way.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np
import pandas as pd

from graphlink.errors import IngestError
from graphlink.ingest import read, write
from graphlink.ingest.keys import KeySet, hash_keys
from graphlink.ingest.report import RejectsWriter, TableReport
from graphlink.ingest.tables import ACCOUNTS, DERIVED_FROM, SKIPPED_TABLES, TABLES, TableSpec
from graphlink.ingest.validate import Checked, validate
from graphlink.store import GraphStore

__all__ = [
    "AccountIndex", "NoProgress", "Plan", "Progress", "TableChecks", "hash_keys_values", "plan",
    "stream_table",
]


class Progress(Protocol):
    """Receives progress (the CLI draws rich bars from it)."""

    def table_started(self, table: str, total: int | None) -> None: ...
    def rows_done(self, table: str, n: int) -> None: ...
    def table_finished(self, table: str) -> None: ...


class NoProgress:
    """A :class:`Progress` that shows nothing (library callers)."""

    def table_started(self, table: str, total: int | None) -> None:
        pass

    def rows_done(self, table: str, n: int) -> None:
        pass

    def table_finished(self, table: str) -> None:
        pass


@dataclass
class Plan:
    """The snapshot's table files, checked before anything is written."""

    snapshot_dir: Path
    files: dict[str, read.TableFile]
    hashes: dict[str, str]
    skipped: list[str]
    ingest_id: str


def plan(snapshot_dir: Path) -> Plan:
    """Find and check every table file; IngestError if any is refused.

    >>> plan(Path("/nonexistent"))  # doctest: +IGNORE_EXCEPTION_DETAIL
    Traceback (most recent call last):
    graphlink.errors.IngestError: /nonexistent: not a snapshot directory
    """
    snapshot_dir = Path(snapshot_dir)
    if not snapshot_dir.is_dir():
        raise IngestError(f"{snapshot_dir}: not a snapshot directory")
    files: dict[str, read.TableFile] = {}
    for spec in (*TABLES, *DERIVED_FROM):
        tf = read.find_table_file(snapshot_dir, spec.name)
        if tf is not None:
            read.check_columns(tf, spec)
            files[spec.name] = tf
    if "accounts" not in files:
        raise IngestError(
            f"{snapshot_dir}: no accounts table (accounts.csv, accounts.csv.gz or accounts.parquet "
            "is required)"
        )
    skipped = [t for t in SKIPPED_TABLES if any(snapshot_dir.glob(f"{t}.*"))]
    hashes = {name: read.content_hash(tf.path) for name, tf in files.items()}
    digest = hashlib.sha256()
    for name in sorted(hashes):
        digest.update(f"{name}={hashes[name]}\n".encode())
    return Plan(snapshot_dir, files, hashes, skipped, digest.hexdigest())


class AccountIndex:
    """Accounts links may point at: this snapshot's loaded accounts (hashed) and,
    for ids not among them, the store (asked once per distinct id, cached)."""

    def __init__(self, store: GraphStore | None) -> None:
        self.snapshot = KeySet()
        self._store = store
        self._in_store = KeySet()
        self._not_in_store = KeySet()

    def known(self, ids: np.ndarray) -> np.ndarray:
        h = hash_keys_values(ids)
        ok = self.snapshot.contains(h) | self._in_store.contains(h)
        ask = ~ok & ~self._not_in_store.contains(h)
        if ask.any() and self._store is not None:
            uniq = np.unique(ids[ask].astype(str))
            found = write.existing_accounts(self._store, uniq)
            found_mask = np.isin(uniq, list(found)) if found else np.zeros(len(uniq), dtype=bool)
            self._in_store.add(hash_keys_values(uniq[found_mask]))
            self._not_in_store.add(hash_keys_values(uniq[~found_mask]))
            ok |= self._in_store.contains(h)
        return ok


def hash_keys_values(values: np.ndarray) -> np.ndarray:
    """64-bit hashes of account ids (the same as :func:`hash_keys` on one column)."""
    return hash_keys(pd.DataFrame({"k": np.asarray(values, dtype=object)}), ["k"])


class TableChecks:
    """Cross-batch rules for one table file: unique keys and known accounts."""

    def __init__(self, spec: TableSpec, accounts: AccountIndex) -> None:
        self.spec = spec
        self.accounts = accounts
        self.keys = KeySet() if spec.unique_key else None

    def apply(self, checked: Checked) -> None:
        spec = self.spec
        if self.keys is not None and len(checked.valid):
            first = self.keys.first_sighting(hash_keys(checked.valid, spec.unique_key))
            checked.reject(~first, "duplicate " + " + ".join(spec.unique_key))
        for col in spec.account_columns:
            if len(checked.valid):
                known = self.accounts.known(checked.valid[col].to_numpy())
                checked.reject(~known, f"unknown account in {col}")
        if spec is ACCOUNTS and len(checked.valid):
            self.accounts.snapshot.add(hash_keys(checked.valid, ["account_id"]))


def stream_table(
    spec: TableSpec,
    tf: read.TableFile,
    *,
    batch_size: int,
    accounts: AccountIndex,
    rejects: RejectsWriter,
    table_report: TableReport,
    on_valid: Callable[[Checked], None],
) -> None:
    """Read, validate and check ``tf`` batch by batch; valid rows go to ``on_valid``."""
    checks = TableChecks(spec, accounts)
    reasons: Counter[str] = Counter()
    for raw in read.iter_batches(tf, spec, batch_size=batch_size):
        checked = validate(spec, raw)
        checks.apply(checked)
        table_report.read += checked.n_read
        table_report.rejected += checked.n_rejected
        table_report.loaded += len(checked.valid)
        if checked.n_rejected:
            reasons.update(rejects.write(spec.name, tf.path.name, checked.rejects()))
        on_valid(checked)
    table_report.reasons = dict(reasons)
