"""Open a report in real headless Chromium: console errors, drawn traces, a screenshot.

Used by the report tests (a report that throws in the browser or draws nothing
fails) and to refresh the README's picture::

    python -m graphlink.reports.screenshot report.html docs/img/cluster-report.png

Uses the system's Chromium (Debian's ``chromium`` package) through playwright;
no browser is downloaded.  Every request other than the report file itself is
blocked and recorded, which proves the page works offline.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")

_TRACES_JS = """
() => Array.from(document.querySelectorAll('.js-plotly-plot')).map(div => ({
  id: div.id,
  // _fullData: the traces as plotly.js resolved them (binary-encoded arrays decoded)
  traces: (div._fullData || []).map(t => ({
    name: t.name || '', type: t.type, mode: t.mode || '',
    kind: (t.meta && t.meta.node_kind) || null,
    points: t._length || 0,
  })),
  svg_points: div.querySelectorAll('.scatterlayer .point, .barlayer .point').length,
}))
"""


@dataclass
class BrowserCheck:
    """What Chromium saw when it rendered a page."""

    console_errors: list[str] = field(default_factory=list)
    blocked_requests: list[str] = field(default_factory=list)
    plots: list[dict[str, Any]] = field(default_factory=list)
    title: str = ""


def find_chromium() -> str | None:
    """Path of a Chromium binary: ``$CHROMIUM``, else the usual names on PATH."""
    env = os.environ.get("CHROMIUM")
    if env and Path(env).exists():
        return env
    for name in CANDIDATES:
        found = shutil.which(name)
        if found:
            return found
    return None


def render(
    html_file: Path, png: Path | None = None, *, chromium: str | None = None,
    width: int = 1300, height: int = 900, full_page: bool = True,
) -> BrowserCheck:
    """Load ``html_file`` offline in headless Chromium; optionally save a full-page PNG."""
    from playwright.sync_api import sync_playwright

    exe = chromium or find_chromium()
    if not exe:
        raise FileNotFoundError("no chromium binary found (apt-get install chromium)")
    url = Path(html_file).resolve().as_uri()
    check = BrowserCheck()
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=exe, args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"]
        )
        try:
            page = browser.new_page(viewport={"width": width, "height": height})
            page.on("console", lambda m: check.console_errors.append(m.text)
                    if m.type in ("error", "assert") else None)
            page.on("pageerror", lambda e: check.console_errors.append(f"pageerror: {e}"))

            def _route(route, request):  # type: ignore[no-untyped-def]
                if request.url == url:
                    route.continue_()
                else:
                    check.blocked_requests.append(request.url)
                    route.abort()

            page.route("**/*", _route)
            page.goto(url, wait_until="load")
            page.wait_for_function(
                "() => Array.from(document.querySelectorAll('.plotly-graph-div'))"
                ".every(d => d.classList.contains('js-plotly-plot'))",
                timeout=30_000,
            )
            page.wait_for_timeout(300)
            check.plots = page.evaluate(_TRACES_JS)
            check.title = page.title()
            if png is not None:
                Path(png).parent.mkdir(parents=True, exist_ok=True)
                page.screenshot(path=str(png), full_page=full_page)
        finally:
            browser.close()
    return check


def main(argv: list[str] | None = None) -> int:
    import argparse

    ap = argparse.ArgumentParser(description="Render a report in headless Chromium and save a PNG.")
    ap.add_argument("report", type=Path)
    ap.add_argument("png", type=Path)
    ap.add_argument("--height", type=int, default=900, help="viewport height")
    ap.add_argument("--viewport-only", action="store_true", help="no full-page screenshot")
    args = ap.parse_args(argv)
    check = render(args.report, args.png, height=args.height, full_page=not args.viewport_only)
    print(
        f"{args.png}: {len(check.plots)} plots, console errors: {check.console_errors or 'none'}, "
        f"blocked requests: {check.blocked_requests or 'none'}"
    )
    return 1 if check.console_errors or check.blocked_requests else 0


if __name__ == "__main__":
    raise SystemExit(main())
