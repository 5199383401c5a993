"""The one rule for raw card numbers, shared by ingest and the API.

A raw card number (13-19 digits passing the Luhn check) must never be stored:
ingest refuses such rows and the API refuses such signup bodies.  Both call
:func:`luhn_valid` so the arithmetic exists once.
"""

from __future__ import annotations

import numpy as np


def luhn_valid(digits: np.ndarray) -> np.ndarray:
    """Luhn check of digit strings (each 1-19 digits), vectorised with numpy.

    >>> luhn_valid(np.array(["4111111111111111", "4111111111111112"])).tolist()
    [True, False]
    """
    if len(digits) == 0:
        return np.zeros(0, dtype=bool)
    padded = np.char.zfill(np.asarray(digits, dtype="U19"), 19)  # leading zeros keep the sum
    d = np.frombuffer("".join(padded.tolist()).encode("ascii"), dtype=np.uint8).reshape(-1, 19)
    d = d.astype(np.int16) - 48  # type: ignore[assignment]
    doubled = d[:, 17::-2] * 2  # every second digit from the right, starting at the 2nd
    doubled -= 9 * (doubled > 9)
    return ((d[:, 18::-2].sum(axis=1) + doubled.sum(axis=1)) % 10) == 0
