"""``GET /browser-guide.html``: the saved queries as a Neo4j Browser guide.

Written by the investigators' stage (``graphlink/browser_guide.py``); include
with ``app.include_router(guide.router)``.  The Neo4j Browser fetches a guide
cross-origin (from ``http://127.0.0.1:7474``) with ``Pragma``/``Cache-Control``
headers, so the route answers the CORS preflight and allows any origin: the
page holds only the public text of ``cypher/queries/``, no data.  The Browser
loads guides only from hosts in ``browser.remote_content_hostname_allowlist``
(default includes ``localhost``), so investigators run
``:play http://localhost:<api port>/browser-guide.html``.
"""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, Response

from graphlink import browser_guide

router = APIRouter(tags=["investigators"])

_CORS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Allow-Methods": "GET, OPTIONS",
    "Access-Control-Allow-Headers": "*",
    "Cache-Control": "no-cache",
}


@router.get("/browser-guide.html", response_class=HTMLResponse, include_in_schema=False)
def browser_guide_page() -> HTMLResponse:
    """The guide, rendered from the saved query files on each request (they are small)."""
    return HTMLResponse(browser_guide.current_guide(), headers=_CORS)


@router.options("/browser-guide.html", include_in_schema=False)
def browser_guide_preflight() -> Response:
    return Response(status_code=204, headers=_CORS)
