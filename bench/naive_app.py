"""The naive design for bench/bench_api.py: one Cypher round trip per sign-up check.

No in-memory index: every request asks Neo4j for the current run and the
clusters reached from the sign-up's IP, instrument and device
(``cypher/internal/api/naive_signup.cypher``), in the thread pool (the driver
is synchronous).  Same request model as the real endpoint, no auth.  Run as
``uvicorn bench.naive_app:create_app --factory`` with the graphlink
environment pointing at the benchmark Neo4j.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request

from graphlink.api.models import SignupCheckRequest
from graphlink.config import get_settings
from graphlink.signup import decide
from graphlink.store import GraphStore


def create_app() -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.store = GraphStore.from_settings(get_settings(), retry_time=1.0)
        yield
        app.state.store.close()

    app = FastAPI(lifespan=lifespan)

    @app.post("/v1/signup-check")
    def signup_check(body: SignupCheckRequest, request: Request) -> dict[str, Any]:
        store: GraphStore = request.app.state.store
        row = store.read(
            "api/naive_signup", ip=body.ip, instrument=body.payment_instrument,
            device_key=("device:" + body.device) if body.device else None,
        )[0]
        clusters = {c["cluster_id"]: c["risk"] for k in ("by_ip", "by_instrument", "by_device")
                    for c in row[k]}
        risk = max(clusters.values(), default=0.0)
        return {"run_id": row["run_id"], "risk": risk, "decision": decide(risk),
                "clusters": sorted(clusters)}

    return app
