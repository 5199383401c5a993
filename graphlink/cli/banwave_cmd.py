"""``graphlink banwave`` (dry run by default, ``--commit`` records it) and ``graphlink
evaluate``."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from graphlink import banwave_store
from graphlink.banwave import (
    DEFAULT_MIN_CONFORMITY,
    DEFAULT_MIN_RISK,
    DEFAULT_OWN_DOMAIN_SHARE,
    DEFAULT_VERIFIED_ORG_MIN_RISK,
    WaveDiff,
    WaveParams,
    WavePlan,
    read_allowlist,
    write_wave_files,
)
from graphlink.banwave_store import WaveOutcome
from graphlink.cli._app import app, console, settings, store_for
from graphlink.errors import InputError
from graphlink.evaluate import TABLE_WIDTH, render_table
from graphlink.evaluate_store import evaluate_in_store
from graphlink.store import GraphStore


def print_wide(renderable: object, *, width: int = TABLE_WIDTH) -> None:
    """Print a wide table on one line per row even where stdout is narrow or a pipe."""
    Console(width=max(console.width, width), force_terminal=console.is_terminal).print(renderable)


def default_wave_path(home: Path, plan: WavePlan) -> Path:
    """``<GRAPHLINK_HOME>/waves/<wave_id>.csv``, or ``dry-run-<time>.csv`` before a commit."""
    name = plan.wave_id or "dry-run-" + plan.created_at.astimezone(UTC).strftime("%Y%m%dT%H%M%S")
    return home / "waves" / f"{name}.csv"


def print_plan(out: Console, plan: WavePlan, *, top: int = 15) -> None:
    """Summary of a wave: clusters, accounts, risk histogram, reasons, protected accounts."""
    state = (
        f"wave [bold]{plan.wave_id}[/]"
        if plan.committed
        else "[bold yellow]DRY RUN[/] (nothing written to Neo4j)"
    )
    out.print(
        f"{state} · run {plan.run_id} · min_risk {plan.params.min_risk:g} · "
        f"[bold]{plan.n_accounts:,}[/] accounts in [bold]{plan.n_clusters:,}[/] clusters"
    )

    t = Table(
        title=f"clusters (top {min(top, len(plan.clusters))} of {len(plan.clusters)}); "
        "cards/IPs: shared by >= 2 members",
        title_justify="left",
    )
    for col in ("cluster", "size", "risk", "banned", "skip", "cards", "IPs", "prov.", "reasons"):
        if col == "reasons":
            t.add_column(col, ratio=1, overflow="fold")
        else:
            t.add_column(col, justify="left" if col == "cluster" else "right", no_wrap=True)
    for r in plan.clusters.head(top).to_dict("records"):
        t.add_row(
            r["cluster_id"],
            f"{r['size']:,}",
            f"{r['risk']:.3f}",
            f"{r['n_banned']:,}",
            f"{r['n_skipped']:,}",
            str(r.get("shared_instruments", "–")),
            str(r.get("shared_ips", "–")),
            str(r.get("proxy_providers", "–")),
            " ".join(r["reasons"]),
        )
    out.print(t)

    h = plan.risk_histogram()
    t = Table(title="cluster risk")
    t.add_column("risk")
    t.add_column("clusters", justify="right")
    t.add_column("accounts", justify="right")
    width = max(int(h["accounts"].max()) if len(h) else 1, 1)
    t.add_column("")
    for label, r in h.iterrows():
        t.add_row(
            str(label),
            f"{r['clusters']:,}",
            f"{r['accounts']:,}",
            "█" * max(1, round(30 * r["accounts"] / width)) if r["accounts"] else "",
        )
    out.print(t)

    rc = plan.reason_counts()
    t = Table(title="accounts per reason code")
    t.add_column("reason")
    t.add_column("accounts", justify="right")
    for code, n in rc.items():
        t.add_row(str(code), f"{n:,}")
    out.print(t)

    if len(plan.skipped):
        by = plan.skipped.groupby("why").size()
        out.print(
            "protected / skipped (never banned): "
            + ", ".join(f"[bold]{n}[/] {why}" for why, n in by.items())
        )
        t = Table(title="skipped accounts")
        for col in ("account", "cluster", "risk", "org", "why"):
            t.add_column(col)
        for r in plan.skipped.head(top).itertuples(index=False):
            t.add_row(
                r.account_id,
                r.cluster_id,
                f"{r.cluster_risk:.3f}",
                r.org_id if isinstance(r.org_id, str) else "",
                r.why,
            )
        out.print(t)
        if len(plan.skipped) > top:
            out.print(f"[dim]… {len(plan.skipped) - top} more in the JSON sidecar[/]")
    else:
        out.print("protected / skipped: none")
    if "org_id" in plan.entries and plan.entries["org_id"].notna().any():
        n = int(plan.entries["org_id"].notna().sum())
        out.print(
            f"[yellow]{n} verified-org account(s) included: cluster risk ≥ "
            f"{plan.params.verified_org_min_risk:g}[/]"
        )


def print_diff(out: Console, diff: WaveDiff, *, label: str) -> None:
    c = diff.counts()
    against = diff.previous_wave_id or "no previous wave"
    out.print(
        f"{label} against {against}: [green]+{c['new']:,} new[/], "
        f"[red]-{c['dropped']:,} dropped[/], {c['kept']:,} kept"
    )


@app.command("banwave")
def banwave(
    min_risk: float = typer.Option(
        DEFAULT_MIN_RISK,
        "--min-risk",
        min=0.0,
        max=1.0,
        help="Ban members of clusters with risk at least this.",
    ),
    out: Path | None = typer.Option(
        None,
        "--out",
        help="CSV to write (JSON sidecar beside it). Default: $GRAPHLINK_HOME/waves/<wave_id>.csv",
    ),
    allowlist: Path | None = typer.Option(
        None,
        "--allowlist",
        exists=True,
        dir_okay=False,
        help="File of account ids never to ban, one a line.",
    ),
    verified_org_min_risk: float = typer.Option(
        DEFAULT_VERIFIED_ORG_MIN_RISK,
        "--verified-org-min-risk",
        min=0.0,
        max=1.0,
        help="Verified-org accounts are banned only at this cluster risk or above.",
    ),
    own_domain_share: float = typer.Option(
        DEFAULT_OWN_DOMAIN_SHARE,
        "--own-domain-share",
        min=0.0,
        max=1.0,
        help="A cluster with this share of its members on one e-mail domain, holding this "
        "share of that domain's accounts, is treated as one organisation: the verified-org "
        "bar applies (0: off).",
    ),
    min_conformity: float = typer.Option(
        DEFAULT_MIN_CONFORMITY,
        "--min-conformity",
        min=0.0,
        max=1.0,
        help="A member showing less than this share of its cluster's reasons is skipped "
        "(atypical_member) for review (0: off).",
    ),
    run_id: str | None = typer.Option(
        None, "--run", help="Detection run (default: the current one)."
    ),
    commit: bool = typer.Option(
        False, "--commit", help="Record the wave in Neo4j (default: dry run)."
    ),
) -> None:
    """Select a ban wave from the current detection run: a DRY RUN unless --commit."""
    params = WaveParams(
        min_risk=min_risk,
        verified_org_min_risk=verified_org_min_risk,
        own_domain_share=own_domain_share,
        min_conformity=min_conformity,
        allowlist=read_allowlist(allowlist) if allowlist else frozenset(),
        allowlist_source=str(allowlist) if allowlist else None,
    )
    s = settings()
    with store_for(s) as store:
        plan_and_present(
            store, params, run_id=run_id, commit=commit, out=out, home=s.home, console_=console
        )


def present_wave(outcome: WaveOutcome, *, out: Path | None, home: Path, console_: Console) -> None:
    """Print a planned or committed wave and write its files (shared with ``demo``)."""
    plan = outcome.plan
    print_plan(console_, plan)
    if outcome.note:
        console_.print(f"[yellow]{outcome.note}[/]")
        return
    print_diff(console_, outcome.diff, label="diff" if plan.committed else "would change")
    csv, side = write_wave_files(plan, out or default_wave_path(home, plan))
    console_.print(f"wrote [bold]{csv}[/] and {side.name}")
    if not plan.committed:
        console_.print("[dim]dry run: re-run with --commit to record this wave[/]")


def plan_and_present(
    store: GraphStore,
    params: WaveParams,
    *,
    run_id: str | None,
    commit: bool,
    out: Path | None,
    home: Path,
    console_: Console,
) -> WaveOutcome:
    """:func:`graphlink.banwave_store.run_wave` under a spinner, then :func:`present_wave`."""
    with console_.status("recording the wave in Neo4j…" if commit else "selecting the wave…"):
        outcome = banwave_store.run_wave(store, params, run_id=run_id, commit=commit)
    present_wave(outcome, out=out, home=home, console_=console_)
    return outcome


@app.command("waves")
def waves() -> None:
    """List committed ban waves, newest first."""
    with store_for() as store:
        df = banwave_store.list_waves(store)
    if df.empty:
        console.print("no committed ban wave yet")
        return
    t = Table(title="ban waves")
    for col in (
        "wave",
        "created",
        "run",
        "min_risk",
        "accounts",
        "clusters",
        "protected",
        "previous",
    ):
        t.add_column(col)
    for r in df.itertuples(index=False):
        created = (
            r.created_at.isoformat(timespec="seconds")
            if isinstance(r.created_at, datetime)
            else str(r.created_at)
        )
        t.add_row(
            r.wave_id,
            created,
            str(r.run_id),
            f"{r.min_risk:g}",
            f"{r.n_accounts:,}",
            f"{r.n_clusters:,}",
            str(r.protected_skipped),
            r.previous_wave_id or "",
        )
    console.print(t)


@app.command("evaluate")
def evaluate(
    truth: Path | None = typer.Option(
        None,
        "--truth",
        exists=True,
        dir_okay=False,
        help="Truth CSV of a generated scenario (account_id, campaign, segment, group).",
    ),
    loao: bool = typer.Option(
        False,
        "--loao",
        help="Leave-one-archetype-out on generated scenarios "
        "(no store, no truth file): fit the risk model without each archetype, "
        "score it on an unseen seed, beside the components baseline.",
    ),
    accounts: int = typer.Option(
        200_000, "--accounts", min=1000, help="--loao: benign accounts of the evaluation scenario."
    ),
    train_accounts: int = typer.Option(
        200_000,
        "--train-accounts",
        min=1000,
        help="--loao: benign accounts per training scenario (the shipped model's 80 "
        "training seeds, graphlink.holdout.TRAINING_SEEDS).",
    ),
    signups: Path | None = typer.Option(
        None,
        "--signups",
        exists=True,
        file_okay=False,
        help="Snapshot directory: replay held-out newcomers through the sign-up check "
        "(in-process, no Neo4j) instead of scoring a ban wave.",
    ),
    holdout_frac: float = typer.Option(
        0.02,
        "--holdout-frac",
        min=0.0001,
        max=0.5,
        help="--signups: share of each ring campaign held out.",
    ),
    benign_per_segment: int = typer.Option(
        300, "--benign-per-segment", min=1, help="--signups: benign accounts held out per segment."
    ),
    seed: int = typer.Option(0, "--seed", help="--signups: seed of the held-out sample."),
    wave: str | None = typer.Option(
        None, "--wave", help="Wave to score (default: the latest committed)."
    ),
    min_risk: float = typer.Option(
        DEFAULT_MIN_RISK,
        "--min-risk",
        min=0.0,
        max=1.0,
        help="Risk bar of the dry-run plan scored when no wave is committed.",
    ),
    baselines: bool = typer.Option(
        True, "--baselines/--no-baselines", help="Also score the naive baselines."
    ),
    hub_cap: int = typer.Option(
        100, "--hub-cap", min=2, help="Baselines ignore things shared by more accounts."
    ),
    min_size: int = typer.Option(
        5, "--min-size", min=2, help="Smallest component/community a baseline flags."
    ),
    json_out: Path | None = typer.Option(None, "--json", help="Also write the figures as JSON."),
) -> None:
    """Precision, recall, false bans per benign segment, whole groups banned and purity: graphlink
    vs
    baselines.  With --signups: how the sign-up check treats held-out newcomers, per segment.
    With --loao: how the risk model does on campaign archetypes it was not fitted on."""
    if loao:
        from graphlink.holdout import TRAINING_SEEDS, render_loao, run_loao

        eval_seed = seed or 101
        with console.status("leave-one-archetype-out…") as st:
            rep = run_loao(
                accounts,
                eval_seed,
                train_n=train_accounts,
                train_seeds=TRAINING_SEEDS,
                progress=lambda s: st.update(f"leave-one-archetype-out: {s}…"),
            )
        for t in render_loao(
            rep,
            title=f"leave-one-archetype-out (evaluation seed {eval_seed}, "
            f"{accounts:,} benign accounts)",
        ):
            print_wide(t)
        if json_out:
            import json

            json_out.write_text(rep.table.to_json(orient="records", indent=2))
            console.print(f"wrote {json_out}")
        return
    if truth is None:
        raise InputError("--truth is required (except with --loao)")
    if signups is not None:
        from graphlink import signup_eval

        with console.status("held-out newcomers…") as st:
            replay, rejected = signup_eval.evaluate_snapshot(
                signups,
                truth,
                holdout_frac=holdout_frac,
                benign_per_segment=benign_per_segment,
                seed=seed,
                progress=lambda s: st.update(f"held-out newcomers: {s}…"),
            )
        if any(rejected.values()):
            console.print(
                f"[yellow]rows rejected (not replayed; `graphlink ingest` lists them): "
                f"{ {k: v for k, v in rejected.items() if v} }[/]"
            )
        for r in signup_eval.render_replay(replay, title=f"held-out newcomers of {signups}"):
            print_wide(r)
        console.print(f"[dim]seconds {replay.seconds}; index {replay.index_sizes}[/]")
        if json_out:
            import json

            json_out.write_text(
                json.dumps(
                    {
                        "params": replay.params,
                        "summary": replay.summary(),
                        "operating_point": replay.operating_point(),
                        "table": replay.table().to_dict("records"),
                    },
                    indent=2,
                    default=str,
                )
            )
            console.print(f"wrote {json_out}")
        return
    with store_for() as store:
        results = evaluate_in_store(
            store,
            truth,
            wave_id=wave,
            params=WaveParams(min_risk=min_risk),
            baselines=baselines,
            baseline_options={"hub_cap": hub_cap, "min_size": min_size},
            progress=console.print,
        )
    print_wide(render_table(results, title=f"evaluation against {truth}"))
    if json_out:
        import json

        json_out.write_text(json.dumps([m.to_record() for m in results], indent=2, default=str))
        console.print(f"wrote {json_out}")
