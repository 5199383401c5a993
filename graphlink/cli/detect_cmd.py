"""``graphlink detect`` and ``graphlink export clusters``: thin shells over graphlink.detect."""

from __future__ import annotations

import csv
from pathlib import Path

import typer
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from graphlink.cli._app import app, console, settings, store_for
from graphlink.errors import InputError, NotFound

export_app = typer.Typer(help="Export detection results for other tools.", no_args_is_help=True)
app.add_typer(export_app, name="export")

STAGES = [("read", "read from Neo4j"), ("projection", "projection (links -> account graph)"),
          ("leiden", "Leiden"), ("scoring", "scoring"), ("lineage", "lineage (stable ids)"),
          ("write", "write-back")]

EXPORT_COLUMNS = ["account_id", "cluster_id", "cluster_size", "cluster_risk"]


@app.command("detect")
def detect(
    objective: str = typer.Option(
        "cpm", "--objective", help="Leiden objective: cpm or modularity."
    ),
    resolution: float = typer.Option(
        None, "--resolution", help="Resolution (CPM: density threshold on the link-weight scale)."
    ),
    seed: int = typer.Option(
        None, "--seed", help="Random seed (same data + seed -> same clusters)."
    ),
    engine: str = typer.Option(
        "igraph", "--engine",
        help="igraph (fast, default), leidenalg, or spark (projection and per-component "
             "Leiden as Spark jobs; needs the 'spark' extra).",
    ),
    master: str = typer.Option(
        "local[*]", "--master", help="With --engine spark: the Spark master URL (default local[*])."
    ),
    exchange: Path = typer.Option(
        None, "--exchange",
        help="With --engine spark: directory where frames cross between driver and Spark as "
             "Parquet (default: the system temp directory; on a cluster, a path every executor "
             "sees).",
    ),
    spark_conf: list[str] = typer.Option(
        [], "--spark-conf",
        help="With --engine spark: a Spark setting KEY=VALUE (repeatable), e.g. "
             "spark.driver.memory=4g.",
    ),
    linked_only: bool = typer.Option(
        True, "--leiden-linked-only/--leiden-all-accounts",
        help="Run Leiden only on accounts with a link (default; an account without one is "
             "alone in every CPM optimum) or on all accounts (slower at scale; another random "
             "run, so clusters move by Leiden's seed-to-seed noise: docs/scale.md).",
    ),
    top: int = typer.Option(10, "--top", help="How many of the riskiest clusters to show."),
    bin_table: Path = typer.Option(
        None,
        "--bin-table",
        help="Operator's prepaid BIN table (one prefix a line, or CSV with a 'bin' column). "
             "Default: GRAPHLINK_BIN_TABLE, else none.",
    ),
    entry_plans: str = typer.Option(
        None,
        "--entry-plans",
        help="Comma-separated plans abuse enters by (operator knowledge). Default: "
             "GRAPHLINK_ENTRY_PLANS, else none.",
    ),
    model_file: Path = typer.Option(
        None,
        "--model",
        help="Risk model JSON to score with (default: GRAPHLINK_RISK_MODEL, the store's active "
             "model, else the shipped one).",
    ),
) -> None:
    """Link accounts, find rings with Leiden, score them and write a new current run."""
    from graphlink.detect import DEFAULT_SEED, DetectionConfig
    from graphlink.detect.operator_data import parse_plans, read_bin_table
    from graphlink.detect.riskmodel import RiskModel
    from graphlink.detect.run import run_detection

    if objective not in ("cpm", "modularity"):
        raise InputError(f"--objective must be cpm or modularity, not {objective!r}")
    if engine not in ("igraph", "leidenalg", "spark"):
        raise InputError(f"--engine must be igraph, leidenalg or spark, not {engine!r}")
    spark_master = master if engine == "spark" else None
    conf: dict[str, str] = {}
    for item in spark_conf:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise InputError(f"--spark-conf must be KEY=VALUE, not {item!r}")
        conf[key.strip()] = value.strip()
    if spark_master is not None:
        try:
            import pyspark  # noqa: F401
        except ImportError as e:
            raise InputError("--engine spark needs PySpark: pip install 'graphlink[spark]'") from e
    changes: dict[str, object] = {"objective": objective,
                                  "engine": "igraph" if engine == "spark" else engine,
                                  "leiden_linked_only": linked_only}
    if resolution is not None:
        changes["resolution"] = resolution
    elif objective == "modularity":
        changes["resolution"] = 1.0
    s = settings()
    table = bin_table or s.bin_table
    if table is not None:
        changes["prepaid_bins"] = read_bin_table(table)
    changes["entry_plans"] = parse_plans(entry_plans if entry_plans is not None else s.entry_plans)
    config = DetectionConfig().with_(**changes)
    model_path = model_file or s.risk_model
    model = None
    if model_path is not None:
        try:
            model = RiskModel.load(model_path)
        except (OSError, ValueError, TypeError, KeyError) as e:
            raise InputError(f"{model_path}: not a risk model file ({e})") from e
    names = dict(STAGES)
    with (
        store_for(s) as store,
        Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            TimeElapsedColumn(),
            console=console,
            transient=True,
        ) as bar,
    ):
        task = bar.add_task("starting")

        def progress(stage: str) -> None:
            bar.update(task, description=names.get(stage, stage))

        result = run_detection(
            store,
            config,
            seed=DEFAULT_SEED if seed is None else seed,
            progress=progress,
            batch_size=s.batch_size,
            model=model,
            spark_master=spark_master,
            spark_exchange=exchange,
            spark_conf=conf,
        )

    times = Table(title=f"detection run {result.run_id}", show_edge=False)
    times.add_column("stage")
    times.add_column("seconds", justify="right")
    for key, label in STAGES:
        if key in result.stage_seconds:
            times.add_row(label, f"{result.stage_seconds[key]:.2f}")
    times.add_row("[bold]total[/]", f"[bold]{sum(result.stage_seconds.values()):.2f}[/]")
    console.print(times)
    st = result.stats
    console.print(
        f"{st.get('accounts', 0):,} accounts, {st.get('edges', 0):,} links, "
        f"{st.get('clusters_written', 0):,} clusters written "
        f"({st.get('clusters_flagged', 0):,} at risk >= {config.risk_threshold}: "
        f"{st.get('accounts_flagged', 0):,} accounts); ids kept {st.get('lineage_matched', 0):,}, "
        f"new {st.get('lineage_new', 0):,}; risk model {result.params.get('model_version')}"
        + (f" (infrastructure floor {floor})"
           if (floor := result.params.get("floor_model_version")) else "")
    )
    cl = result.clusters.head(top)
    if len(cl):
        t = Table(title="riskiest clusters", show_edge=False)
        for col in ("cluster", "size", "risk", "campaign", "reasons"):
            t.add_column(col, justify="right" if col in ("size", "risk") else "left")
        for row in cl.itertuples(index=False):
            t.add_row(
                row.cluster_id,
                f"{row.size:,}",
                f"{row.risk:.3f}",
                row.parent_cluster_id if isinstance(row.parent_cluster_id, str) else "",
                ", ".join(row.reasons),
            )
        console.print(t)


@export_app.command("clusters")
def export_clusters(
    out: Path = typer.Option(..., "--out", help="CSV file to write."),
    run_id: str = typer.Option(None, "--run", help="A run id (default: the current run)."),
) -> None:
    """Cluster assignments of the current run: account_id, cluster_id, cluster_size,
    cluster_risk."""
    from graphlink.detect import current_run, read_members

    with store_for(settings()) as store:
        if run_id is None:
            run = current_run(store)
            if run is None:
                raise NotFound(
                    "no complete detection run in the store: run `graphlink detect` first"
                )
            run_id = run["run_id"]
        members = read_members(store, run_id)
    out.parent.mkdir(parents=True, exist_ok=True)
    members[EXPORT_COLUMNS].to_csv(out, index=False, quoting=csv.QUOTE_MINIMAL, float_format="%.6f")
    console.print(f"wrote {len(members):,} assignments of run {run_id} to {out}")
