"""The floor for bench/bench_api.py: a bare FastAPI endpoint answering a dict lookup.

Same server settings as ``graphlink serve`` (uvicorn, uvloop, httptools, no
access log); no auth, no validation, no Neo4j.  Run as
``uvicorn bench.bare_app:app``.
"""

from __future__ import annotations

from fastapi import FastAPI

TABLE = {f"k{i}": {"key": f"k{i}", "value": i} for i in range(1000)}
app = FastAPI()


@app.get("/lookup/{key}")
async def lookup(key: str) -> dict[str, object]:
    return TABLE.get(key) or {"key": key, "value": None}
