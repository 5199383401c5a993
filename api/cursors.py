"""Pagination cursors whose format the OpenAPI schema states exactly.

A cursor is a kind tag and dot-separated fields: text fields as unpadded
url-safe base64 of their UTF-8, integers in decimal, e.g. ``c.cnVuLTI.50``
(clusters of run ``run-2`` from position 50).  Each endpoint declares its
cursor's regular expression (:func:`pattern`) as the parameter's ``pattern``,
and every string matching it decodes to a position (undecodable bytes are
replaced, never refused): what the schema calls valid is what the API
accepts.  A well-formed cursor that names a run no longer current is refused
with 409 where the listing is served from the current run only.

Opaque to clients (they pass back what they got), not secret: a cursor only
says where a page ended and for which detection run.

>>> c = encode("c", "run-2", 50)
>>> c, decode(c, "c", (str, int))
('c.cnVuLTI.50', ['run-2', 50])
>>> import re; bool(re.fullmatch(pattern("c", (str, int)), c))
True
"""

from __future__ import annotations

import base64
from collections.abc import Sequence

from graphlink.errors import InvalidParam

#: Longest text field, in base64 characters (a 256-character id in 4-byte UTF-8 fits).
_B64_GROUPS = 342
#: Never empty (no listing has an empty id): schemathesis' negative mode took ``w.`` for an
#: invalid cursor, which the pattern then accepted.
_B64 = (rf"(?:(?:[A-Za-z0-9_-]{{4}}){{1,{_B64_GROUPS}}}(?:[A-Za-z0-9_-]{{2,3}})?"
        r"|[A-Za-z0-9_-]{2,3})")
_INT = r"(?:0|[1-9][0-9]{0,8})"


def pattern(kind: str, fields: Sequence[type]) -> str:
    """The regular expression of a ``kind`` cursor with these field types (str or int)."""
    parts = [kind] + [_INT if f is int else _B64 for f in fields]
    return "^" + r"\.".join(parts) + "$"


def encode(kind: str, *values: str | int) -> str:
    parts = [kind]
    for v in values:
        if isinstance(v, int):
            parts.append(str(v))
        else:
            parts.append(base64.urlsafe_b64encode(v.encode("utf-8")).rstrip(b"=").decode())
    return ".".join(parts)


def decode(cursor: str, kind: str, fields: Sequence[type]) -> list[str | int]:
    """The fields of a cursor matching :func:`pattern` (FastAPI checked the pattern); 422
    naming ``cursor`` if called with one that does not."""
    parts = cursor.split(".")
    if len(parts) != len(fields) + 1 or parts[0] != kind:
        raise InvalidParam("cursor", "not a cursor of this listing")
    out: list[str | int] = []
    for raw, f in zip(parts[1:], fields, strict=True):
        try:
            if f is int:
                out.append(int(raw))
            else:
                data = base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4))
                out.append(data.decode("utf-8", "replace"))
        except ValueError:
            raise InvalidParam("cursor", "not a cursor of this listing") from None
    return out
