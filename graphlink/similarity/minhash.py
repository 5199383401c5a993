"""MinHash signatures and LSH candidate pairs (datasketch), without all pairs.

Signatures are datasketch's ``affine32`` MinHash: each element's 32-bit hash
goes through the scheme's MurmurHash3 pre-mix and the index's affine
permutations ``a*h + b mod 2^32``, and the signature keeps the minimum per
permutation.  We compute them for every set at once with numpy (a
``minimum.reduceat`` over the sets laid out end to end) using the permutation
parameters of ``datasketch.MinHash(num_perm, seed)`` itself, so the values are
bit for bit what ``MinHash.update_batch`` gives (tests/test_similarity.py holds
us to that) at a fraction of the per-set Python cost.

Candidate pairs come from ``datasketch.MinHashLSH``: every set is inserted as a
``LeanMinHash`` and the buckets of its hash tables are read back.  Two sets
share a bucket when one whole band of their signatures agrees, which happens
with high probability above the index's Jaccard threshold and rarely below it.
A bucket with more than ``max_bucket`` sets (50,000 accounts active in one
launch minute) is not expanded into all its pairs: its sets are put in a seeded
order and each is paired with its next ``degree`` neighbours, so a crowded
bucket costs linear, not quadratic, work.  Candidates are only candidates: the
signals score them exactly.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import scipy.sparse as sp
from datasketch import LeanMinHash, MinHash, MinHashLSH
from datasketch.minhash import _fmix

from graphlink.similarity.accumulate import unique

SCHEME = "affine32"
#: Bytes of temporary (elements x permutations) values computed at once.
_CHUNK_BYTES = 128 << 20


def permutations(num_perm: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """datasketch's permutation parameters (a, b) for ``num_perm`` and ``seed``."""
    a, b = MinHash(num_perm=num_perm, seed=seed, scheme=SCHEME).permutations
    return np.asarray(a, dtype=np.uint32), np.asarray(b, dtype=np.uint32)


