"""Bearer-key authentication from an in-memory key set, so that no request waits on Neo4j.

Every stored key (its SHA-256, name, scopes, revoked flag; never the key
itself) is read into a :class:`KeyRing` when the service starts and re-read in
the background every ``refresh_interval`` seconds (2 by default).  Verifying a
request's ``Authorization: Bearer <key>`` is then one hash and one dictionary
lookup.  Consequences, by design:

* **revocation**: while Neo4j is up, a revoked key stops working within one
  refresh interval plus the time of one key read (milliseconds): within
  ``refresh_interval + 1`` seconds in every server process;
* **new keys**: a hash the ring does not know triggers one immediate re-read
  (at most one per ``miss_refresh_interval`` second, shared by concurrent
  requests), so a key works as soon as it was created, and random keys cost
  Neo4j at most one small read a second;
* **Neo4j down**: the last key set read is used as is (keys revoked meanwhile
  keep working, keys created meanwhile are unknown: 401); ``/readyz`` reports
  the key set as stale since the first failed refresh;
* **never loaded** (Neo4j down since start): every authenticated request gets
  503: we fail closed, never open.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from graphlink.apikeys import KeyInfo, hash_key
from graphlink.errors import Forbidden, GraphlinkError, StoreUnavailable, Unauthorized

log = logging.getLogger("graphlink.api")

#: Seconds between background re-reads of the key set (the revocation bound, less ~1 s).
KEY_REFRESH_INTERVAL = 2.0
#: Least seconds between two re-reads caused by unknown keys.
MISS_REFRESH_INTERVAL = 1.0

Loader = Callable[[], Awaitable[dict[str, KeyInfo]]]


class KeysNotLoaded(StoreUnavailable):
    """No key set was ever read (Neo4j unreachable since the service started)."""

    code = "keys_not_loaded"


def bearer_token(authorization: str | None) -> str | None:
    """The token of an ``Authorization: Bearer <token>`` header (scheme case-insensitive),
    parsed as FastAPI's ``HTTPBearer`` does; None when absent or another scheme."""
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "bearer":
        return None
    return token.strip() or None


class KeyRing:
    """hash -> :class:`KeyInfo` for every stored key, replaced whole on each refresh."""

    def __init__(self, load: Loader, *, refresh_interval: float = KEY_REFRESH_INTERVAL,
                 miss_refresh_interval: float = MISS_REFRESH_INTERVAL,
                 store_down: Callable[[], bool] = lambda: False) -> None:
        self._load = load
        #: True while the store is known down: unknown keys then cause no re-read.
        self.store_down = store_down
        self.refresh_interval = refresh_interval
        self.miss_refresh_interval = miss_refresh_interval
        self._keys: dict[str, KeyInfo] | None = None
        #: UTC time of the last successful read (what the ring reflects).
        self.loaded_at: datetime | None = None
        #: UTC time of the first failed refresh since the last successful one.
        self.stale_since: datetime | None = None
        self.last_error: str | None = None
        self._last_miss_refresh = -math.inf
        self._inflight: asyncio.Task[bool] | None = None
        #: Reads of the key set attempted so far (tests and the bench count them).
        self.reads = 0

    # -- state -----------------------------------------------------------------
    @property
    def loaded(self) -> bool:
        return self._keys is not None

    def __len__(self) -> int:
        return len(self._keys or ())

    def active_count(self) -> int:
        return sum(1 for k in (self._keys or {}).values() if k.active)

    # -- refresh -----------------------------------------------------------------
    async def refresh(self) -> bool:
        """Re-read the key set (one read at a time: concurrent callers share it).
        True when it was read; on failure the previous set stays in use."""
        if self._inflight is None or self._inflight.done():
            self._inflight = asyncio.ensure_future(self._refresh())
        return await asyncio.shield(self._inflight)

    async def _refresh(self) -> bool:
        self.reads += 1
        try:
            keys = await self._load()
        except GraphlinkError as e:
            if self.stale_since is None:
                self.stale_since = datetime.now(UTC)
                log.warning("API key refresh failed, serving the key set of %s: %s",
                            self.loaded_at, e)
            self.last_error = str(e)
            return False
        self._keys = keys
        self.loaded_at = datetime.now(UTC)
        self.stale_since = None
        self.last_error = None
        return True

    async def refresh_forever(self, *, down_interval: float) -> None:
        """Background loop: re-read every ``refresh_interval`` s, every ``down_interval`` s
        while the store is down (the read is then the store's recovery probe)."""
        while True:
            try:
                await self.refresh()
            except Exception:
                log.exception("API key refresh crashed")
            await asyncio.sleep(down_interval if self.store_down() else self.refresh_interval)

    # -- verification --------------------------------------------------------------
    def _stale_note(self) -> str:
        if self.stale_since is None:
            return ""
        as_of = self.loaded_at.strftime("%H:%M:%SZ") if self.loaded_at else "?"
        return (f" (keys as of {as_of}: Neo4j is unreachable, a key created since then "
                "is not known yet)")

    def known(self, token: str, scope: str) -> KeyInfo | None:
        """The key ``token`` if it is in memory, active and holds ``scope``; None otherwise
        (no re-read, no error: the caller hands the request to :meth:`verify`'s path, which
        says why).  What :class:`graphlink.api.hotpath.SignupFastPath` checks."""
        info = (self._keys or {}).get(hash_key(token))
        if info is None or not info.active or scope not in info.scopes:
            return None
        return info

    async def verify(self, authorization: str | None, scope: str | None) -> KeyInfo:
        """The key a request's ``Authorization`` header carries, holding ``scope``.

        401 missing/unknown/revoked, 403 without the scope, 503 when no key set was
        ever loaded.  Memory only, except one shared re-read for an unknown key."""
        token = bearer_token(authorization)
        if token is None:
            raise Unauthorized("missing API key: send 'Authorization: Bearer <key>'")
        keys = self._keys
        if keys is None:
            raise KeysNotLoaded(
                f"API keys not loaded yet ({self.last_error or 'first read pending'})"
            )
        key_hash = hash_key(token)
        info = keys.get(key_hash)
        if (info is None and not self.store_down()
                and time.monotonic() - self._last_miss_refresh >= self.miss_refresh_interval):
            self._last_miss_refresh = time.monotonic()
            await self.refresh()
            info = (self._keys or {}).get(key_hash)
        if info is None:
            raise Unauthorized("unknown API key" + self._stale_note())
        if not info.active:
            raise Unauthorized(f"API key {info.name!r} was revoked")
        if scope is not None and scope not in info.scopes:
            raise Forbidden(
                f"API key {info.name!r} lacks scope {scope!r} "
                f"(it has: {', '.join(sorted(info.scopes)) or 'none'})"
            )
        return info


__all__ = ["KEY_REFRESH_INTERVAL", "KeyRing", "KeysNotLoaded", "bearer_token"]
