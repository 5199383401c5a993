"""Benchmark the HTTP API under load: sign-up check and account lookup against their floor
(a bare FastAPI dict lookup) and against the naive design (one Cypher round trip per request).

Needs **wrk** as the load generator (Debian: ``apt-get install -y wrk``) and a Neo4j holding a
complete detection run, selected by the usual environment, e.g. a private one::

    export GRAPHLINK_HOME=/work/main/.graphlink/api GRAPHLINK_BOLT_PORT=7731
    GRAPHLINK_HTTP_PORT=7732
    .venv/bin/graphlink synth -o /tmp/snap --truth /tmp/truth.csv      # 1M accounts by default
    .venv/bin/graphlink ingest --bulk /tmp/snap && .venv/bin/graphlink detect
    .venv/bin/python bench/bench_api.py --duration 15 --connections 16

Each server is a real process on 127.0.0.1 (uvicorn with uvloop + httptools, no access log,
one worker), started, measured and stopped in turn so that they never compete; wrk runs in a
second process on the same machine (2 threads, ``--connections`` connections, a short warm-up
first, then ``--duration`` seconds; bounded, loopback only).  Targets:

* ``bare``: ``bench/bare_app.py``, GET of a dict entry (no auth, no validation);
* ``signup-check``: ``graphlink serve``, POST /v1/signup-check, half of the bodies touching a
  ring of the current run (its IPs, instruments, devices), half unrelated;
* ``account``: ``graphlink serve``, GET /v1/accounts/{id}, half clustered accounts, half others;
* ``signup-check, routed``: the same server with ``GRAPHLINK_API_FAST_PATH=0``, every check
  through FastAPI's routing (``graphlink.api.hotpath``; ``--skip-routed`` leaves it out);
* ``naive signup-check``: ``bench/naive_app.py``, the same bodies, one Cypher query each.

Printed: req/s, p50/p95/p99 latency and non-2xx answers per target, with ratios to the bare
floor and to the naive design, plus the index build time and the server's resident memory.
A temporary API key is created for the run and revoked at the end.

**Neo4j-stopped phase** (on by default when the store is the local server; ``--no-down-phase``
skips it): with the same ``graphlink serve`` process and wrk at ``--connections``, the
sign-up check is measured with Neo4j up, while Neo4j is being stopped (the stop is issued
one second into the run), and with it stopped; account lookups and the store-backed
endpoints (ban-wave list, member pages) are measured stopped (they must answer 503 within
50 ms); then Neo4j is started again and the time until the store-backed endpoints answer
200 (no service restart) is reported, with one more measured run of each.  Targets: the
sign-up check keeps >= 90 % of its throughput with zero errors; store-backed 503s p99 <= 50
ms; recovery without restart.  At 1M accounts (the lead's run)::

    .venv/bin/python bench/bench_api.py --duration 15 --connections 16 --phase-seconds 15
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Self

import httpx
import psutil
from rich.console import Console
from rich.table import Table

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from graphlink import apikeys, neo4j_local
from graphlink.api.index import current_run, load_index
from graphlink.config import get_settings
from graphlink.neo4j_local import LocalNeo4j, free_port
from graphlink.store import open_store

console = Console(width=170)
PY = sys.executable
GRAPHLINK = str(Path(PY).parent / "graphlink")

WRK_SCRIPT = r"""
local reqs = {}
local idx = 0
function init(args)
  local auth = args[2]
  for line in io.lines(args[1]) do
    local method, path, body = line:match("^(%u+)\t([^\t]+)\t?(.*)$")
    local headers = {["Authorization"] = "Bearer " .. auth}
    if body ~= nil and body ~= "" then
      headers["Content-Type"] = "application/json"
    else
      body = nil
    end
    reqs[#reqs + 1] = wrk.format(method, path, headers, body)
  end
  math.randomseed(os.time() + #reqs)
  idx = math.random(#reqs)
end
function request()
  idx = idx % #reqs + 1
  return reqs[idx]
end
function done(summary, latency, requests)
  io.write(string.format(
    'WRKJSON {"requests":%d,"duration_us":%d,"non2xx":%d,"connect":%d,"read":%d,' ..
    '"write":%d,"timeout":%d,"p50":%d,"p95":%d,"p99":%d,"max":%d}\n',
    summary.requests, summary.duration, summary.errors.status, summary.errors.connect,
    summary.errors.read, summary.errors.write, summary.errors.timeout,
    latency:percentile(50), latency:percentile(95), latency:percentile(99), latency.max))
end
"""


@dataclass
class Result:
    name: str
    rps: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    max_ms: float
    requests: int
    errors: int
    server_rss_mb: float | None = None


# ----------------------------------------------------------------------------- servers
class Server:
    """A server process on 127.0.0.1:port; stopped (by pid) on exit."""

    def __init__(self, name: str, argv: list[str], port: int, ready_path: str, env: dict[str, str]):
        self.name, self.argv, self.port, self.ready_path, self.env = (
            name,
            argv,
            port,
            ready_path,
            env,
        )
        self.proc: subprocess.Popen[bytes] | None = None
        self.log = Path(tempfile.gettempdir()) / f"bench-api-{name}-{port}.log"

    def __enter__(self) -> Self:
        self.proc = subprocess.Popen(
            self.argv, env=self.env, cwd=REPO, stdout=self.log.open("wb"), stderr=subprocess.STDOUT
        )
        deadline = time.monotonic() + 600
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise SystemExit(f"{self.name} exited:\n{self.log.read_text()[-3000:]}")
            try:
                if (
                    httpx.get(
                        f"http://127.0.0.1:{self.port}{self.ready_path}", timeout=2
                    ).status_code
                    == 200
                ):
                    return self
            except httpx.TransportError:
                pass
            time.sleep(0.5)
        raise SystemExit(f"{self.name} not ready after 600s:\n{self.log.read_text()[-3000:]}")

    def rss_mb(self) -> float:
        assert self.proc is not None
        p = psutil.Process(self.proc.pid)
        return sum(c.memory_info().rss for c in [p, *p.children(recursive=True)]) / 2**20

    def __exit__(self, *exc: object) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()


def uvicorn_argv(target: str, port: int, *, factory: bool = False) -> list[str]:
    argv = [
        PY,
        "-m",
        "uvicorn",
        target,
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--loop",
        "uvloop",
        "--http",
        "httptools",
        "--no-access-log",
        "--log-level",
        "warning",
    ]
    return argv + (["--factory"] if factory else [])


# ----------------------------------------------------------------------------- load
def wrk(
    port: int,
    requests_file: Path,
    key: str,
    *,
    seconds: float,
    connections: int,
    threads: int,
    workdir: Path,
) -> dict[str, Any]:
    script = workdir / "bench.lua"
    script.write_text(WRK_SCRIPT)
    cmd = [
        "wrk",
        f"-t{threads}",
        f"-c{connections}",
        f"-d{seconds:g}s",
        "--latency",
        "-s",
        str(script),
        f"http://127.0.0.1:{port}",
        "--",
        str(requests_file),
        key,
    ]
    out = subprocess.run(
        cmd, capture_output=True, text=True, timeout=seconds + 60, check=True
    ).stdout
    line = next(ln for ln in out.splitlines() if ln.startswith("WRKJSON "))
    return json.loads(line[len("WRKJSON ") :])


def measure(
    name: str,
    port: int,
    requests_file: Path,
    key: str,
    args: argparse.Namespace,
    workdir: Path,
    server: Server,
) -> Result:
    wrk(
        port,
        requests_file,
        key,
        seconds=args.warmup,
        connections=args.connections,
        threads=args.threads,
        workdir=workdir,
    )
    w = wrk(
        port,
        requests_file,
        key,
        seconds=args.duration,
        connections=args.connections,
        threads=args.threads,
        workdir=workdir,
    )
    errors = w["non2xx"] + w["connect"] + w["read"] + w["write"] + w["timeout"]
    r = Result(
        name=name,
        rps=w["requests"] / (w["duration_us"] / 1e6),
        p50_ms=w["p50"] / 1000,
        p95_ms=w["p95"] / 1000,
        p99_ms=w["p99"] / 1000,
        max_ms=w["max"] / 1000,
        requests=w["requests"],
        errors=errors,
        server_rss_mb=server.rss_mb(),
    )
    console.print(
        f"  {name}: {r.rps:,.0f} req/s, p50 {r.p50_ms:.2f} ms, p99 {r.p99_ms:.2f} ms, "
        f"{errors} errors"
    )
    return r


# ----------------------------------------------------------------------------- request mixes
def serve(port: int, env: dict[str, str]) -> Server:
    """``graphlink serve`` on ``port`` (ready once ``/readyz`` answers)."""
    return Server("graphlink", [GRAPHLINK, "serve", "--port", str(port), "--log-level", "warning"],
                  port, "/readyz", env)


def write_requests(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n")
    return path


def signup_mix(index: Any, n: int, rng: random.Random) -> list[str]:
    """Half touching rings of the run (IP, instrument or device), half unrelated."""
    ips = rng.sample(sorted(index.ip_clusters), min(n, len(index.ip_clusters)))
    instruments = rng.sample(
        sorted(index.instrument_clusters), min(n, len(index.instrument_clusters))
    )
    devices = [k.split(":", 1)[1] for k in index.identifier_clusters if k.startswith("device:")]
    devices = rng.sample(sorted(devices), min(n, len(devices)))
    plans = ["free", "pro", "team", "api"]
    lines = []
    for i in range(n):
        if i % 2 == 0:
            body: dict[str, Any] = {"plan": rng.choice(plans), "email_domain": "mail.example"}
            kind = rng.choice(["ip", "instrument", "device", "all"])
            if kind in ("ip", "all") and ips:
                body["ip"] = rng.choice(ips)
            if kind in ("instrument", "all") and instruments:
                body["payment_instrument"] = rng.choice(instruments)
            if kind in ("device", "all") and devices:
                body["device"] = rng.choice(devices)
        else:
            body = {
                "ip": f"100.{rng.randint(64, 127)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}",
                "payment_instrument": f"pi-bench-{rng.getrandbits(48):x}",
                "device": f"dev-bench-{rng.getrandbits(48):x}",
                "plan": rng.choice(plans),
                "email_domain": "fresh.example",
            }
        lines.append(f"POST\t/v1/signup-check\t{json.dumps(body)}")
    return lines


def account_mix(index: Any, others: list[str], n: int, rng: random.Random) -> list[str]:
    clustered = rng.sample(sorted(index.accounts), min(n // 2, len(index.accounts)))
    picks = clustered + rng.sample(others, min(n - len(clustered), len(others)))
    rng.shuffle(picks)
    return [f"GET\t/v1/accounts/{httpx.URL(path='/' + a).raw_path.decode()[1:]}" for a in picks]


# ----------------------------------------------------------------------------- Neo4j stopped
@dataclass
class PhaseRow:
    phase: str
    endpoint: str
    rps: float
    p50_ms: float
    p99_ms: float
    max_ms: float
    non2xx: int
    socket_errors: int
    requests: int


def phase_run(
    phase: str,
    endpoint: str,
    port: int,
    requests_file: Path,
    key: str,
    args: argparse.Namespace,
    workdir: Path,
    seconds: float | None = None,
) -> PhaseRow:
    w = wrk(
        port,
        requests_file,
        key,
        seconds=seconds or args.phase_seconds,
        connections=args.connections,
        threads=args.threads,
        workdir=workdir,
    )
    row = PhaseRow(
        phase,
        endpoint,
        w["requests"] / (w["duration_us"] / 1e6),
        w["p50"] / 1000,
        w["p99"] / 1000,
        w["max"] / 1000,
        w["non2xx"],
        w["connect"] + w["read"] + w["write"] + w["timeout"],
        w["requests"],
    )
    console.print(
        f"  \\[{phase}] {endpoint}: {row.rps:,.0f} req/s, p50 {row.p50_ms:.2f} ms, "
        f"p99 {row.p99_ms:.2f} ms, max {row.max_ms:.1f} ms, non-2xx {row.non2xx}, "
        f"socket errors {row.socket_errors}"
    )
    return row


def wait_until(predicate: Any, timeout: float, step: float = 0.1) -> float | None:
    """Seconds until ``predicate()`` held, or None after ``timeout``."""
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout:
        try:
            if predicate():
                return time.monotonic() - t0
        except httpx.TransportError:
            pass
        time.sleep(step)
    return None


def sequential_latency(
    base: str, requests_file: Path, auth: dict[str, str], n: int = 300
) -> dict[str, Any]:
    """One request at a time (no queueing behind 15 others): the 503's own latency."""
    paths = [ln.split("\t")[1] for ln in requests_file.read_text().splitlines() if ln][:n]
    took: list[float] = []
    statuses: dict[int, int] = {}
    with httpx.Client(base_url=base, headers=auth, timeout=10) as c:
        for path in paths:
            t0 = time.perf_counter()
            r = c.get(path)
            took.append((time.perf_counter() - t0) * 1000)
            statuses[r.status_code] = statuses.get(r.status_code, 0) + 1
    took.sort()
    return {
        "n": len(took),
        "statuses": statuses,
        "p50": round(took[len(took) // 2], 2),
        "p99": round(took[int(len(took) * 0.99) - 1], 2),
        "max": round(took[-1], 2),
    }


def neo4j_stopped_phase(
    port: int,
    files: dict[str, Path],
    key: str,
    args: argparse.Namespace,
    workdir: Path,
    local: LocalNeo4j,
) -> tuple[list[PhaseRow], dict[str, Any]]:
    """Up -> stopping (mid-run) -> stopped -> started again, same server process."""
    base = f"http://127.0.0.1:{port}"
    auth = {"Authorization": f"Bearer {key}"}
    rows: list[PhaseRow] = []
    facts: dict[str, Any] = {}
    console.print("[bold]Neo4j-stopped phase[/]")
    rows.append(phase_run("up", "signup-check", port, files["signup"], key, args, workdir))
    rows.append(phase_run("up", "store-backed", port, files["store"], key, args, workdir))

    stop_s: dict[str, float] = {}

    def stop_later() -> None:
        time.sleep(1.0)
        t0 = time.monotonic()
        local.stop()
        stop_s["took"] = time.monotonic() - t0

    stopper = threading.Thread(target=stop_later)
    stopper.start()
    rows.append(phase_run("stopping", "signup-check", port, files["signup"], key, args, workdir))
    stopper.join()
    facts["neo4j_stop_s"] = stop_s.get("took")
    facts["breaker_open_after_stop_s"] = wait_until(
        lambda: httpx.get(f"{base}/readyz", timeout=2).json().get("status") == "degraded", 30
    )
    ready = httpx.get(f"{base}/readyz", timeout=2).json()
    facts["readyz_down"] = {k: ready.get(k) for k in ("ready", "status", "store", "api_keys")}
    probe = httpx.get(f"{base}/v1/banwaves", headers=auth, timeout=5)
    facts["store_backed_down"] = {
        "status": probe.status_code,
        "retry_after": probe.headers.get("retry-after"),
        "message": probe.json()["error"]["message"][:160],
    }
    facts["store_backed_503_unloaded_ms"] = sequential_latency(base, files["store"], auth)
    rows.append(phase_run("stopped", "signup-check", port, files["signup"], key, args, workdir))
    rows.append(phase_run("stopped", "account lookup", port, files["account"], key, args, workdir))
    rows.append(
        phase_run("stopped", "store-backed (503)", port, files["store"], key, args, workdir)
    )

    t0 = time.monotonic()
    local.start(timeout=600)
    facts["neo4j_start_s"] = time.monotonic() - t0
    facts["store_backed_200_after_start_s"] = wait_until(
        lambda: httpx.get(f"{base}/v1/banwaves", headers=auth, timeout=10).status_code == 200,
        120,
        step=0.2,
    )
    facts["readyz_after"] = httpx.get(f"{base}/readyz", timeout=5).json().get("status")
    rows.append(phase_run("recovered", "signup-check", port, files["signup"], key, args, workdir))
    rows.append(phase_run("recovered", "store-backed", port, files["store"], key, args, workdir))
    return rows, facts


def print_phase_table(
    rows: list[PhaseRow], facts: dict[str, Any], args: argparse.Namespace
) -> None:
    up = {r.endpoint: r for r in rows if r.phase == "up"}
    t = Table(
        title=f"Neo4j stopped under load (wrk, {args.connections} connections, "
        f"{args.phase_seconds:g}s per row; same server process throughout)"
    )
    for col in (
        "phase",
        "endpoint",
        "req/s",
        "vs up",
        "p50 ms",
        "p99 ms",
        "max ms",
        "non-2xx",
        "socket errors",
    ):
        t.add_column(col, justify="left" if col in ("phase", "endpoint") else "right")
    for r in rows:
        ref = up.get(r.endpoint)
        t.add_row(
            r.phase,
            r.endpoint,
            f"{r.rps:,.0f}",
            f"{r.rps / ref.rps:.2f}x" if ref else "-",
            f"{r.p50_ms:.2f}",
            f"{r.p99_ms:.2f}",
            f"{r.max_ms:.1f}",
            f"{r.non2xx:,}",
            str(r.socket_errors),
        )
    console.print(t)
    for k, v in facts.items():
        console.print(f"  {k}: {v:.1f}" if isinstance(v, float) else f"  {k}: {v}")
    signup_down = [
        r for r in rows if r.endpoint == "signup-check" and r.phase in ("stopping", "stopped")
    ]
    store_down = next(r for r in rows if r.phase == "stopped" and r.endpoint.startswith("store"))
    alone = facts.get("store_backed_503_unloaded_ms", {})
    keep = min(r.rps for r in signup_down) / up["signup-check"].rps
    errors = sum(r.non2xx + r.socket_errors for r in signup_down)
    console.print(
        f"targets: signup-check keeps {keep:.0%} of its throughput (>= 90 %), "
        f"{errors} errors (0); store-backed 503 p99 {alone.get('p99')} ms one at a time, "
        f"{store_down.p99_ms:.1f} ms under {args.connections} connections (<= 50 ms), "
        f"{store_down.non2xx:,}/{store_down.requests:,} answered 503; recovery without restart: "
        f"{'yes' if facts.get('store_backed_200_after_start_s') is not None else 'NO'}"
    )


def store_mix(index: Any, n: int, rng: random.Random) -> list[str]:
    """Endpoints that need Neo4j: the ban-wave list and member pages of the run's clusters."""
    clusters = [c.cluster_id for c in index.ranked[:50]]
    lines = []
    for i in range(n):
        if i % 2 == 0 or not clusters:
            lines.append("GET\t/v1/banwaves?limit=10")
        else:
            lines.append(f"GET\t/v1/clusters/{rng.choice(clusters)}/members?limit=20")
    return lines


# ----------------------------------------------------------------------------- main
def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--duration", type=float, default=15, help="measured seconds per target")
    ap.add_argument("--warmup", type=float, default=3, help="warm-up seconds per target")
    ap.add_argument("--connections", type=int, default=16)
    ap.add_argument("--threads", type=int, default=2, help="wrk threads")
    ap.add_argument("--samples", type=int, default=4000, help="distinct requests per mix")
    ap.add_argument("--skip-naive", action="store_true")
    ap.add_argument("--skip-routed", action="store_true",
                    help="do not measure the sign-up check with the fast path off")
    ap.add_argument(
        "--down-phase",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="stop and restart the local Neo4j under load (default: when local)",
    )
    ap.add_argument(
        "--phase-seconds",
        type=float,
        default=10,
        help="measured seconds per row of the Neo4j-stopped phase",
    )
    ap.add_argument("--json", type=Path, help="also write the results here")
    args = ap.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("wrk not found: apt-get install -y wrk")

    settings = get_settings()
    down_phase = settings.uses_local_server if args.down_phase is None else args.down_phase
    if down_phase and not settings.uses_local_server:
        raise SystemExit("--down-phase needs the local Neo4j (it stops and starts it)")
    phase_rows: list[PhaseRow] = []
    facts: dict[str, Any] = {}
    env = dict(os.environ)
    rng = random.Random(7)
    workdir = Path(tempfile.mkdtemp(prefix="bench-api-"))
    results: list[Result] = []
    with open_store(settings) as store:
        run = current_run(store)
        if run is None:
            raise SystemExit("no complete detection run: run `graphlink detect` first")
        n_accounts = store.query("MATCH (a:Account) RETURN count(a) AS n", name="bench/count")[0][
            "n"
        ]
        t0 = time.perf_counter()
        index = load_index(store, *run)
        build_s = time.perf_counter() - t0
        console.print(
            f"run {run[0]}: {n_accounts:,} accounts; index {index.sizes()} "
            f"built in {build_s:.1f}s (in this process)"
        )
        skip = rng.randrange(max(1, n_accounts - args.samples))
        others = [
            r["account_id"]
            for r in store.read("api/sample_accounts", skip=skip, limit=args.samples)
        ]
        signup_file = write_requests(workdir / "signup.txt", signup_mix(index, args.samples, rng))
        account_file = write_requests(
            workdir / "account.txt", account_mix(index, others, args.samples, rng)
        )
        bare_file = write_requests(
            workdir / "bare.txt",
            [f"GET\t/lookup/k{rng.randrange(1000)}" for _ in range(args.samples)],
        )
        store_file = write_requests(workdir / "store.txt", store_mix(index, args.samples, rng))
        del index
        key_name = f"bench-{uuid.uuid4().hex[:8]}"
        key = apikeys.create_key(
            store, name=key_name, scopes=["signup:check", "investigate:read"]
        ).key
        try:
            port = free_port()
            console.print("[bold]bare FastAPI dict lookup[/]")
            with Server(
                "bare", uvicorn_argv("bench.bare_app:app", port), port, "/lookup/k1", env
            ) as s:
                results.append(measure("bare dict lookup", port, bare_file, key, args, workdir, s))
            port = free_port()
            console.print("[bold]graphlink serve[/]")
            with serve(port, env) as s:
                results.append(measure("signup-check", port, signup_file, key, args, workdir, s))
                results.append(measure("account lookup", port, account_file, key, args, workdir, s))
                if down_phase:
                    try:
                        phase_rows, facts = neo4j_stopped_phase(
                            port,
                            {"signup": signup_file, "account": account_file, "store": store_file},
                            key,
                            args,
                            workdir,
                            neo4j_local.from_settings(settings),
                        )
                    finally:
                        neo4j_local.from_settings(settings).start(timeout=600)  # idempotent
            if not args.skip_routed:
                # The same server with the fast path off: what the route alone does.
                port = free_port()
                console.print("[bold]graphlink serve, GRAPHLINK_API_FAST_PATH=0[/]")
                with serve(port, {**env, "GRAPHLINK_API_FAST_PATH": "0"}) as s:
                    results.append(
                        measure("signup-check, routed", port, signup_file, key, args, workdir, s)
                    )
            if not args.skip_naive:
                port = free_port()
                console.print("[bold]naive design (one Cypher round trip per request)[/]")
                with Server(
                    "naive",
                    uvicorn_argv("bench.naive_app:create_app", port, factory=True),
                    port,
                    "/docs",
                    env,
                ) as s:
                    results.append(
                        measure("naive signup-check", port, signup_file, key, args, workdir, s)
                    )
        finally:
            apikeys.revoke(store, key_name)
            shutil.rmtree(workdir, ignore_errors=True)

    bare = results[0]
    naive = next((r for r in results if r.name.startswith("naive")), None)
    t = Table(
        title=f"HTTP API under wrk ({args.connections} connections, {args.threads} threads, "
        f"{args.duration:g}s; {n_accounts:,} accounts, run {run[0]})"
    )
    for col in (
        "endpoint",
        "req/s",
        "p50 ms",
        "p95 ms",
        "p99 ms",
        "max ms",
        "errors",
        "req/s vs bare",
        "p99 vs bare",
        "req/s vs naive",
        "server RSS MB",
    ):
        t.add_column(col, justify="right" if col != "endpoint" else "left")
    for r in results:
        t.add_row(
            r.name,
            f"{r.rps:,.0f}",
            f"{r.p50_ms:.2f}",
            f"{r.p95_ms:.2f}",
            f"{r.p99_ms:.2f}",
            f"{r.max_ms:.1f}",
            str(r.errors),
            f"{r.rps / bare.rps:.2f}x",
            f"{r.p99_ms / bare.p99_ms:.2f}x",
            f"{r.rps / naive.rps:.1f}x" if naive else "-",
            f"{r.server_rss_mb:,.0f}" if r.server_rss_mb else "-",
        )
    console.print(t)
    console.print(f"index build (current run, in the bench process): {build_s:.1f}s")
    if phase_rows:
        print_phase_table(phase_rows, facts, args)
    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    "accounts": n_accounts,
                    "run_id": run[0],
                    "index_build_s": build_s,
                    "args": vars(args) | {"json": str(args.json)},
                    "results": [r.__dict__ for r in results],
                    "neo4j_stopped": [r.__dict__ for r in phase_rows],
                    "neo4j_stopped_facts": facts,
                },
                indent=2,
                default=str,
            )
        )


if __name__ == "__main__":
    main()
