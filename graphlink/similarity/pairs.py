"""The derived pairs: one frame per signal, the per-account cap, the output format.

Output columns are the input spec's ``behaviour_similarity`` table (``account_a,
account_b, score, signal``) plus two columns ingest ignores and people read:
``source`` (``derived``) and ``derivation`` (:data:`DERIVATION_VERSION`), so a
derived pair is never mistaken for an upstream one in a file.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from graphlink.similarity.config import DERIVATION_VERSION

OUTPUT_COLUMNS = ["account_a", "account_b", "score", "signal", "source", "derivation"]


def cap_per_account(a: np.ndarray, b: np.ndarray, score: np.ndarray, k: int) -> np.ndarray:
    """Mask of the pairs kept when every account keeps at most its ``k`` best pairs.

    A pair is kept when it is among the ``k`` best of *both* its accounts, so no
    account ends with more than ``k`` (one crowded bucket, one cohort, cannot
    give an account thousands of edges).  Ties break on the pair's position.

    >>> cap_per_account(np.array([0, 0, 0]), np.array([1, 2, 3]), np.array([.9, .8, .7]),
    ...                 2).tolist()
    [True, True, False]
    """
    n = len(a)
    if n == 0:
        return np.zeros(0, dtype=bool)
    ends = np.concatenate([a, b])
    pair = np.concatenate([np.arange(n), np.arange(n)])
    s = np.concatenate([score, score])
    order = np.lexsort((pair, -s, ends))
    ends_s = ends[order]
    starts = np.r_[0, np.flatnonzero(ends_s[1:] != ends_s[:-1]) + 1]
    run = np.repeat(starts, np.diff(np.r_[starts, len(ends_s)]))
    rank = np.empty(2 * n, dtype=np.int64)
    rank[order] = np.arange(2 * n) - run
    return np.maximum(rank[:n], rank[n:]) < k


def finalise(
    account_ids: np.ndarray, per_signal: dict[str, pd.DataFrame], *, max_pairs_per_account: int
) -> pd.DataFrame:
    """Account codes -> ids, ``a < b``, one row per (pair, signal), capped, in the output
    columns."""
    frames = []
    for signal, df in per_signal.items():
        if not len(df):
            continue
        a, b, score = df["a"].to_numpy(), df["b"].to_numpy(), df["score"].to_numpy(np.float64)
        lo, hi = np.minimum(a, b), np.maximum(a, b)
        keep = lo != hi
        lo, hi, score = lo[keep], hi[keep], score[keep]
        # one row per pair: the highest score
        order = np.lexsort((-score, hi, lo))
        lo, hi, score = lo[order], hi[order], score[order]
        first = np.r_[True, (lo[1:] != lo[:-1]) | (hi[1:] != hi[:-1])]
        lo, hi, score = lo[first], hi[first], score[first]
        kept = cap_per_account(lo, hi, score, max_pairs_per_account)
        lo, hi, score = lo[kept], hi[kept], score[kept]
        ida, idb = account_ids[lo], account_ids[hi]
        swap = ida > idb
        frames.append(
            pd.DataFrame(
                {
                    "account_a": np.where(swap, idb, ida),
                    "account_b": np.where(swap, ida, idb),
                    # (0, 1]: rounded up to the 4th decimal so a tiny positive score never becomes 0
                    "score": np.clip(np.ceil(score * 10_000) / 10_000, 0.0001, 1.0),
                    "signal": signal,
                }
            )
        )
    if not frames:
        out = pd.DataFrame({c: pd.Series(dtype=object) for c in OUTPUT_COLUMNS})
        out["score"] = out["score"].astype(np.float64)
        return out
    out = pd.concat(frames, ignore_index=True)
    out = out.sort_values(["signal", "account_a", "account_b"], kind="stable", ignore_index=True)
    out["source"] = "derived"
    out["derivation"] = DERIVATION_VERSION
    return out[OUTPUT_COLUMNS]


def write_pairs(pairs: pd.DataFrame, path: Path) -> Path:
    """Write pairs as ``.csv``, ``.csv.gz`` or ``.parquet`` (by the path's suffix)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    table = pa.Table.from_pandas(pairs[OUTPUT_COLUMNS], preserve_index=False)
    name = path.name
    if name.endswith(".parquet"):
        pq.write_table(table, path, compression="zstd")
    elif name.endswith(".csv.gz"):
        with pa.CompressedOutputStream(str(path), "gzip") as out:
            pacsv.write_csv(table, out)
    else:
        pacsv.write_csv(table, path)
    return path
