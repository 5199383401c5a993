"""FastAPI dependencies, named with ``Annotated`` aliases so handlers read like contracts.

Every dependency here is ``async def``: FastAPI runs plain ``def``
dependencies in the thread pool, a hop the sign-up check cannot afford.
Store calls go through :meth:`ApiContext.call` (thread pool + timeout), which
refuses at once (503, ``Retry-After``) while the store's circuit breaker is
open: a client request never waits on a store known to be down.

Authentication comes before validation: :func:`auth_first` is consulted by
the error handlers before a request is refused as invalid (422/409/400), so
an unauthenticated request learns nothing but 401.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from graphlink.api.auth import KeyRing
from graphlink.api.evidence import EvidenceCache
from graphlink.api.index import IndexHolder, Snapshot
from graphlink.apikeys import KeyInfo
from graphlink.config import Settings
from graphlink.errors import GraphlinkError, InvalidParam, NoDetectionRun
from graphlink.signup import RunIndex
from graphlink.store import CircuitBreaker, GraphStore

T = TypeVar("T")


@dataclass
class ApiContext:
    """Everything a request may need; built once in the app's lifespan."""

    settings: Settings
    store: GraphStore
    holder: IndexHolder
    keys: KeyRing
    breaker: CircuitBreaker
    evidence: EvidenceCache

    async def call(self, fn: Callable[..., T], *args: Any, timeout: float | None = None) -> T:
        """Blocking store work, off the event loop, bounded (503 on timeout); refused at
        once while the breaker is open (requests never serve as its trial calls)."""
        if self.breaker.is_open:
            raise self.breaker.rejection()
        return await self.holder.call(fn, *args, timeout=timeout)


async def get_ctx(request: Request) -> ApiContext:
    ctx: ApiContext = request.app.state.ctx
    return ctx


Ctx = Annotated[ApiContext, Depends(get_ctx)]


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
    allowed: frozenset[str] | None = getattr(route, "_graphlink_query", None)
    if allowed is None:
        allowed = route._graphlink_query = frozenset(_query_names(route.dependant))
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

#: Scopes of the routes that authenticate inside their handler (:func:`fast_access`) rather
#: than through a :func:`require` dependency, by path template; read by :func:`auth_first`.
HANDLER_SCOPES: dict[str, str] = {
    "/v1/signup-check": "signup:check",
    "/v1/accounts/{account_id}": "investigate:read",
}
_KEY = "graphlink.key"  # request-scope slot of the verified key


async def _verify(request: Request, scope: str | None) -> KeyInfo:
    """The request's key (verified once per request, then reused), holding ``scope``."""
    info: KeyInfo | None = request.scope.get(_KEY)
    if info is None:
        ctx: ApiContext = request.app.state.ctx
        info = await ctx.keys.verify(request.headers.get("authorization"), scope)
        request.scope[_KEY] = info
    elif scope is not None and scope not in info.scopes:
        await request.app.state.ctx.keys.verify(request.headers.get("authorization"), scope)
    return info


def require(scope: str) -> Callable[..., Awaitable[KeyInfo]]:
    """Dependency: a valid key holding ``scope`` (401 without a valid key, 403 without the
    scope)."""

    async def _dep(request: Request, creds: Credentials) -> KeyInfo:
        # ``creds`` only declares the bearer scheme in OpenAPI; the header is read in _verify.
        return await _verify(request, scope)

    _dep.__name__ = f"require_{scope.replace(':', '_')}"
    _dep.graphlink_scope = scope  # type: ignore[attr-defined]
    return _dep


def route_security(route: Any) -> tuple[bool, str | None]:
    """(needs a key, the scope it needs) for a matched route."""
    found: tuple[bool, str | None] | None = getattr(route, "_graphlink_security", None)
    if found is None:
        scope = HANDLER_SCOPES.get(getattr(route, "path", ""))

        def walk(dep: Any) -> str | None:
            got = getattr(dep.call, "graphlink_scope", None)
            for sub in dep.dependencies:
                got = got or walk(sub)
            return got

        dependant = getattr(route, "dependant", None)
        scope = scope or (walk(dependant) if dependant is not None else None)
        declared = bool((getattr(route, "openapi_extra", None) or {}).get("security"))
        found = (scope is not None or declared, scope)
        route._graphlink_security = found
    return found


async def auth_first(request: Request) -> GraphlinkError | None:
    """The 401/403 (or 503 without a key set) a request deserves before any refusal of its
    input, or None when its key is fine or the route needs none.  Called by the error
    handlers only, so it costs nothing on requests that succeed."""
    route = request.scope.get("route")
    if route is None:
        return None
    secured, scope = route_security(route)
    if not secured:
        return None
    try:
        await _verify(request, scope)
    except GraphlinkError as e:
        return e
    return None


async def fast_access(request: Request, scope: str, *, query: bool = False) -> Snapshot:
    """Auth + snapshot for the hot endpoints (sign-up check, account lookup), called by the
    handler itself rather than through FastAPI's dependency solver: each solved dependency
    costs tens of microseconds, a real share of a ~150 us request.  Checks the key first
    (memory only: :class:`graphlink.api.auth.KeyRing`), then refuses a query string unless ``query``
    (these endpoints take none), then returns the snapshot to answer from."""
    ctx: ApiContext = request.app.state.ctx
    info: KeyInfo | None = request.scope.get(_KEY)
    if info is None or scope not in info.scopes:
        request.scope[_KEY] = await ctx.keys.verify(request.headers.get("authorization"), scope)
    if not query and request.scope.get("query_string"):
        name = next(iter(request.query_params), "query")
        raise InvalidParam(name, "unknown query parameter")
    return await get_snapshot(ctx)


ReadKey = Annotated[KeyInfo, Depends(require("investigate:read"))]
WaveKey = Annotated[KeyInfo, Depends(require("banwave:write"))]