def signatures(
    indptr: np.ndarray, elements: np.ndarray, *, num_perm: int, seed: int
) -> np.ndarray:
    """MinHash signature of each set (``elements[indptr[i]:indptr[i+1]]``, 32-bit hashes).

    Every set must be non-empty.  Returns a ``(n_sets, num_perm)`` uint32 array.
    """
    indptr = np.asarray(indptr, dtype=np.int64)
    n = len(indptr) - 1
    if n <= 0:
        return np.zeros((0, num_perm), dtype=np.uint32)
    if (np.diff(indptr) <= 0).any():
        raise ValueError("every set needs at least one element")
    a, b = permutations(num_perm, seed)
    hv = _fmix(np.asarray(elements, dtype=np.uint32), 32)
    out = np.empty((n, num_perm), dtype=np.uint32)
    starts = indptr[:-1]
    per = max(1, min(num_perm, _CHUNK_BYTES // max(4 * len(hv), 1)))
    for lo in range(0, num_perm, per):
        hi = min(lo + per, num_perm)
        vals = hv[:, None] * a[None, lo:hi] + b[None, lo:hi]  # wraps mod 2^32
        out[:, lo:hi] = np.minimum.reduceat(vals, starts, axis=0)
    return out


def lsh_candidates(
    sig: np.ndarray,
    *,
    bands: int,
    rows: int,
    seed: int,
    max_bucket: int,
    degree: int,
) -> tuple[np.ndarray, np.ndarray]:
    """Candidate pairs ``(i, j)``, ``i < j``, of rows of ``sig`` from a datasketch LSH index."""
    n, num_perm = sig.shape
    if n < 2:
        e = np.zeros(0, dtype=np.int64)
        return e, e.copy()
    if bands * rows > num_perm:
        raise ValueError(
            f"{bands} bands x {rows} rows need {bands * rows} permutations, have {num_perm}"
        )
    lsh = MinHashLSH(num_perm=num_perm, params=(bands, rows))
    with lsh.insertion_session(buffer_size=100_000) as session:
        for i in colliding(sig, bands=bands, rows=rows).tolist():
            session.insert(
                i, LeanMinHash(seed=seed, hashvalues=sig[i], scheme=SCHEME), check_duplication=False
            )
    # a bucket's pairs follow one fixed order of all sets, so two bands that put the
    # same sets in a bucket give the same pairs (deduplicated below), not new ones
    rank = np.argsort(np.argsort(_mix32(np.arange(n, dtype=np.uint64) ^ np.uint64(seed))))
    src: list[np.ndarray] = []
    dst: list[np.ndarray] = []
    for table in lsh.hashtables:
        for key, count in table.itemcounts().items():
            if count < 2:
                continue
            members = np.sort(np.fromiter(table.get(key), dtype=np.int64, count=count))
            s, d = _bucket_pairs(members, max_bucket=max_bucket, degree=degree, rank=rank)
            src.append(s)
            dst.append(d)
    if not src:
        e = np.zeros(0, dtype=np.int64)
        return e, e.copy()
    s, d = np.concatenate(src), np.concatenate(dst)
    lo, hi = np.minimum(s, d), np.maximum(s, d)
    key = unique(lo * n + hi)[0]
    return key // n, key % n


def colliding(sig: np.ndarray, *, bands: int, rows: int) -> np.ndarray:
    """Rows whose signature shares at least one whole band with another row.

    Only these can be candidates, so only these are inserted into the index:
    the candidates are exactly those of an index holding every row (a benign
    account whose every band is its own costs no Python call at all).
    """
    n = len(sig)
    hit = np.zeros(n, dtype=bool)
    for b in range(bands):
        band = np.ascontiguousarray(sig[:, b * rows : (b + 1) * rows])
        key = pd.util.hash_array(band.view(np.dtype((np.void, band.dtype.itemsize * rows))).ravel())
        order = np.argsort(key, kind="stable")
        k = key[order]
        dup = np.zeros(n, dtype=bool)
        if n > 1:
            same = k[1:] == k[:-1]
            dup[1:] |= same
            dup[:-1] |= same
        hit[order[dup]] = True
    return np.flatnonzero(hit)


def _mix32(x: np.ndarray) -> np.ndarray:
    return _fmix((x & np.uint64(0xFFFFFFFF)).astype(np.uint32), 32)


def _bucket_pairs(
    members: np.ndarray, *, max_bucket: int, degree: int, rank: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    k = len(members)
    if k <= max_bucket:
        i, j = np.triu_indices(k, 1)
        return members[i], members[j]
    order = members[np.argsort(rank[members], kind="stable")]
    steps = np.arange(1, min(degree, k - 1) + 1)
    i = np.repeat(np.arange(k), len(steps))
    j = (i + np.tile(steps, k)) % k
    return order[i], order[j]


def row_dot(
    left: sp.csr_matrix,
    right: sp.csr_matrix,
    a: np.ndarray,
    b: np.ndarray,
    *,
    chunk: int = 200_000,
) -> np.ndarray:
    """``sum_k left[a_i, k] * right[b_i, k]`` for each pair i (exact overlaps, chunked)."""
    out = np.zeros(len(a), dtype=np.float64)
    for lo in range(0, len(a), chunk):
        hi = min(lo + chunk, len(a))
        prod = left[a[lo:hi]].multiply(right[b[lo:hi]])
        out[lo:hi] = np.asarray(prod.sum(axis=1)).ravel()
    return out


def csr(
    rows: np.ndarray, cols: np.ndarray, n_rows: int, n_cols: int, values: np.ndarray | None = None
) -> sp.csr_matrix:
    """A CSR matrix from coordinates (duplicates summed)."""
    data = np.ones(len(rows), dtype=np.float64) if values is None else values.astype(np.float64)
    m = sp.csr_matrix((data, (rows, cols)), shape=(n_rows, n_cols))
    m.sum_duplicates()
    return m


def compact_rows(
    eligible: np.ndarray, acct: np.ndarray, *cols: np.ndarray
) -> tuple[np.ndarray, np.ndarray, tuple[np.ndarray, ...]]:
    """Keep the rows of eligible accounts, numbered 0..k-1 and sorted by that number.

    Returns the kept accounts' original ids, each kept row's local account
    number, and ``cols`` filtered and sorted the same way: the layout
    :func:`csr` and the signature functions expect.
    """
    rows = eligible[acct]
    accounts = np.flatnonzero(eligible)
    local = np.searchsorted(accounts, acct[rows])
    order = np.argsort(local, kind="stable")
    return accounts, local[order], tuple(c[rows][order] for c in cols)
