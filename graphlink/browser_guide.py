"""The saved queries as a Neo4j Browser guide, and a tiny server for it.

Investigators work in the Neo4j Browser (served by the local Neo4j at
``/browser/``).  A *guide* is an HTML page of ``<slide>`` elements that the
Browser shows in its sidebar after ``:play <url>``; every ``<pre class="runnable">``
block in it is one click away from the editor.  This module renders one slide
per saved query (description, a ``:params`` block with the query's example
values, and the query itself) from ``cypher/queries/``, so the guide never
drifts from the files.

The Browser fetches a remote guide only from hosts in the server's
``browser.remote_content_hostname_allowlist`` (default
``guides.neo4j.com, localhost``) and needs a CORS header, which Neo4j's own
HTTP server cannot add for arbitrary files.  So the guide is served from
``http://localhost:<port>/`` by :func:`serve` (``graphlink browser-guide
--serve``) or by the API (``api/guide.py``).

>>> page = render_guide(queries.saved())   # doctest: +SKIP
"""

from __future__ import annotations

import html
import json
import re
import threading
from collections.abc import Mapping
from datetime import date, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from graphlink import queries
from graphlink.cypher_files import CYPHER_DIR

#: The generated guide shipped with the saved queries (a test checks it is current).
GUIDE_FILE = CYPHER_DIR / "browser-guide.html"
GUIDE_PATH = "/graphlink-guide.html"
DEFAULT_PORT = 7743


def cypher_literal(value: Any, type_: str) -> str:
    """A Cypher literal for a parameter value (for the Browser's ``:params``)."""
    if type_ == "datetime" and isinstance(value, (datetime, date)):
        return f"datetime('{value.isoformat()}')"
    if type_ == "bool":
        return "true" if value else "false"
    if type_ in ("int", "float"):
        return repr(value)
    return json.dumps(str(value))  # a double-quoted string literal; escapes quotes


def example_values(q: queries.SavedQuery) -> dict[str, Any]:
    """The values of the query's ``// example:`` line, defaults for the rest."""
    given = queries.parse_assignments(q.example.split(" --param ")[1:]) if q.example else {}
    values: dict[str, Any] = {}
    for p in q.params:
        if p.name in given:
            raw = given[p.name]
            # keep relative times symbolic in the Browser: now-7d -> datetime() - duration
            if p.type == "datetime" and raw.strip().lower().startswith("now"):
                values[p.name] = raw.strip()
                continue
            values[p.name] = queries.coerce(raw, p.type, name=p.name)
        elif not p.required:
            values[p.name] = p.default
        else:
            values[p.name] = "" if p.type == "string" else None
    return values


def params_command(q: queries.SavedQuery) -> str:
    """``:params {...}`` setting every parameter of ``q`` (example values)."""
    parts = []
    for p in q.params:
        v = example_values(q)[p.name]
        if isinstance(v, str) and p.type == "datetime":
            literal = _relative_literal(v)
        elif v is None:
            literal = "null"
        else:
            literal = cypher_literal(v, p.type)
        parts.append(f"{p.name}: {literal}")
    return ":params {" + ", ".join(parts) + "}"


_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def _relative_literal(text: str) -> str:
    """``now-7d`` -> ``datetime() - duration({days: 7})`` (Cypher, evaluated in the Browser)."""
    m = re.match(r"^now\s*(?:-\s*(\d+)\s*([smhdw]))?$", text.strip(), re.IGNORECASE)
    if not m or not m.group(1):
        return "datetime()"
    return f"datetime() - duration({{{_UNITS[m.group(2).lower()]}: {int(m.group(1))}}})"


