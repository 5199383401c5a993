"""Streaming reduction of a request log to the compact facts the signals need.

A request log is large (16 million rows) and read once, batch by batch; what
the signals need is much smaller and does not grow with repeats:

* the distinct (account, prompt fingerprint) pairs with their request counts -
  a ring script sending one template 500 times is one pair;
* the distinct (account, time bucket) pairs;
* requests per (account, model, hour) and the first request per (account, model).

:class:`RequestAccumulator` keeps these as numpy key arrays (8-16 bytes per
distinct fact, no Python object per row), deduplicated per batch and compacted
whenever the buffer grows, so memory follows the number of distinct facts, not
the number of requests.  Fingerprints are kept as 64-bit hashes (two distinct
fingerprints collide with probability ~n^2/2^65: negligible), account ids are
numbered in order of first appearance.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pandas as pd

from graphlink.hashing import mix64

_HOUR_MS = 3_600_000
_MODEL_BITS = 11  # up to 2,047 distinct model names
_HOUR_BITS = 21  # hours since 1970 up to year 2209


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


@dataclass
class Aggregates:
    """What the signals read: the log reduced to distinct facts (all numpy).

    Accounts are integers ``0..n_accounts-1``; ``account_ids[i]`` is the id.
    """

    account_ids: np.ndarray  # object, one per account code
    #: distinct (account, fingerprint hash) and its requests
    fp_account: np.ndarray
    fp_hash: np.ndarray
    fp_count: np.ndarray
    #: distinct (account, time bucket); buckets are ``floor(ts / bucket_seconds)``
    bucket_account: np.ndarray
    bucket: np.ndarray
    bucket_seconds: int
    #: requests per (account, model, hour since 1970)
    mh_account: np.ndarray
    mh_model: np.ndarray
    mh_hour: np.ndarray
    mh_count: np.ndarray
    #: first request (epoch ms) per (account, model)
    first_account: np.ndarray
    first_model: np.ndarray
    first_ms: np.ndarray
    models: list[str]
    n_requests: int
    log_start_ms: int
    log_end_ms: int

    @property
    def n_accounts(self) -> int:
        return len(self.account_ids)

    @cached_property
    def fingerprints(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(distinct fingerprint hashes, each ``fp_*`` row's fingerprint code, accounts per
        fingerprint): computed once, read by prompt_template and by model_pivot's
        corroboration (one sort of the largest array, not two)."""
        uniq, code, df = unique(self.fp_hash, inverse=True, counts=True)
        return uniq, code, df


