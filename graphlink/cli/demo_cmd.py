"""``graphlink demo``: synth → ingest → detect → banwave (dry run + commit) → evaluate.

The README's main command.  It runs every stage against the configured Neo4j
(the local server by default, started if needed) on a generated scenario
with planted rings and hard negatives, and ends with the evaluation table:
graphlink beside the naive baselines.

Safety: the demo needs a database holding nothing but demo data.  It
remembers what its last run loaded (``<GRAPHLINK_HOME>/demo/last_demo.json``:
the Bolt URI and the number of accounts); a database that holds exactly that
is wiped and reloaded without asking, anything else is refused unless
``--wipe`` is given.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import typer
from rich.rule import Rule

from graphlink import cypher_files
from graphlink.banwave import DEFAULT_MIN_RISK, WaveParams
from graphlink.cli._app import app, console, settings, store_for
from graphlink.config import Settings
from graphlink.errors import DemoError, GraphlinkError, InputError
from graphlink.store import GraphStore

#: Benign accounts of the default demo (+ 2.4 % ring accounts): a few minutes on 2 cores.
DEFAULT_DEMO_ACCOUNTS = 50_000
DEFAULT_DEMO_SEED = 7


def _marker(s: Settings) -> Path:
    return s.home / "demo" / "last_demo.json"


def _counts(store: GraphStore) -> dict[str, int]:
    return store.read("demo/counts")[0]


def _wipe(store: GraphStore) -> None:
    query = cypher_files.internal("demo/wipe")
    store.run_in_session("demo/wipe", lambda s: s.run(query).consume())


def prepare_database(store: GraphStore, s: Settings, *, wipe: bool) -> None:
    """Empty the database if it only holds the previous demo (or ``wipe``); refuse otherwise."""
    counts = _counts(store)
    if counts["nodes"] == 0:
        return
    marker = _marker(s)
    last = json.loads(marker.read_text()) if marker.exists() else {}
    ours = last.get("uri") == s.bolt_uri() and last.get("accounts") == counts["accounts"]
    if not (wipe or ours):
        raise InputError(
            f"the database at {s.bolt_uri()} already holds {counts['nodes']:,} nodes "
            f"({counts['accounts']:,} accounts) that graphlink demo did not load. The demo needs "
            "an empty database: re-run with --wipe to delete everything there, or point "
            "NEO4J_URI / GRAPHLINK_HOME at another server."
        )
    console.print(f"[dim]emptying the database ({counts['nodes']:,} nodes of "
                  f"{'the previous demo' if ours else 'existing data, --wipe'})…[/]")
    _wipe(store)


@contextmanager
def stage(number: int, name: str) -> Iterator[None]:
    """Print a stage header and its duration; wrap failures in a :class:`DemoError` naming it."""
    console.print(Rule(f"[bold]{number}. {name}[/]", align="left"))
    t = time.perf_counter()
    try:
        yield
    except GraphlinkError as e:
        raise DemoError(f"demo stage '{name}' failed: {e}") from e
    console.print(f"[dim]{name}: {time.perf_counter() - t:.1f} s[/]")


def run_demo(
    store: GraphStore,
    s: Settings,
    *,
    accounts: int,
    seed: int,
    workdir: Path,
    min_risk: float,
    wipe: bool,
    baselines: bool = True,
    incremental: bool = False,
) -> dict[str, Any]:
    """Every stage in order; returns a summary (run id, wave id, metrics)."""
    from graphlink.cli.banwave_cmd import plan_and_present, print_wide
    from graphlink.evaluate import render_table
    from graphlink.evaluate_store import evaluate_in_store

    summary: dict[str, Any] = {}
    t_all = time.perf_counter()

    with stage(0, "database"):
        store.ping()
        prepare_database(store, s, wipe=wipe)
        store.apply_schema()
        console.print(f"Neo4j at {s.bolt_uri()} is ready and empty")

    snap, truth = workdir / "snapshot", workdir / "truth.csv"
    with stage(1, "synth"):
        from graphlink import synth

        scenario = synth.generate(accounts, seed=seed)
        synth.write_snapshot(scenario, snap)
        synth.write_truth(scenario, truth)
        seg = scenario.truth["segment"].value_counts()
        console.print(
            f"{len(scenario.truth):,} accounts: {int(seg.get('ring', 0)):,} in "
            f"{scenario.truth['campaign'].replace('', None).nunique():,} planted ring campaigns, "
            + ", ".join(f"{int(n):,} {k}" for k, n in seg.items() if k != "ring")
        )
        console.print(f"snapshot in {snap}, truth in {truth}")

    with stage(2, "ingest"):
        from graphlink.ingest.job import run_ingest

        # The local server gets the offline importer (the database is empty by now):
        # several times faster than transactions for a first load.
        bulk = None
        if s.uses_local_server and not incremental:
            from graphlink import neo4j_local

            bulk = neo4j_local.from_settings(s)
        report = run_ingest(store, snap, batch_size=s.batch_size, bulk=bulk,
                            report_dir=workdir / "reports")
        console.print(f"mode: {getattr(report, 'mode', '?')}"
                      + "".join(f"; {n}" for n in getattr(report, "notes", []) or []))
        for line in _ingest_lines(report):
            console.print(line)
        _marker(s).parent.mkdir(parents=True, exist_ok=True)
        marker = {"uri": s.bolt_uri(), "accounts": _counts(store)["accounts"]}
        _marker(s).write_text(json.dumps(marker))

    with stage(3, "detect"):
        from graphlink.detect import DEFAULT_SEED, DetectionConfig
        from graphlink.detect.run import run_detection

        result = run_detection(store, DetectionConfig(), seed=DEFAULT_SEED, batch_size=s.batch_size)
        st = result.stats
        console.print(
            f"run {result.run_id}: {st.get('accounts', 0):,} accounts, {st.get('edges', 0):,} "
            "links, "
            f"{st.get('clusters_written', 0):,} clusters written, "
            f"{st.get('clusters_flagged', 0):,} flagged; stages "
            + ", ".join(f"{k} {v:.1f}s" for k, v in result.stage_seconds.items())
        )
        summary["run_id"] = result.run_id

    params = WaveParams(min_risk=min_risk)
    with stage(4, "ban wave (dry run)"):
        plan_and_present(
            store,
            params,
            run_id=None,
            commit=False,
            out=workdir / "wave-dry-run.csv",
            home=s.home,
            console_=console,
        )
    with stage(5, "ban wave (commit)"):
        plan = plan_and_present(
            store, params, run_id=None, commit=True, out=None, home=s.home, console_=console
        ).plan
        summary["wave_id"] = plan.wave_id

    with stage(6, "evaluate"):
        results = evaluate_in_store(
            store,
            truth,
            wave_id=plan.wave_id,
            params=params,
            baselines=baselines,
            progress=console.print,
        )
        print_wide(
            render_table(
                results,
                title=f"evaluation: {accounts:,} benign accounts, "
                f"seed {seed}, wave {plan.wave_id} (truth {truth})",
            )
        )
        summary["metrics"] = [m.to_record() for m in results]
    summary["seconds"] = round(time.perf_counter() - t_all, 1)
    (workdir / "demo_summary.json").write_text(json.dumps(summary, indent=2, default=str))
    return summary


def _ingest_lines(report: Any) -> list[str]:
    """One line per table from the ingest report (whatever shape it has)."""
    tables = getattr(report, "tables", None)
    lines = []
    if isinstance(tables, dict):
        tables = list(tables.values())
    for t in tables or []:
        name = getattr(t, "table", getattr(t, "name", "?"))
        loaded, rejected = getattr(t, "loaded", "?"), getattr(t, "rejected", 0)
        lines.append(
            f"  {name}: {loaded:,} loaded, {rejected:,} rejected"
            if isinstance(loaded, int) and isinstance(rejected, int)
            else f"  {name}: {loaded} loaded, {rejected} rejected"
        )
    return lines or [str(report)]


@app.command("demo")
def demo(
    accounts: int = typer.Option(
        DEFAULT_DEMO_ACCOUNTS,
        "--accounts",
        min=100,
        help="Benign accounts to generate (rings are added: 2.4 %).",
    ),
    seed: int = typer.Option(DEFAULT_DEMO_SEED, "--seed", help="Scenario seed."),
    min_risk: float = typer.Option(
        DEFAULT_MIN_RISK, "--min-risk", min=0.0, max=1.0, help="Ban-wave risk bar."
    ),
    workdir: Path | None = typer.Option(
        None,
        "--workdir",
        help="Where the snapshot, truth and reports go (default: $GRAPHLINK_HOME/demo).",
    ),
    wipe: bool = typer.Option(False, "--wipe", help="Delete whatever the database holds first."),
    baselines: bool = typer.Option(
        True, "--baselines/--no-baselines", help="Score the naive baselines too."
    ),
    incremental: bool = typer.Option(
        False,
        "--incremental",
        help="Load with transactions even on the local server "
        "(default there: the offline bulk importer).",
    ),
) -> None:
    """Run the whole pipeline on a generated scenario and print graphlink beside the baselines."""
    s = settings()
    wd = workdir or (s.home / "demo")
    wd.mkdir(parents=True, exist_ok=True)
    with store_for(s) as store:
        summary = run_demo(
            store,
            s,
            accounts=accounts,
            seed=seed,
            workdir=wd,
            min_risk=min_risk,
            wipe=wipe,
            baselines=baselines,
            incremental=incremental,
        )
    console.print(
        f"[bold green]demo done[/] in {summary['seconds']:.0f} s: run {summary['run_id']}, "
        f"wave {summary.get('wave_id')}; summary in {wd / 'demo_summary.json'}"
    )
