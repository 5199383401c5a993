"""Streaming reduction of a request log to the facts the signals need, in bounded memory.

A request log is large (16 million rows) and read once, batch by batch; the
signals need its distinct facts:

* the distinct (account, prompt fingerprint) pairs with their request counts -
  a ring script sending one template 500 times is one pair;
* the distinct (account, time bucket) pairs;
* requests per (account, model, hour) and the first request per (account, model).

Distinct facts still grow with the log (a generated 16M-request log has 12.8
million (account, fingerprint) facts, 11.7 million of them one-off prompts, and
15 million (account, minute) facts), so they are not all kept in memory.  Each
batch is deduplicated and buffered as numpy key arrays (8-32 bytes per fact, no
Python object per row); when the buffer outgrows the budget (``memory_mb``,
``GRAPHLINK_SIMILARITY_MEMORY_MB`` in :class:`graphlink.config.Settings`) it is
*spilled*: hash-partitioned into ``partitions`` parts and written as one Arrow
IPC file per kind of fact, a record batch per part and buffered batch.  The signals then read the
facts one part at a time (:class:`Aggregates`), which is enough for each of them:

* fingerprint facts are partitioned by fingerprint, so a part holds every
  account of its fingerprints: the part says how many accounts use each one
  (``df``), and the one-off prompts (``df = 1``, nearly all of them) are
  reduced to two counters per account (:class:`Prompts`); only the shared
  facts stay;
* the other facts are partitioned by account, so a part holds whole accounts:
  timing_sync computes each account's MinHash signature part by part, then
  reloads only the candidates' buckets; model_pivot reloads only the hourly
  counts of the accounts that pivot.

So peak memory is the budget plus what grows with *accounts* (ids, signatures,
per-account counters), not with requests.  The pairs are those of an unbounded
run (a test holds a tiny budget, spilling after every batch, to that).
Fingerprints are kept as 64-bit hashes (two distinct fingerprints collide with
probability ~n^2/2^65: negligible), account ids are numbered in order of first
appearance.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from graphlink.hashing import mix64

_HOUR_MS = 3_600_000
_MODEL_BITS = 11  # up to 2,047 distinct model names
_HOUR_BITS = 21  # hours since 1970 up to year 2209

#: Buffered facts the accumulator keeps before it spills them to disk, in MB (spilling
#: briefly needs about as much again to reorder the largest kind).  The library's own
#: default; ``GRAPHLINK_SIMILARITY_MEMORY_MB`` sets it for the CLI and ingest.
DEFAULT_MEMORY_MB = 256
#: Parts the spilled facts are cut into: a part is what the signals hold at once
#: (1/64 of the facts: ~15 MB per kind at 16 million requests).
DEFAULT_PARTITIONS = 64

#: Columns of each kind of fact.  ``fp`` is partitioned by fingerprint, the others
#: by account.
_KINDS: dict[str, tuple[str, ...]] = {
    "fp": ("key", "acc", "hash", "count"),
    "bucket": ("key",),
    "mh": ("key", "count"),
    "first": ("key", "ms"),
}


def _hash_strings(values: np.ndarray | pd.Series) -> np.ndarray:
    """uint64 hash per value, computed once per distinct value (C-level factorize)."""
    codes, uniq = pd.factorize(pd.Series(values), sort=False)
    hashed = pd.util.hash_array(np.asarray(uniq, dtype=object)).astype(np.uint64)
    return hashed[codes]


def unique(keys: np.ndarray, *, counts: bool = False, first: bool = False,
           inverse: bool = False) -> tuple[np.ndarray, ...]:
    """Sorted distinct keys (and each one's first position / inverse / count): a stable sort
    and a diff.

    ``np.unique`` (numpy 2) hashes large integer arrays, several times slower than
    sorting them; this is what every step here uses instead.

    >>> [a.tolist() for a in unique(np.array([3, 1, 3]), counts=True, first=True, inverse=True)]
    [[1, 3], [1, 0], [1, 0, 1], [1, 2]]
    """
    order = np.argsort(keys, kind="stable")
    k = keys[order]
    start = np.r_[True, k[1:] != k[:-1]] if len(k) else np.zeros(0, dtype=bool)
    out: list[np.ndarray] = [k[start]]
    if first:
        out.append(order[start])
    if inverse:
        inv = np.empty(len(k), dtype=np.int64)
        inv[order] = np.cumsum(start) - 1
        out.append(inv)
    if counts:
        out.append(np.diff(np.r_[np.flatnonzero(start), len(k)]))
    return tuple(out)


Cols = dict[str, np.ndarray]


def _reduce(kind: str, c: Cols) -> Cols:
    """Deduplicate facts of one kind (requests summed, earliest request kept), sorted by key."""
    if kind == "fp":
        key, first, inv = unique(c["key"], first=True, inverse=True)
        return {"key": key, "acc": c["acc"][first], "hash": c["hash"][first],
                "count": np.bincount(inv, weights=c["count"], minlength=len(key)).astype(np.int64)}
    if kind == "bucket":
        return {"key": unique(c["key"])[0]}
    if kind == "mh":
        key, inv = unique(c["key"], inverse=True)
        return {"key": key,
                "count": np.bincount(inv, weights=c["count"], minlength=len(key)).astype(np.int64)}
    order = np.lexsort((c["ms"], c["key"]))
    key, ms = c["key"][order], c["ms"][order]
    keep = np.r_[True, key[1:] != key[:-1]] if len(key) else np.zeros(0, dtype=bool)
    return {"key": key[keep], "ms": ms[keep]}


def _release_arrow_memory() -> None:
    """Hand the memory Arrow's allocator keeps for reuse back to the system.

    Why: reading and validating the log goes through Arrow (Parquet/CSV reader,
    text columns), whose pool (mimalloc) keeps what it freed: measured at the end
    of a 16M-request read, 500 MB of a 957 MB RSS was such retained memory, with
    every fact already on disk, and the signals' peak came on top of it.
    """
    pa.default_memory_pool().release_unused()


class FactStore:
    """Facts hash-partitioned into ``partitions`` parts, in memory or spilled to disk.

    A spill writes, per kind, one Arrow IPC file holding ``partitions`` record
    batches per buffered chunk (batch ``c * partitions + p`` is part ``p`` of
    chunk ``c``); reading part ``p`` memory-maps those batches of every spill
    file, adds the part's in-memory chunks and deduplicates (a fact may be in
    several chunks).  The spill directory is removed with the store.
    """

    def __init__(self, partitions: int = DEFAULT_PARTITIONS, spill_dir: Path | None = None
                 ) -> None:
        if partitions < 1 or partitions & (partitions - 1):
            raise ValueError("partitions must be a power of two")
        self.partitions = partitions
        self._bits = partitions.bit_length() - 1
        self._spill_dir = spill_dir
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        self._files: dict[str, list[Path]] = {k: [] for k in _KINDS}
        self._memory: dict[str, list[tuple[Cols, np.ndarray]]] = {k: [] for k in _KINDS}
        self.spills = 0

    def part_of(self, kind: str, c: Cols) -> np.ndarray:
        """Part index of each fact: top bits of the fingerprint hash, or the account code's
        low bits (account codes are dense, so parts are even)."""
        if kind == "fp":
            return (c["hash"] >> np.uint64(64 - self._bits)).astype(np.int64) if self._bits \
                else np.zeros(len(c["hash"]), dtype=np.int64)
        shift = _MODEL_BITS if kind == "first" else 32
        return ((c["key"] >> np.uint64(shift)) & np.uint64(self.partitions - 1)).astype(np.int64)

    def _split(self, kind: str, c: Cols) -> tuple[Cols, np.ndarray]:
        """``c`` reordered by part, and each part's bounds."""
        part = self.part_of(kind, c)
        order = np.argsort(part, kind="stable")
        bounds = np.searchsorted(part[order], np.arange(self.partitions + 1))
        return {n: c[n][order] for n in _KINDS[kind]}, bounds

    def put(self, kind: str, chunks: list[Cols], *, to_disk: bool) -> None:
        """Move ``chunks`` (emptied) of facts of one kind into the store, each split by part;
        on disk when ``to_disk``,
        as one file holding ``partitions`` record batches per chunk (chunks are written one
        at a time: a spill needs one chunk's reordered copy, not the buffer's)."""
        if not to_disk:
            while chunks:
                self._memory[kind].append(self._split(kind, chunks.pop(0)))
            return
        if self._tmp is None:
            self._tmp = tempfile.TemporaryDirectory(prefix="graphlink-similarity-",
                                                    dir=self._spill_dir)
        path = Path(self._tmp.name) / f"{kind}-{len(self._files[kind]):05d}.arrow"
        schema = None
        with pa.OSFile(str(path), "wb") as sink:
            writer = None
            while chunks:
                cols, bounds = self._split(kind, chunks.pop(0))
                arrays = [pa.array(cols[n]) for n in _KINDS[kind]]
                del cols
                if writer is None:
                    schema = pa.schema([(n, a.type) for n, a in zip(_KINDS[kind], arrays,
                                                                     strict=True)])
                    writer = pa.ipc.new_file(sink, schema)
                for p in range(self.partitions):
                    lo, hi = int(bounds[p]), int(bounds[p + 1])
                    writer.write_batch(pa.record_batch([a.slice(lo, hi - lo) for a in arrays],
                                                       schema=schema))
            if writer is not None:
                writer.close()
        self._files[kind].append(path)

    def part(self, kind: str, p: int) -> Cols:
        """Part ``p`` of one kind, deduplicated and sorted by key."""
        chunks: list[Cols] = []
        for path in self._files[kind]:
            with pa.memory_map(str(path)) as src:
                reader = pa.ipc.open_file(src)
                for b in range(p, reader.num_record_batches, self.partitions):
                    rb = reader.get_batch(b)
                    chunks.append({n: rb.column(n).to_numpy().copy() for n in _KINDS[kind]})
        for cols, bounds in self._memory[kind]:
            lo, hi = int(bounds[p]), int(bounds[p + 1])
            chunks.append({n: v[lo:hi] for n, v in cols.items()})
        if not chunks:
            return {n: np.zeros(0, dtype=np.uint64 if n in ("key", "hash") else np.int64)
                    for n in _KINDS[kind]}
        joined = {n: np.concatenate([ch[n] for ch in chunks]) for n in _KINDS[kind]}
        return _reduce(kind, joined)

    def parts(self, kind: str) -> Iterator[Cols]:
        for p in range(self.partitions):
            yield self.part(kind, p)

    def close(self) -> None:
        """Remove the spill files now (they are removed with the store anyway)."""
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None
        self._files = {k: [] for k in _KINDS}


