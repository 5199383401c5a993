"""The one rule for raw card numbers, shared by ingest and the API.

A raw card number (13-19 digits passing the Luhn check) must never be stored:
ingest refuses such rows and the API refuses such signup bodies.  Both call
:func:`luhn_valid` so the arithmetic exists once.

Digits are any Unicode decimal digits (``str.isdecimal``), not only ASCII:
a card number typed in Arabic-Indic digits (``٤١١١…``) is still a card number,
so it is folded to ASCII and checked, never passed to the ASCII-only numpy
arithmetic as is (that used to crash an ingest with ``UnicodeEncodeError``).
"""

from __future__ import annotations

import unicodedata

import numpy as np


def ascii_digits(text: str) -> str | None:
    """``text``'s decimal digits folded to ASCII, or None if it holds anything else.

    >>> ascii_digits("٤١١١"), ascii_digits("12a")
    ('4111', None)
    """
    if text.isascii():
        return text if text.isdigit() else None
    if not text.isdecimal():
        return None
    return "".join(str(unicodedata.decimal(c)) for c in text)


def luhn_valid(digits: np.ndarray) -> np.ndarray:
    """Luhn check of digit strings, vectorised with numpy.

    A value that is not 1-19 decimal digits (any script) is False, never an error.

    >>> cards = ["4111111111111111", "4111111111111112", "٤١١١١١١١١١١١١١١١", "x"]
    >>> luhn_valid(np.array(cards)).tolist()
    [True, False, True, False]
    """
    n = len(digits)
    if n == 0:
        return np.zeros(0, dtype=bool)
    folded = [ascii_digits(str(v)) for v in np.asarray(digits, dtype=object).tolist()]
    ok = np.array([f is not None and 1 <= len(f) <= 19 for f in folded], dtype=bool)
    padded = [f.zfill(19) if good else "0" * 19 for f, good in zip(folded, ok)]  # type: ignore[union-attr]
    raw = np.frombuffer("".join(padded).encode("ascii"), dtype=np.uint8).reshape(-1, 19)
    d = raw.astype(np.int16) - 48
    doubled = d[:, 17::-2] * 2  # every second digit from the right, starting at the 2nd
    doubled -= 9 * (doubled > 9)
    return ok & (((d[:, 18::-2].sum(axis=1) + doubled.sum(axis=1)) % 10) == 0)
