"""The one place errors become HTTP responses.

Every project error (:class:`graphlink.errors.GraphlinkError`) carries its
``status`` and ``code``; :func:`install_handlers` renders all of them, request
validation errors and unknown routes in one JSON shape::

    {"error": {"status": 422, "code": "invalid_input", "message": "...",
               "fields": [{"field": "ip", "in": "body", "message": "..."}]}}

Nothing a client sends is echoed back (a refused raw card number must not
travel further), and no stack trace ever leaves the process: anything
unexpected is logged here and answered with a plain JSON 500.

Authentication first: before a request is refused for its input (400, 409,
422), the ``auth_first`` hook given to :func:`install_handlers` checks its
key, so an unauthenticated request gets 401 (and a key without the scope
403) whatever its body.  A 405 lists in ``Allow`` every method the path
serves (all routes sharing it, not only the first one Starlette matched).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from graphlink.errors import (
    GraphlinkError,
    InvalidParam,
    StoreUnavailable,
    Unauthorized,
)

log = logging.getLogger("graphlink.api")


def error_body(status: int, code: str, message: str, **extra: Any) -> dict[str, Any]:
    return {"error": {"status": status, "code": code, "message": message, **extra}}


def _fields(exc: RequestValidationError) -> list[dict[str, str]]:
    out = []
    for err in exc.errors():
        loc = [str(p) for p in err.get("loc", ())]
        where = loc[0] if loc and loc[0] in ("body", "query", "path", "header", "cookie") else ""
        path = loc[1:] if where else loc
        out.append(
            {
                "field": ".".join(path) or where or "request",
                "in": where or "request",
                # pydantic's message, never its ``input``: a refused card number
                # must not be echoed.
                "message": str(err.get("msg", "invalid")),
            }
        )
    return out


#: Methods a 405's ``Allow`` may list (HEAD only where a route declares it).
_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")
AuthFirst = Callable[[Request], Awaitable[GraphlinkError | None]]


def allowed_methods(app: Any, scope: MutableMapping[str, Any]) -> list[str]:
    """Every method some route of ``app`` fully matches at this request's path."""
    routes = app.router.routes
    return [m for m in _METHODS
            if any(r.matches(dict(scope, method=m))[0] is Match.FULL for r in routes)]


def install_handlers(app: FastAPI, *, auth_first: AuthFirst | None = None) -> None:
    """Register the exception handlers (one per family) on ``app``; ``auth_first(request)``
    returns the auth error to answer instead of an input error, if any."""

    async def _auth_error(request: Request) -> JSONResponse | None:
        if auth_first is None:
            return None
        err = await auth_first(request)
        return await _project_error(request, err) if err is not None else None

    @app.exception_handler(GraphlinkError)
    async def _project_error(request: Request, exc: GraphlinkError) -> JSONResponse:
        if exc.status in (400, 409, 422) and (denied := await _auth_error(request)):
            return denied
        extra: dict[str, Any] = {}
        headers = None
        if isinstance(exc, InvalidParam):
            extra["fields"] = [{"field": exc.field, "in": exc.location, "message": exc.detail}]
        if isinstance(exc, Unauthorized):
            headers = {"WWW-Authenticate": "Bearer"}
        if isinstance(exc, StoreUnavailable):
            headers = {"Retry-After": f"{getattr(exc, 'retry_after', 5):.0f}"}
        if exc.status >= 500 and not isinstance(exc, StoreUnavailable):
            log.error("%s on %s %s: %s", exc.code, request.method, request.url.path, exc)
        return JSONResponse(
            error_body(exc.status, exc.code, str(exc), **extra), status_code=exc.status,
            headers=headers,
        )

    @app.exception_handler(RequestValidationError)
    async def _validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        if denied := await _auth_error(request):
            return denied
        fields = _fields(exc)
        names = ", ".join(f["field"] for f in fields)
        return JSONResponse(
            error_body(422, "invalid_input", f"invalid request: {names}", fields=fields),
            status_code=422,
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        if exc.status_code == 400:
            if denied := await _auth_error(request):
                return denied
            # FastAPI's "error parsing the body" (e.g. undecodable bytes): an invalid body.
            return JSONResponse(
                error_body(422, "invalid_input", "invalid request: body could not be parsed",
                           fields=[{"field": "body", "in": "body", "message": str(exc.detail)}]),
                status_code=422,
            )
        code = {404: "not_found", 405: "method_not_allowed", 406: "not_acceptable"}.get(
            exc.status_code, "http_error"
        )
        headers = getattr(exc, "headers", None)
        message = str(exc.detail)
        if exc.status_code == 405:
            allow = ", ".join(allowed_methods(request.app, request.scope))
            headers = {**(headers or {}), "Allow": allow}
            message = f"{request.method} is not allowed here; allowed: {allow}"
        return JSONResponse(
            error_body(exc.status_code, code, message),
            status_code=exc.status_code,
            headers=headers,
        )

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unexpected error on %s %s", request.method, request.url.path)
        return JSONResponse(
            error_body(500, "internal_error", "internal error; see the server log"),
            status_code=500,
        )