@dataclass
class Prompts:
    """The fingerprint facts the signals use: shared ones kept, one-offs counted per account.

    A one-off prompt (used by one account) can never be in common; what the
    signals need of it is only that it exists (an account's distinct
    fingerprints, the log's incidences) and its requests (the account's
    traffic that is *not* shared).  So it is two per-account counters, not a
    fact: 11.7 of the 12.8 million facts of a 16M-request log.
    """

    #: distinct (account, fingerprint) of fingerprints used by at least 2 accounts,
    #: sorted by their (account, fingerprint) key
    fp_account: np.ndarray
    fp_hash: np.ndarray
    fp_count: np.ndarray
    #: distinct shared fingerprint hashes, each fact's code into it, accounts per fingerprint
    uniq: np.ndarray
    fcode: np.ndarray
    df: np.ndarray
    #: per account: distinct one-off fingerprints, requests on them
    oneoff_fps: np.ndarray
    oneoff_requests: np.ndarray

    @property
    def n_fingerprints(self) -> int:
        """Distinct fingerprints of the log, one-offs included."""
        return len(self.uniq) + int(self.oneoff_fps.sum())

    @cached_property
    def n_users(self) -> int:
        """Accounts with at least one fingerprint."""
        n = len(self.oneoff_fps)
        return int(((np.bincount(self.fp_account, minlength=n) + self.oneoff_fps) > 0).sum())


