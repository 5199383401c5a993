"""Opaque pagination cursors: url-safe base64 of a small JSON object.

Opaque to clients (they pass back what they got), not secret: a cursor only
says where a page ended and for which detection run.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from api.errors import InvalidParam


def encode(payload: dict[str, Any]) -> str:
    raw = json.dumps(payload, separators=(",", ":"), sort_keys=True).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def decode(cursor: str, *, required: tuple[str, ...]) -> dict[str, Any]:
    """The payload of ``cursor``; 422 naming ``cursor`` if it was not made by :func:`encode`."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        payload = json.loads(raw)
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise InvalidParam("cursor", "not a cursor this API issued") from None
    if not isinstance(payload, dict) or any(k not in payload for k in required):
        raise InvalidParam("cursor", "not a cursor this API issued")
    return payload
