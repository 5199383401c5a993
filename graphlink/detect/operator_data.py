"""Operator-supplied knowledge detection can use but never needs: issuer BIN tables, entry plans.

Why files and settings, never constants: a table baked into the defaults is
one world's table (the first version shipped the generator's own prepaid BINs
and entry plans, and missed every campaign that paid or entered otherwise).
Detection reaches its targets with both empty; an operator who has an issuer
table or knows the plans abuse enters by adds them here, and they refine
reason codes (``prepaid_card_shared``, ``entry_point_plan``) and the prepaid
link boost.

BIN table file: one BIN prefix (4-8 digits) per line, or a CSV whose header
has a ``bin`` column; blank lines and ``#`` comments are ignored.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

from graphlink.errors import InputError

_BIN = re.compile(r"^[0-9]{4,8}$")


def read_bin_table(path: str | Path) -> tuple[str, ...]:
    """BIN prefixes of a table file, in file order without duplicates.

    >>> import tempfile, os
    >>> p = os.path.join(tempfile.mkdtemp(), "bins.csv")
    >>> _ = open(p, "w").write("bin,issuer\\n423916,x\\n# note\\n51078600,y\\n")
    >>> read_bin_table(p)
    ('423916', '51078600')
    """
    p = Path(path)
    try:
        lines = p.read_text(encoding="utf-8-sig").splitlines()
    except (OSError, UnicodeDecodeError) as e:
        raise InputError(f"{p}: cannot read the BIN table ({e})") from e
    col = None
    start = 0
    if lines and not _BIN.match(lines[0].strip().split(",")[0].strip()):
        header = next(csv.reader([lines[0]]))
        names = [h.strip().lower() for h in header]
        if "bin" not in names:
            raise InputError(f"{p}, line 1: header has no 'bin' column ({lines[0]!r})")
        col, start = names.index("bin"), 1
    out: dict[str, None] = {}
    for i, line in enumerate(lines[start:], start=start + 1):
        text = line.strip()
        if not text or text.startswith("#"):
            continue
        fields = next(csv.reader([text]))
        value = (fields[col] if col is not None and col < len(fields) else fields[0]).strip()
        if not _BIN.match(value):
            raise InputError(f"{p}, line {i}: {value!r} is not a BIN prefix (4-8 digits)")
        out[value] = None
    return tuple(out)


def parse_plans(text: str | None) -> tuple[str, ...]:
    """Comma-separated plan names, lower-cased (``GRAPHLINK_ENTRY_PLANS``)."""
    return tuple(p.strip().lower() for p in (text or "").split(",") if p.strip())