@dataclass
class Aggregates:
    """What the signals read: the log reduced to distinct facts (numpy, read part by part).

    Accounts are integers ``0..n_accounts-1``; ``account_ids[i]`` is the id.
    """

    account_ids: np.ndarray  # object, one per account code
    bucket_seconds: int
    #: first request (epoch ms) per (account, model), sorted by (account, model)
    first_account: np.ndarray
    first_model: np.ndarray
    first_ms: np.ndarray
    models: list[str]
    n_requests: int
    log_start_ms: int
    log_end_ms: int
    facts: FactStore = field(repr=False)

    @property
    def n_accounts(self) -> int:
        return len(self.account_ids)

    @cached_property
    def prompts(self) -> Prompts:
        """The fingerprint facts, one-offs reduced (one pass over the parts, computed once:
        read by prompt_template and by model_pivot's corroboration)."""
        n = self.n_accounts
        oneoff_fps = np.zeros(n, dtype=np.int64)
        oneoff_req = np.zeros(n, dtype=np.int64)
        keep: list[Cols] = []
        for c in self.facts.parts("fp"):
            _, inv, df = unique(c["hash"], inverse=True, counts=True)
            one = df[inv] == 1
            oneoff_fps += np.bincount(c["acc"][one], minlength=n)
            oneoff_req += np.bincount(c["acc"][one], weights=c["count"][one],
                                      minlength=n).astype(np.int64)
            keep.append({k: v[~one] for k, v in c.items()})
        shared = {k: np.concatenate([c[k] for c in keep]) if keep else
                  np.zeros(0, dtype=np.int64) for k in _KINDS["fp"]}
        order = np.argsort(shared["key"], kind="stable")
        acct = shared["acc"][order].astype(np.int64)
        fph = shared["hash"][order].astype(np.uint64)
        uniq, fcode, df = unique(fph, inverse=True, counts=True)
        return Prompts(fp_account=acct, fp_hash=fph,
                       fp_count=shared["count"][order].astype(np.int64), uniq=uniq, fcode=fcode,
                       df=df, oneoff_fps=oneoff_fps, oneoff_requests=oneoff_req)

    def bucket_parts(self) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """(account, bucket) of the distinct (account, time bucket) facts, part by part; each
        part holds whole accounts, sorted by account then bucket.  Buckets are
        ``floor(ts / bucket_seconds)``."""
        mask32 = np.uint64((1 << 32) - 1)
        for c in self.facts.parts("bucket"):
            k = c["key"]
            yield (k >> np.uint64(32)).astype(np.int64), (k & mask32).astype(np.int64)

    def hourly(self, accounts: np.ndarray | None = None
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """(account, model, hour since 1970, requests) of the given accounts (a boolean mask
        over account codes; all when None), from one pass over the parts."""
        out: list[tuple[np.ndarray, ...]] = []
        mask32 = np.uint64((1 << 32) - 1)
        for c in self.facts.parts("mh"):
            k = c["key"]
            acc = (k >> np.uint64(32)).astype(np.int64)
            rows = accounts[acc] if accounts is not None else slice(None)
            k = k[rows]
            out.append((acc[rows], ((k & mask32) >> np.uint64(_HOUR_BITS)).astype(np.int64),
                        (k & np.uint64((1 << _HOUR_BITS) - 1)).astype(np.int64),
                        c["count"][rows]))
        if not out:
            z = np.zeros(0, dtype=np.int64)
            return z, z.copy(), z.copy(), z.copy()
        a, m, h, n = (np.concatenate(x) for x in zip(*out, strict=True))
        return a, m, h, n

    def close(self) -> None:
        """Remove spilled facts now rather than when the aggregates are collected."""
        self.facts.close()


class RequestAccumulator:
    """Feed it batches (:meth:`add`), then :meth:`finish` for the :class:`Aggregates`.

    ``memory_mb`` bounds the buffered facts (None: never spill, everything in
    memory); ``spill_dir`` is where spill files go (the system's temporary
    directory by default).  The result does not depend on either.

    >>> acc = RequestAccumulator(bucket_seconds=60)
    >>> acc.add(np.array(["a", "b", "a"], dtype=object), np.array([0, 1_000, 61_000]),
    ...         np.array(["m1", "m1", None], dtype=object), np.array(["f", "f", "f"], dtype=object))
    >>> agg = acc.finish()
    >>> agg.n_accounts, len(agg.prompts.fp_hash), agg.n_requests
    (2, 2, 3)
    """

    def __init__(self, *, bucket_seconds: int = 60, memory_mb: float | None = DEFAULT_MEMORY_MB,
                 spill_dir: Path | None = None, partitions: int = DEFAULT_PARTITIONS) -> None:
        if bucket_seconds <= 0:
            raise ValueError("bucket_seconds must be > 0")
        if memory_mb is not None and memory_mb < 0:
            raise ValueError("memory_mb must be >= 0 (or None: no limit)")
        self.bucket_seconds = int(bucket_seconds)
        self.budget_bytes = None if memory_mb is None else int(memory_mb * (1 << 20))
        self._ids: dict[str, int] = {}
        self._models: dict[str, int] = {"": 0}  # code 0: no model given
        self.n_requests = 0
        self.log_start_ms: int | None = None
        self.log_end_ms: int | None = None
        self._buf: dict[str, list[Cols]] = {k: [] for k in _KINDS}
        self._buffered_bytes = 0
        self.facts = FactStore(partitions, spill_dir)
        self._spent = False  # finish() hands the facts over once

    # -- feeding ---------------------------------------------------------------------
    def _account_codes(self, ids: np.ndarray | pd.Series) -> np.ndarray:
        local, uniq = pd.factorize(pd.Series(ids), sort=False)
        ids_map = self._ids
        glob = np.fromiter(
            (ids_map.setdefault(u, len(ids_map)) for u in np.asarray(uniq, dtype=object)),
            dtype=np.int64,
            count=len(uniq),
        )
        return glob[local]

    def _model_codes(self, models: np.ndarray | pd.Series) -> np.ndarray:
        s = pd.Series(models).fillna("").astype(object)
        local, uniq = pd.factorize(s, sort=False)
        glob = np.array([self._models.setdefault(str(u), len(self._models)) for u in uniq],
                        dtype=np.int64)
        if len(self._models) >= 1 << _MODEL_BITS:
            raise ValueError(f"more than {(1 << _MODEL_BITS) - 1} distinct model names")
        return glob[local] if len(uniq) else np.zeros(len(s), dtype=np.int64)

    def add(
        self,
        account_id: np.ndarray | pd.Series,
        ts_ms: np.ndarray,
        model: np.ndarray | pd.Series | None,
        fingerprint: np.ndarray | pd.Series,
    ) -> None:
        """One batch of valid requests (parallel columns; ``ts_ms`` epoch milliseconds)."""
        if self._spent:
            raise RuntimeError("RequestAccumulator.add() after finish()")
        n = len(ts_ms)
        if n == 0:
            return
        ts_ms = np.asarray(ts_ms, dtype=np.int64)
        acc = self._account_codes(account_id).astype(np.uint64)
        self.n_requests += n
        lo, hi = int(ts_ms.min()), int(ts_ms.max())
        self.log_start_ms = lo if self.log_start_ms is None else min(self.log_start_ms, lo)
        self.log_end_ms = hi if self.log_end_ms is None else max(self.log_end_ms, hi)

        bucket = (ts_ms // (1000 * self.bucket_seconds)).astype(np.uint64)
        if int(bucket.max()) >= 1 << 32:
            raise ValueError("timestamp beyond the bucket range")
        fph = _hash_strings(fingerprint)
        mcode = np.zeros(n, dtype=np.uint64) if model is None else self._model_codes(model).astype(
            np.uint64
        )
        hour = (ts_ms // _HOUR_MS).astype(np.uint64)
        ones = np.ones(n, dtype=np.int64)
        batch = {
            "fp": {"key": mix64(mix64(acc) ^ fph), "acc": acc.astype(np.int64), "hash": fph,
                   "count": ones},
            "bucket": {"key": (acc << np.uint64(32)) | bucket},
            "mh": {"key": (acc << np.uint64(32)) | (mcode << np.uint64(_HOUR_BITS)) | hour,
                   "count": ones},
            "first": {"key": (acc << np.uint64(_MODEL_BITS)) | mcode, "ms": ts_ms},
        }
        for kind, cols in batch.items():
            red = _reduce(kind, cols)
            self._buf[kind].append(red)
            self._buffered_bytes += sum(v.nbytes for v in red.values())
        if self.budget_bytes is not None and self._buffered_bytes > self.budget_bytes:
            self._flush(to_disk=True)

    def _flush(self, *, to_disk: bool) -> None:
        """Move the buffered facts into the store, one chunk at a time."""
        for kind in _KINDS:
            if self._buf[kind]:
                self.facts.put(kind, self._buf[kind], to_disk=to_disk)  # empties the list
        self._buffered_bytes = 0
        if to_disk:
            self.facts.spills += 1
        _release_arrow_memory()

    # -- result ----------------------------------------------------------------------
    def finish(self) -> Aggregates:
        """The aggregates of everything added so far; the accumulator is spent afterwards.

        Buffered facts go to disk too when anything was spilled already (so the
        signals hold one part at a time, not the last buffer as well), else they
        stay in memory (a small log never touches the disk).
        """
        if self._spent:
            raise RuntimeError("RequestAccumulator.finish() was already called")
        self._flush(to_disk=self.facts.spills > 0)
        first = [self.facts.part("first", p) for p in range(self.facts.partitions)]
        fkey = np.concatenate([f["key"] for f in first])
        fms = np.concatenate([f["ms"] for f in first])
        order = np.argsort(fkey, kind="stable")
        fkey, fms = fkey[order], fms[order].astype(np.int64)
        ids = np.empty(len(self._ids), dtype=object)
        for k, v in self._ids.items():
            ids[v] = k
        models = [""] * len(self._models)
        for k, v in self._models.items():
            models[v] = k
        agg = Aggregates(
            account_ids=ids,
            bucket_seconds=self.bucket_seconds,
            first_account=(fkey >> np.uint64(_MODEL_BITS)).astype(np.int64),
            first_model=(fkey & np.uint64((1 << _MODEL_BITS) - 1)).astype(np.int64),
            first_ms=fms,
            models=models,
            n_requests=self.n_requests,
            log_start_ms=self.log_start_ms or 0,
            log_end_ms=self.log_end_ms or 0,
            facts=self.facts,
        )
        self._spent = True
        self._ids = {}
        return agg

