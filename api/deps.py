"""FastAPI dependencies, named with ``Annotated`` aliases so handlers read like contracts.

Every dependency here is ``async def``: FastAPI runs plain ``def``
dependencies in the thread pool, a hop the sign-up check cannot afford.
Store calls go through :meth:`ApiContext.call` (thread pool + timeout).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from api.auth import KeyCache, is_miss
from api.errors import Forbidden, InvalidParam, NoDetectionRun, Unauthorized
from api.index import IndexHolder, Snapshot
from graphlink.apikeys import KeyInfo, hash_key, lookup_hash
from graphlink.config import Settings
from graphlink.signup import RunIndex
from graphlink.store import GraphStore

T = TypeVar("T")


@dataclass
class ApiContext:
    """Everything a request may need; built once in the app's lifespan."""

    settings: Settings
    store: GraphStore
    holder: IndexHolder
    keys: KeyCache

    async def call(self, fn: Callable[..., T], *args: Any, timeout: float | None = None) -> T:
        """Blocking store work, off the event loop, bounded (503 on timeout)."""
        return await self.holder.call(fn, *args, timeout=timeout)


async def get_ctx(request: Request) -> ApiContext:
    return request.app.state.ctx  # type: ignore[no-any-return]


Ctx = Annotated[ApiContext, Depends(get_ctx)]


_ALLOWED_QUERY: dict[int, frozenset[str]] = {}


def _query_names(dependant: Any) -> set[str]:
    names = {f.alias for f in dependant.query_params}
    for sub in dependant.dependencies:
        names |= _query_names(sub)
    return names


async def reject_unknown_query(request: Request) -> None:
    """Refuse query parameters the endpoint does not take (422 naming them).

    FastAPI ignores unknown ones; we fail closed, so that a typo such as
    ``?minrisk=0.9`` is an error instead of an unfiltered answer.
    """
    if not request.query_params:
        return
    route = request.scope.get("route")
    if route is None:
        return
    allowed = _ALLOWED_QUERY.get(id(route))
    if allowed is None:
        allowed = _ALLOWED_QUERY[id(route)] = frozenset(_query_names(route.dependant))
    for name in request.query_params:
        if name not in allowed:
            raise InvalidParam(name, "unknown query parameter")


async def get_index(ctx: Ctx) -> RunIndex:
    index = ctx.holder.index
    if index is None:
        detail = f" ({ctx.holder.last_error})" if ctx.holder.last_error else ""
        raise NoDetectionRun(f"no complete detection run is loaded yet{detail}")
    return index


#: The run a request answers from: taken once, so one request never mixes runs.
Index = Annotated[RunIndex, Depends(get_index)]


async def get_snapshot(ctx: Ctx) -> Snapshot:
    snap = ctx.holder.snapshot
    if snap is None:
        await get_index(ctx)  # raises the 503 with its detail
    return snap  # type: ignore[return-value]


#: Run index + account table + ban map, taken once per request.
Snap = Annotated[Snapshot, Depends(get_snapshot)]

bearer = HTTPBearer(
    auto_error=False,
    bearerFormat="glk_…",
    description="An API key made with `graphlink apikey create --scope S --name N`.",
)
Credentials = Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]


async def authenticate(ctx: ApiContext, creds: HTTPAuthorizationCredentials | None) -> KeyInfo:
    if creds is None or not creds.credentials:
        raise Unauthorized("missing API key: send 'Authorization: Bearer <key>'")
    key_hash = hash_key(creds.credentials)
    info = ctx.keys.get(key_hash)
    if is_miss(info):
        info = await ctx.call(lookup_hash, ctx.store, key_hash)
        ctx.keys.put(key_hash, info)
    if info is None:
        raise Unauthorized("unknown API key")
    if not info.active:
        raise Unauthorized(f"API key {info.name!r} was revoked")
    return info  # type: ignore[no-any-return]


def require(scope: str) -> Callable[..., Awaitable[KeyInfo]]:
    """Dependency: a valid key holding ``scope`` (401 without a valid key, 403 without the scope)."""

    async def _dep(ctx: Ctx, creds: Credentials) -> KeyInfo:
        info = await authenticate(ctx, creds)
        if scope not in info.scopes:
            raise Forbidden(
                f"API key {info.name!r} lacks scope {scope!r} "
                f"(it has: {', '.join(sorted(info.scopes)) or 'none'})"
            )
        return info

    _dep.__name__ = f"require_{scope.replace(':', '_')}"
    return _dep


async def fast_access(request: Request, scope: str, *, query: bool = False) -> Snapshot:
    """Auth + snapshot for the hot endpoints (sign-up check, account lookup), called by the
    handler itself rather than through FastAPI's dependency solver: each solved dependency
    costs tens of microseconds, a real share of a ~150 us request.  Refuses a query string
    unless ``query`` (these endpoints take none), checks ``Authorization: Bearer`` (parsed as
    ``HTTPBearer`` does) for ``scope``, then returns the snapshot to answer from."""
    if not query and request.scope.get("query_string"):
        name = next(iter(request.query_params), "query")
        raise InvalidParam(name, "unknown query parameter")
    ctx: ApiContext = request.app.state.ctx
    scheme, _, token = (request.headers.get("authorization") or "").partition(" ")
    creds = (HTTPAuthorizationCredentials(scheme=scheme, credentials=token.strip())
             if scheme.lower() == "bearer" else None)
    info = await authenticate(ctx, creds)
    if scope not in info.scopes:
        raise Forbidden(f"API key {info.name!r} lacks scope {scope!r} "
                        f"(it has: {', '.join(sorted(info.scopes)) or 'none'})")
    return await get_snapshot(ctx)

ReadKey = Annotated[KeyInfo, Depends(require("investigate:read"))]
WaveKey = Annotated[KeyInfo, Depends(require("banwave:write"))]
