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
import sys
from dataclasses import dataclass, field
from pathlib import Path

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
    plots: list[dict] = field(default_factory=list)  # type: ignore[type-arg]
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
    width: int = 1300, height: int = 900,
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
                page.screenshot(path=str(png), full_page=True)
        finally:
            browser.close()
    return check


def main(argv: list[str] | None = None) -> int:
    args = argv if argv is not None else sys.argv[1:]
    if len(args) != 2:
        print("usage: python -m graphlink.reports.screenshot REPORT.html OUT.png", file=sys.stderr)
        return 2
    check = render(Path(args[0]), Path(args[1]))
    print(f"{args[1]}: {len(check.plots)} plots, console errors: {check.console_errors or 'none'}")
    return 1 if check.console_errors else 0


if __name__ == "__main__":
    raise SystemExit(main())
