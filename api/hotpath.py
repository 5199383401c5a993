"""The sign-up check's happy path, answered below FastAPI's routing.

Why: a sign-up check is ~100 us of work (key hash, a few dict lookups, the JSON answer),
and FastAPI's machinery around it (middleware layers, matching ~20 routes, the dependency
solver, parsing the body to a dict and validating that dict) cost as much again, which is
what kept the endpoint's p99 at 16 connections above 5 ms (``docs/api.md``, "Performance").

:class:`SignupFastPath` is a pure ASGI middleware.  It answers ``POST /v1/signup-check``
itself only when everything is in order (and ``GRAPHLINK_API_FAST_PATH`` is not ``0``): no
query string, a JSON content type, a key that
is in memory, active and holds ``signup:check``, a snapshot loaded, a body that validates
(``SignupCheckRequest.model_validate_json``, the same model the route declares).  Anything
else (no key, unknown key, wrong scope, bad body, no snapshot, another route) goes to the
app unchanged, with the body it read replayed, so every error is the route's own error,
byte for byte, and the OpenAPI schema still describes the route.  The answer is built by
the route's own function (:func:`graphlink.api.routes.signup.answer`), so a fast and a
routed 200 carry the same bytes (``tests/test_api_hotpath.py`` checks both).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from graphlink.api.auth import bearer_token
from graphlink.api.models import SignupCheckRequest
from graphlink.api.routes.signup import PATH, SCOPE, answer

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

_JSON_HEADERS = [(b"content-type", b"application/json")]


def _header(scope: Scope, name: bytes) -> bytes | None:
    for k, v in scope["headers"]:
        if k == name:
            return v
    return None


def _is_json(content_type: bytes | None) -> bool:
    if content_type is None:
        return False
    main = content_type.split(b";", 1)[0].strip().lower()
    return main == b"application/json"


@dataclass
class FastPathStats:
    """Sign-up checks answered by the fast path, and handed on to the route (the app keeps
    one as ``app.state.signup_fast_path``; tests and the bench read it)."""

    answered: int = 0
    handed_on: int = 0


class SignupFastPath:
    """ASGI middleware: the sign-up check's happy path without routing (module docstring)."""

    def __init__(self, app: ASGIApp, stats: FastPathStats | None = None) -> None:
        self.app = app
        self.stats = stats or FastPathStats()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] != PATH or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        chunks: list[bytes] = []
        more = True
        while more:
            message = await receive()
            if message["type"] != "http.request":  # the client went away
                return
            chunks.append(message.get("body", b""))
            more = message.get("more_body", False)
        body = b"".join(chunks)
        out = self._answer(scope, body)
        if out is None:
            self.stats.handed_on += 1
            await self.app(scope, _replay(body, receive), send)
            return
        self.stats.answered += 1
        await send({"type": "http.response.start", "status": 200,
                    "headers": [*_JSON_HEADERS, (b"content-length", str(len(out)).encode())]})
        await send({"type": "http.response.body", "body": out})

    def _answer(self, scope: Scope, body: bytes) -> bytes | None:
        """The 200 answer, or None when the routed endpoint must answer (module docstring)."""
        ctx = getattr(getattr(scope.get("app"), "state", None), "ctx", None)
        if (ctx is None or not ctx.settings.api_fast_path or scope.get("query_string")
                or not _is_json(_header(scope, b"content-type"))):
            return None
        auth = _header(scope, b"authorization")
        token = bearer_token(auth.decode("latin-1")) if auth is not None else None
        if token is None or ctx.keys.known(token, SCOPE) is None:
            return None
        snap = ctx.holder.snapshot
        if snap is None:
            return None
        try:
            req = SignupCheckRequest.model_validate_json(body)
        except ValidationError:
            return None
        return answer(snap.index, req)


def _replay(body: bytes, receive: Receive) -> Receive:
    """A ``receive`` that hands the app the body already read, then defers to the client."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


__all__ = ["FastPathStats", "SignupFastPath"]