class RequestAccumulator:
    """Feed it batches (:meth:`add`), then :meth:`finish` for the :class:`Aggregates`.

    >>> acc = RequestAccumulator(bucket_seconds=60)
    >>> acc.add(np.array(["a", "b", "a"], dtype=object), np.array([0, 1_000, 61_000]),
    ...         np.array(["m1", "m1", None], dtype=object), np.array(["f", "f", "f"], dtype=object))
    >>> agg = acc.finish()
    >>> agg.n_accounts, len(agg.fp_hash), len(agg.bucket), agg.n_requests
    (2, 2, 3, 3)
    """

    def __init__(self, *, bucket_seconds: int = 60, compact_rows: int = 4_000_000) -> None:
        if bucket_seconds <= 0:
            raise ValueError("bucket_seconds must be > 0")
        self.bucket_seconds = int(bucket_seconds)
        self.compact_rows = int(compact_rows)
        self._ids: dict[str, int] = {}
        self._models: dict[str, int] = {"": 0}  # code 0: no model given
        self.n_requests = 0
        self.log_start_ms: int | None = None
        self.log_end_ms: int | None = None
        # buffers of per-batch distinct facts (lists of arrays), compacted in place
        self._fp_key: list[np.ndarray] = []
        self._fp_acc: list[np.ndarray] = []
        self._fp_hash: list[np.ndarray] = []
        self._fp_count: list[np.ndarray] = []
        self._bucket_key: list[np.ndarray] = []
        self._mh_key: list[np.ndarray] = []
        self._mh_count: list[np.ndarray] = []
        self._first_key: list[np.ndarray] = []
        self._first_ms: list[np.ndarray] = []
        self._buffered = 0
        self._compacted = 0  # distinct facts after the last compaction
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

        fph = _hash_strings(fingerprint)
        key = mix64(mix64(acc) ^ fph)
        key, first, fcount = unique(key, first=True, counts=True)
        self._fp_key.append(key)
        self._fp_acc.append(acc[first].astype(np.int64))
        self._fp_hash.append(fph[first])
        self._fp_count.append(fcount.astype(np.int64))

        bucket = (ts_ms // (1000 * self.bucket_seconds)).astype(np.uint64)
        if int(bucket.max()) >= 1 << 32:
            raise ValueError("timestamp beyond the bucket range")
        self._bucket_key.append(unique((acc << np.uint64(32)) | bucket)[0])

        mcode = np.zeros(n, dtype=np.uint64) if model is None else self._model_codes(model).astype(
            np.uint64
        )
        hour = (ts_ms // _HOUR_MS).astype(np.uint64)
        mkey = (acc << np.uint64(32)) | (mcode << np.uint64(_HOUR_BITS)) | hour
        ukey, counts = unique(mkey, counts=True)
        self._mh_key.append(ukey)
        self._mh_count.append(counts.astype(np.int64))
        fkey = (acc << np.uint64(_MODEL_BITS)) | mcode
        order = np.lexsort((ts_ms, fkey))
        fkey_s = fkey[order]
        keep = np.r_[True, fkey_s[1:] != fkey_s[:-1]]
        self._first_key.append(fkey_s[keep])
        self._first_ms.append(ts_ms[order][keep])

        self._buffered += len(key) + len(self._bucket_key[-1]) + len(ukey)
        # Compact when what came in since the last compaction is as large as what it
        # left (geometric): each merge re-sorts everything, so compacting after every
        # batch once the facts outgrow ``compact_rows`` is quadratic in the log (it
        # was: 30 merges of a growing array, 40% of a 16M-row run).  Amortised, each
        # fact is sorted O(log) times; the buffer never exceeds twice the distinct facts.
        if self._buffered - self._compacted > max(self.compact_rows, self._compacted):
            self._compact()

    def _compact(self) -> None:
        """Merge the buffers into one deduplicated array each (bounded memory)."""
        key = np.concatenate(self._fp_key)
        key, first, inv = unique(key, first=True, inverse=True)
        self._fp_key = [key]
        self._fp_acc = [np.concatenate(self._fp_acc)[first]]
        self._fp_hash = [np.concatenate(self._fp_hash)[first]]
        self._fp_count = [np.bincount(inv, weights=np.concatenate(self._fp_count),
                                      minlength=len(key)).astype(np.int64)]
        self._bucket_key = [unique(np.concatenate(self._bucket_key))[0]]
        mkey = np.concatenate(self._mh_key)
        ukey, inv = unique(mkey, inverse=True)
        self._mh_key = [ukey]
        self._mh_count = [np.bincount(inv, weights=np.concatenate(self._mh_count)).astype(np.int64)]
        fkey, fms = np.concatenate(self._first_key), np.concatenate(self._first_ms)
        order = np.lexsort((fms, fkey))
        fkey, fms = fkey[order], fms[order]
        keep = np.r_[True, fkey[1:] != fkey[:-1]] if len(fkey) else np.zeros(0, dtype=bool)
        self._first_key, self._first_ms = [fkey[keep]], [fms[keep]]
        self._buffered = self._compacted = len(key) + len(self._bucket_key[0]) + len(ukey)

    # -- result ----------------------------------------------------------------------
    def finish(self) -> Aggregates:
        """The aggregates of everything added so far; the accumulator is spent afterwards.

        Why spent: the packed key buffers are not part of the aggregates (they are
        unpacked into them), and an accumulator still referenced by its caller
        during :func:`~graphlink.similarity.derive` would keep them alive - several
        hundred MB at 16M requests, at the moment memory peaks.  They are dropped here.
        """
        if self._spent:
            raise RuntimeError("RequestAccumulator.finish() was already called")
        if self.n_requests:
            self._compact()
        empty_u, empty_i = np.zeros(0, dtype=np.uint64), np.zeros(0, dtype=np.int64)
        bkey = self._bucket_key[0] if self._bucket_key else empty_u
        mkey = self._mh_key[0] if self._mh_key else empty_u
        fkey = self._first_key[0] if self._first_key else empty_u
        mask32 = np.uint64((1 << 32) - 1)
        ids = np.empty(len(self._ids), dtype=object)
        for k, v in self._ids.items():
            ids[v] = k
        models = [""] * len(self._models)
        for k, v in self._models.items():
            models[v] = k
        agg = Aggregates(
            account_ids=ids,
            fp_account=self._fp_acc[0] if self._fp_acc else empty_i,
            fp_hash=self._fp_hash[0] if self._fp_hash else empty_u,
            fp_count=self._fp_count[0] if self._fp_count else empty_i,
            bucket_account=(bkey >> np.uint64(32)).astype(np.int64),
            bucket=(bkey & mask32).astype(np.int64),
            bucket_seconds=self.bucket_seconds,
            mh_account=(mkey >> np.uint64(32)).astype(np.int64),
            mh_model=((mkey & mask32) >> np.uint64(_HOUR_BITS)).astype(np.int64),
            mh_hour=(mkey & np.uint64((1 << _HOUR_BITS) - 1)).astype(np.int64),
            mh_count=self._mh_count[0] if self._mh_count else empty_i,
            first_account=(fkey >> np.uint64(_MODEL_BITS)).astype(np.int64),
            first_model=(fkey & np.uint64((1 << _MODEL_BITS) - 1)).astype(np.int64),
            first_ms=self._first_ms[0] if self._first_ms else empty_i,
            models=models,
            n_requests=self.n_requests,
            log_start_ms=self.log_start_ms or 0,
            log_end_ms=self.log_end_ms or 0,
        )
        self._spent = True
        self._ids = {}
        for buf in (self._fp_key, self._fp_acc, self._fp_hash, self._fp_count, self._bucket_key,
                    self._mh_key, self._mh_count, self._first_key, self._first_ms):
            buf.clear()
        return agg
