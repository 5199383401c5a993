"""One 64-bit integer mixer for every place that needs a fast, seedless hash of ids.

The splitmix64 finaliser is a bijection on 64-bit integers (distinct in,
distinct out) that spreads any bit of the input over all bits of the output:
the generator draws reproducible fingerprints with it, the similarity
accumulator keys (account, fingerprint) pairs with it, and linking orders a
hub's members with it.  One definition, so the three cannot drift apart.
"""

from __future__ import annotations

import numpy as np

#: splitmix64's increment (2^64 / golden ratio), for callers hashing a counter.
GOLDEN_GAMMA = np.uint64(0x9E3779B97F4A7C15)


def mix64(x: np.ndarray) -> np.ndarray:
    """The splitmix64 finaliser of ``x`` (any integer array), as a new uint64 array.

    >>> mix64(np.array([0, 1], dtype=np.uint64)).tolist()
    [0, 6238072747940578789]
    """
    z = np.asarray(x).astype(np.uint64, copy=True)
    with np.errstate(over="ignore"):
        z ^= z >> np.uint64(30)
        z *= np.uint64(0xBF58476D1CE4E5B9)
        z ^= z >> np.uint64(27)
        z *= np.uint64(0x94D049BB133111EB)
        z ^= z >> np.uint64(31)
    return z