def _slide(q: queries.SavedQuery) -> str:
    params = "".join(
        f"<li><code>${html.escape(p.name)}</code> {html.escape(p.type)}"
        + ("" if p.required else f" (default <code>{html.escape(str(p.default))}</code>)")
        + "</li>"
        for p in q.params
    )
    blocks = []
    if q.params:
        blocks.append(
            "<p>1. Set the parameters (edit the values, then run):</p>"
            f'<pre class="pre-scrollable code runnable">{html.escape(params_command(q))}</pre>'
        )
    blocks.append(
        f"<p>{'2. ' if q.params else ''}Run the query:</p>"
        f'<pre class="pre-scrollable code runnable">{html.escape(q.body)}</pre>'
    )
    return (
        f'<slide class="row-fluid" id="{html.escape(q.name)}">'
        f'<div class="col-sm-12"><h3>{html.escape(q.name)}</h3>'
        f"<p class=\"lead\">{html.escape(q.description)}</p>"
        + (f"<ul>{params}</ul>" if params else "<p>No parameters.</p>")
        + "".join(blocks)
        + f'<p class="small">Same from a shell: <code>{html.escape(q.example)}</code></p>'
        "</div></slide>"
    )


def render_guide(saved: Mapping[str, queries.SavedQuery]) -> str:
    """The guide page: an index slide, then one slide per saved query."""
    index = "".join(
        f"<li><b>{html.escape(q.name)}</b>: {html.escape(q.description)}</li>"
        for q in saved.values()
    )
    first = (
        '<slide class="row-fluid" id="index"><div class="col-sm-12">'
        "<h3>graphlink saved queries</h3>"
        "<p class=\"lead\">Investigating account rings: one slide per saved query in "
        "<code>cypher/queries/</code>. Click a grey block to copy it into the editor, then run it "
        "(Ctrl/Cmd+Enter). Set the parameters first with the <code>:params</code> block.</p>"
        f"<ol>{index}</ol>"
        "<p>Start with the riskiest clusters of the current detection run:</p>"
        '<pre class="pre-scrollable code runnable">:params {limit: 20, min_risk: 0.0}</pre>'
        '<pre class="pre-scrollable code runnable">'
        + html.escape(saved["top_risky_clusters"].body if "top_risky_clusters" in saved else "")
        + "</pre></div></slide>"
    )
    slides = first + "".join(_slide(q) for q in saved.values())
    return (
        '<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>graphlink saved queries</title>'
        '</head><body>\n<article class="guide">\n<carousel class="deck container-fluid">\n'
        f"{slides}\n</carousel>\n</article>\n</body></html>\n"
    )


def current_guide() -> str:
    """The guide for the saved queries as they are on disk now."""
    return render_guide(queries.saved())


class _Handler(BaseHTTPRequestHandler):
    body: bytes = b""

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        if self.path.split("?")[0] not in (GUIDE_PATH, "/"):
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(self.body)))
        # The Browser (origin http://127.0.0.1:<http_port>) fetches the guide cross-origin.
        self.send_header("Access-Control-Allow-Origin", "*")
        self.send_header("Cache-Control", "no-cache")
        self.end_headers()
        self.wfile.write(self.body)

    def do_OPTIONS(self) -> None:  # noqa: N802
        # CORS preflight: the Browser sends Pragma/Cache-Control headers with the GET.
        self.send_response(204)
        self.send_header("Access-Control-Allow-Origin", "*")
        self.send_header("Access-Control-Allow-Methods", "GET, OPTIONS")
        self.send_header("Access-Control-Allow-Headers", "*")
        self.send_header("Access-Control-Max-Age", "600")
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass


def serve(
    port: int = DEFAULT_PORT,
    *,
    host: str = "127.0.0.1",
    page: str | None = None,
    background: bool = False,
) -> ThreadingHTTPServer:
    """Serve the guide at ``http://localhost:<port>/graphlink-guide.html`` (loopback only).

    ``background=True`` returns a started server (tests); otherwise this blocks.
    """
    handler = type("GuideHandler", (_Handler,), {"body": (page or current_guide()).encode()})
    server = ThreadingHTTPServer((host, port), handler)
    if background:
        threading.Thread(target=server.serve_forever, daemon=True).start()
    else:
        try:
            server.serve_forever()
        finally:
            server.server_close()
    return server


def play_command(port: int = DEFAULT_PORT) -> str:
    """What to type in the Browser to open the guide."""
    return f":play http://localhost:{port}{GUIDE_PATH}"
