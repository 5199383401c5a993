"""Benchmark the ingest's cross-batch key sets (``graphlink.ingest.keys.KeySet``).

    .venv/bin/python bench/bench_keyset.py --keys 1000000 10000000 --repeats 3

Why: every ingest batch asks "seen this key before?" (unique keys per table) and "is
this account known?" (links), against sets that grow to a table's size: 10M accounts,
22M (account, IP) observations at the scale issue 12 asks for.  Profiling a 10M bulk
ingest (py-spy, 2026-11-27) put 45 % of the validation phase in the key sets.

Workload per batch of ``--batch`` new keys (the ingest's default 20,000): one
``first_sighting`` (duplicates within and across batches) and one ``contains`` of as
many known keys drawn at random (the account lookups of a link table).  Variants,
alternating per repeat, the same keys: ``hash`` (the shipped open-addressing table) and
``sorted`` (the sorted array with ``np.insert`` per batch it replaced: the baseline).
Printed: seconds per run, medians, the ratio and the growth exponent between sizes.
"""

from __future__ import annotations

import argparse
import math
import statistics
import time

import numpy as np
import pandas as pd

from graphlink.ingest.keys import KeySet


class SortedKeySet:
    """The baseline: a sorted uint64 array, merged per batch by ``np.insert``."""

    def __init__(self) -> None:
        self._keys = np.zeros(0, dtype=np.uint64)

    def __len__(self) -> int:
        return len(self._keys)

    def contains(self, hashes: np.ndarray) -> np.ndarray:
        if len(self._keys) == 0 or len(hashes) == 0:
            return np.zeros(len(hashes), dtype=bool)
        pos = np.searchsorted(self._keys, hashes)
        pos[pos == len(self._keys)] = 0
        return self._keys[pos] == hashes

    def add(self, hashes: np.ndarray) -> None:
        new = np.unique(hashes)
        new = new[~self.contains(new)]
        if len(new):
            self._keys = np.insert(self._keys, np.searchsorted(self._keys, new), new)

    def first_sighting(self, hashes: np.ndarray) -> np.ndarray:
        seen = self.contains(hashes) | pd.Series(hashes).duplicated().to_numpy()
        self.add(hashes[~seen])
        return ~seen


VARIANTS = {"hash": KeySet, "sorted": SortedKeySet}


def run(variant: str, keys: np.ndarray, batch: int, seed: int) -> float:
    rng = np.random.default_rng(seed)
    ks = VARIANTS[variant]()
    t = time.perf_counter()
    for lo in range(0, len(keys), batch):
        ks.first_sighting(keys[lo:lo + batch])
        ks.contains(keys[rng.integers(0, lo + batch, batch)])
    elapsed = time.perf_counter() - t
    assert len(ks) == len(np.unique(keys))
    return elapsed


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--keys", type=int, nargs="+", default=[1_000_000, 10_000_000])
    ap.add_argument("--batch", type=int, default=20_000)
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    medians: dict[str, dict[int, float]] = {v: {} for v in VARIANTS}
    for n in args.keys:
        keys = np.random.default_rng(n).integers(0, 2**63, n, dtype=np.uint64)
        keys[:: 50] = keys[1:: 50][: len(keys[:: 50])]  # some repeats, as a real table has
        times: dict[str, list[float]] = {v: [] for v in VARIANTS}
        for r in range(args.repeats):
            for v in VARIANTS if r % 2 == 0 else reversed(list(VARIANTS)):
                times[v].append(run(v, keys, args.batch, seed=r))
                print(f"{n:>11,} keys  {v:6s}  run {r + 1}: {times[v][-1]:7.2f} s", flush=True)
        for v in VARIANTS:
            medians[v][n] = statistics.median(times[v])
        print(f"{n:>11,} keys  median hash {medians['hash'][n]:.2f} s, sorted "
              f"{medians['sorted'][n]:.2f} s: hash/sorted = "
              f"{medians['hash'][n] / medians['sorted'][n]:.2f}", flush=True)
    if len(args.keys) > 1:
        lo, hi = min(args.keys), max(args.keys)
        for v in VARIANTS:
            k = math.log(medians[v][hi] / medians[v][lo]) / math.log(hi / lo)
            print(f"growth exponent {v}: {k:.2f} ({lo:,} -> {hi:,} keys)")


if __name__ == "__main__":
    main()
