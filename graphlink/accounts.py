"""One account as investigators see it: its cluster in a run, risk, reasons, ban.

Library code for ``GET /v1/accounts/{id}`` when the account is not in the
service's in-memory snapshot yet (ingested after it was built): the route only
presents what this returns.
"""

from __future__ import annotations

from typing import Any

from graphlink.store import GraphStore

__all__ = ["read_account"]


def read_account(store: GraphStore, account_id: str, run_id: str) -> dict[str, Any] | None:
    """The account's properties, its cluster in ``run_id`` and its latest ban (``wave``),
    or ``None`` when there is no such account.  Temporal values are ``datetime``."""
    rows = store.read("api/account", account_id=account_id, run_id=run_id)
    return rows[0] if rows else None
