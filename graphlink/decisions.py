"""Learning from investigators' decisions: record them, calibrate the risk model, queue reviews.

Why: the shipped risk model (:func:`graphlink.detect.riskmodel.default_model`)
is fitted on generated scenarios; a site's own campaigns and look-alikes are
only known to its investigators.  Every confirm / reject they record is kept
with a *snapshot* of what they judged (the cluster's features, run and risk
model at decision time), so calibration still works after later runs
re-cluster the graph, and the next model can be fitted on all of them.

Three parts, I/O at the edges:

* **Decisions** - :func:`parse_decisions_csv` (pure: rows -> decisions and
  rejects with file, line, reason), :func:`record_decisions` (snapshot lookup +
  idempotent write: a decision's id hashes kind, target, label, reviewer and
  time, so loading a file twice changes nothing), :func:`label_one` (the CLI).
* **Calibration** - :func:`training_set` (pure: decisions -> feature rows,
  labels, weights) and :func:`calibrate` (pure, scikit-learn).  The approach,
  for a handful of labels up to thousands:

  The model is refitted with ``LogisticRegression`` on the decisions *plus
  prior pseudo-observations* (data augmentation, as in Greenland's
  data-augmentation priors): points around the prior model's decision
  boundary (its logit-0 point ``z*`` in standardised feature space, and
  ``z* +- 1 sd`` along every feature) carry the prior model's own risk as a
  soft label (a positive row of weight ``w p`` and a negative of weight
  ``w (1 - p)``), ``prior_weight`` pseudo-decisions per coefficient.  Those
  rows alone are fitted exactly by the prior (it is the maximum-likelihood
  solution), so with no decisions calibration returns the prior; a handful
  of decisions moves the scores near them in the labelled direction;
  hundreds outweigh the prior.  Every coefficient stays anchored, including
  those of features the labelled clusters do not vary on (a plain L2 penalty
  would pull those to zero, e.g. forget the verified-org discount).  Signs
  follow the shipped model's rule (:func:`feature_signs`): a coefficient the
  decisions push to the wrong side is held at 0 and the rest refitted.  The
  prior is the *shipped default* model, not the active one: the active model
  was fitted on these same decisions, and starting from it would count them
  twice.  Features, standardisation and ban bar are the prior's, so the
  calibrated model's contributions read like the default's.

  Quality: stratified, grouped k-fold (k = min(5, clusters of the rarer
  label); folds keep every decision about one cluster id together), AUC of
  the out-of-fold risks beside the prior's AUC on the same decisions, and
  precision / recall at several bars.  The version hashes the prior's
  version and the fitted numbers, dated by the newest decision: the same
  decisions give the same model and the same version.

* **Models and the review queue** - :func:`save_model`, :func:`active_model`
  (what ``graphlink detect`` scores with), :func:`review_queue` (pure: the
  clusters just below the ban bar, riskiest first, each feature's share of
  the log-odds) and :func:`read_review_queue`.
"""

from __future__ import annotations

import csv
import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from graphlink.detect.riskmodel import RiskModel, default_model
from graphlink.errors import InputError, NotFound
from graphlink.store import GraphStore

Kind = Literal["cluster", "account"]
Label = Literal["confirm", "reject"]
KINDS: tuple[str, ...] = ("cluster", "account")
LABELS: tuple[str, ...] = ("confirm", "reject")
#: Columns a decisions file must have (``note`` and ``run_id`` are optional).
REQUIRED_COLUMNS: tuple[str, ...] = ("id", "kind", "label", "reviewer", "time")
OPTIONAL_COLUMNS: tuple[str, ...] = ("note", "run_id")
#: A decision dated further ahead than this is refused (a typo'd year, a wrong clock).
FUTURE_SLACK = timedelta(hours=1)
#: Prior strength: pseudo-decisions per coefficient (see the module docstring).
DEFAULT_PRIOR_WEIGHT = 5.0
#: Bars of the precision / recall table (plus the model's own threshold).
PR_THRESHOLDS: tuple[float, ...] = (0.5, 0.7, 0.8, 0.9)
#: Review queue defaults: clusters with risk in [bar - margin, bar).
DEFAULT_MARGIN = 0.3
DEFAULT_LIMIT = 50


# --------------------------------------------------------------------------------------
# Decisions
# --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Decision:
    """One investigator's confirm / reject of a cluster or an account, as entered."""

    kind: str
    target_id: str
    label: str
    reviewer: str
    at: datetime
    note: str | None = None
    #: Detection run the decision is about (None: the run the reviewer saw at ``at``).
    run_id: str | None = None
    #: Where it came from: ``file:line`` or ``cli``.
    source: str = "cli"

    @property
    def decision_id(self) -> str:
        return decision_id(self.kind, self.target_id, self.label, self.reviewer, self.at)


def decision_id(kind: str, target_id: str, label: str, reviewer: str, at: datetime) -> str:
    """Content id of a decision: the same decision entered twice is one decision.

    >>> decision_id("cluster", "c-000001", "confirm", "ana", datetime(2026, 1, 1, tzinfo=UTC))
    'd-ed8847e382af2a48'
    """
    key = "\x1f".join([kind, target_id, label, reviewer, _iso(at)])
    return "d-" + hashlib.sha256(key.encode()).hexdigest()[:16]


def _iso(at: datetime) -> str:
    return at.astimezone(UTC).isoformat()


def parse_time(text: str) -> datetime:
    """ISO-8601 date or date-time; a time without offset is UTC.  Raises ValueError."""
    t = datetime.fromisoformat(text.strip())
    return t.replace(tzinfo=UTC) if t.tzinfo is None else t.astimezone(UTC)


@dataclass
class LoadReport:
    """What loading decisions did: ``loaded + rejected == read``; ``new`` of the loaded."""

    source: str
    read: int
    loaded: int
    new: int
    #: ``file, line, reason, raw`` per rejected row.
    rejected: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(
        columns=["file", "line", "reason", "raw"]))

    @property
    def n_rejected(self) -> int:
        return len(self.rejected)


def _reject(rows: list[dict[str, Any]], file: str, line: int, reason: str, raw: Any) -> None:
    rows.append({"file": file, "line": line, "reason": reason,
                 "raw": raw if isinstance(raw, str) else json.dumps(raw, default=str)})


def parse_decisions_csv(
    path: str | Path, *, now: datetime | None = None
) -> tuple[list[tuple[int, Decision]], pd.DataFrame, int]:
    """Read a decisions CSV: ``(line, decision)`` of valid rows, rejects, rows read.

    Columns ``id, kind (cluster|account), label (confirm|reject), reviewer,
    time`` and optionally ``note, run_id``; the header is line 1.  A row is
    rejected (with its line and reason) for a missing or invalid value, a time
    in the future, or as a duplicate of an earlier line; a file without the
    required columns is refused whole (:class:`InputError`).  Whether the
    cluster or account exists is checked by :func:`record_decisions`.
    """
    p = Path(path)
    now = now or datetime.now(UTC)
    rejects: list[dict[str, Any]] = []
    out: list[tuple[int, Decision]] = []
    seen: dict[str, int] = {}
    read = 0
    try:
        fh = p.open(newline="", encoding="utf-8-sig")
    except OSError as e:
        raise InputError(f"{p}: cannot read decisions file ({e.strerror or e})") from e
    with fh:
        reader = csv.reader(fh)
        try:
            header = next(reader)
        except StopIteration:
            raise InputError(f"{p}: empty file (expected a header: "
                             f"{', '.join(REQUIRED_COLUMNS)})") from None
        except (csv.Error, UnicodeDecodeError) as e:
            raise InputError(f"{p}:1: unreadable header ({e})") from e
        cols = [h.strip().lower() for h in header]
        missing = [c for c in REQUIRED_COLUMNS if c not in cols]
        if missing:
            raise InputError(f"{p}:1: missing column(s) {', '.join(missing)} "
                             f"(required: {', '.join(REQUIRED_COLUMNS)}; optional: "
                             f"{', '.join(OPTIONAL_COLUMNS)})")
        while True:
            try:
                values = next(reader)
            except StopIteration:
                break
            except (csv.Error, UnicodeDecodeError) as e:
                read += 1
                _reject(rejects, str(p), reader.line_num, f"unreadable row ({e})", "")
                continue
            line = reader.line_num  # the row's last physical line (quoted fields may span lines)
            if not any(v.strip() for v in values):
                continue  # blank line: not a row
            read += 1
            if len(values) != len(cols):
                _reject(rejects, str(p), line,
                        f"expected {len(cols)} fields, found {len(values)}", ",".join(values))
                continue
            row = {c: v.strip() for c, v in zip(cols, values)}
            reason, dec = _validate_row(row, now=now, source=f"{p}:{line}")
            if dec is None:
                _reject(rejects, str(p), line, reason, row)
                continue
            if dec.decision_id in seen:
                _reject(rejects, str(p), line, f"duplicate of line {seen[dec.decision_id]}", row)
                continue
            seen[dec.decision_id] = line
            out.append((line, dec))
    return out, pd.DataFrame(rejects, columns=["file", "line", "reason", "raw"]), read


def _validate_row(row: dict[str, str], *, now: datetime, source: str
                  ) -> tuple[str, Decision | None]:
    kind, label = row.get("kind", "").lower(), row.get("label", "").lower()
    if not row.get("id"):
        return "missing id", None
    if kind not in KINDS:
        return f"kind must be cluster or account, not {row.get('kind', '')!r}", None
    if label not in LABELS:
        return f"label must be confirm or reject, not {row.get('label', '')!r}", None
    if not row.get("reviewer"):
        return "missing reviewer", None
    if not row.get("time"):
        return "missing time", None
    try:
        at = parse_time(row["time"])
    except ValueError:
        return f"time {row['time']!r} is not an ISO-8601 date or date-time", None
    if at > now + FUTURE_SLACK:
        return f"time {row['time']!r} is in the future", None
    return "", Decision(kind=kind, target_id=row["id"], label=label, reviewer=row["reviewer"],
                        at=at, note=row.get("note") or None, run_id=row.get("run_id") or None,
                        source=source)


def pick_snapshot(snapshots: pd.DataFrame, at: datetime, run_id: str | None = None
                  ) -> pd.Series | None:
    """The run a decision at ``at`` is about, among ``snapshots`` of one target.

    ``run_id`` given: that run's row.  Otherwise the newest run created at or
    before ``at`` (what the reviewer was looking at); when ``at`` precedes
    every run holding the target (clock skew, a date without a time), the
    earliest of them.  None when no row fits.
    """
    s = snapshots[snapshots["run_id"].notna()]
    if run_id is not None:
        s = s[s["run_id"] == run_id]
        return s.iloc[0] if len(s) else None
    if s.empty:
        return None
    s = s.sort_values(["run_created_at", "run_id"])
    before = s[s["run_created_at"] <= at]
    return before.iloc[-1] if len(before) else s.iloc[0]


def _snapshots(store: GraphStore, kind: str, ids: Sequence[str]) -> pd.DataFrame:
    name = "decisions/cluster_snapshots" if kind == "cluster" else "decisions/account_snapshots"
    param = "cluster_ids" if kind == "cluster" else "account_ids"
    rows = store.read(name, **{param: sorted(set(ids))}) if ids else []
    df = pd.DataFrame(rows, columns=["target_id", "run_id", "run_created_at", "run_model_version",
                                     "params_json", "cluster_key", "cluster_id", "features_json",
                                     "risk", "size"])
    # The run's own property; runs written before it existed carry it in their params only.
    df["model_version"] = [
        v if isinstance(v, str) and v else
        (json.loads(p).get("model_version") if isinstance(p, str) and p else None)
        for v, p in zip(df["run_model_version"], df["params_json"])]
    return df


def _resolve(
    store: GraphStore, decisions: Sequence[tuple[int, Decision]]
) -> tuple[list[tuple[int, Decision, dict[str, Any]]], list[tuple[int, Decision, str]]]:
    """Attach each decision's snapshot; decisions whose target is unknown come back as errors."""
    ok: list[tuple[int, Decision, dict[str, Any]]] = []
    bad: list[tuple[int, Decision, str]] = []
    for kind in KINDS:
        mine = [(ln, d) for ln, d in decisions if d.kind == kind]
        snaps = _snapshots(store, kind, [d.target_id for _, d in mine])
        by_target = dict(tuple(snaps.groupby("target_id", sort=False))) if len(snaps) else {}
        for ln, d in mine:
            s = by_target.get(d.target_id)
            if s is None:
                bad.append(
                    (
                        ln,
                        d,
                        f"no {kind} {d.target_id!r} in the graph"
                        if kind == "account"
                        else f"no cluster {d.target_id!r} in any complete detection run",
                    )
                )
                continue
            snap = pick_snapshot(s, d.at, d.run_id)
            if snap is None and (d.run_id is not None or kind == "cluster"):
                bad.append(
                    (
                        ln,
                        d,
                        f"{kind} {d.target_id!r} is in no cluster of run {d.run_id!r}"
                        if kind == "account"
                        else f"cluster {d.target_id!r} is not in run {d.run_id!r}",
                    )
                )
                continue
            ok.append(
                (
                    ln,
                    d,
                    {}
                    if snap is None
                    else {
                        "run_id": snap["run_id"],
                        "cluster_key": snap["cluster_key"],
                        "cluster_id": snap["cluster_id"],
                        "features_json": snap["features_json"],
                        "model_version": snap["model_version"],
                        "risk": None if pd.isna(snap["risk"]) else float(snap["risk"]),
                    },
                )
            )
    return ok, bad


def record_decisions(
    store: GraphStore,
    decisions: Sequence[tuple[int, Decision]],
    *,
    source: str = "cli",
    rejected: pd.DataFrame | None = None,
    read: int | None = None,
) -> LoadReport:
    """Snapshot and store decisions (``(line, decision)`` pairs); unknown targets are rejected.

    Idempotent: a decision already stored (same id) is counted as loaded, not new.
    """
    store.apply_schema()
    ok, bad = _resolve(store, decisions)
    rej = [] if rejected is None else rejected.to_dict("records")
    for ln, d, reason in bad:
        _reject(
            rej,
            source,
            ln,
            reason,
            {
                "id": d.target_id,
                "kind": d.kind,
                "label": d.label,
                "reviewer": d.reviewer,
                "time": _iso(d.at),
            },
        )
    ids = [d.decision_id for _, d, _ in ok]
    existing = {r["decision_id"] for r in store.read("decisions/existing_ids", decision_ids=ids)}
    rows = [
        {
            "decision_id": d.decision_id,
            "kind": d.kind,
            "target_id": d.target_id,
            "label": d.label,
            "reviewer": d.reviewer,
            "at": _iso(d.at),
            "note": d.note,
            "source": d.source,
            "run_id": snap.get("run_id"),
            "cluster_key": snap.get("cluster_key"),
            "cluster_id": snap.get("cluster_id"),
            "features_json": snap.get("features_json"),
            "model_version": snap.get("model_version"),
            "risk": snap.get("risk"),
        }
        for _, d, snap in ok
        if d.decision_id not in existing
    ]
    if rows:
        store.write_batches(
            "decisions/write_decisions",
            [rows[i : i + 5000] for i in range(0, len(rows), 5000)],
            recorded_at=_iso(datetime.now(UTC)),
        )
    rej_df = pd.DataFrame(rej, columns=["file", "line", "reason", "raw"])
    rej_df = rej_df.sort_values("line", kind="stable").reset_index(drop=True)
    n_read = len(decisions) + (0 if rejected is None else len(rejected)) if read is None else read
    return LoadReport(source=source, read=n_read, loaded=len(ok), new=len(rows), rejected=rej_df)


def load_decisions_file(store: GraphStore, path: str | Path) -> LoadReport:
    """``graphlink label --file``: parse, snapshot and store a decisions CSV.

    >>> rep = load_decisions_file(store, "decisions.csv")   # doctest: +SKIP
    >>> rep.loaded + rep.n_rejected == rep.read             # doctest: +SKIP
    True
    """
    valid, rejected, read = parse_decisions_csv(path)
    return record_decisions(store, valid, source=str(path), rejected=rejected, read=read)


def label_one(
    store: GraphStore,
    kind: str,
    target_id: str,
    label: str,
    reviewer: str,
    *,
    note: str | None = None,
    at: datetime | None = None,
    run_id: str | None = None,
) -> tuple[Decision, bool]:
    """Record one decision (the CLI); returns it and whether it is new.

    Without ``at`` the decision is dated now, but repeating the reviewer's
    latest decision on the same target and run (same label and note) records
    nothing: re-running a command changes nothing.
    """
    kind, label = kind.lower(), label.lower()
    if kind not in KINDS:
        raise InputError(f"kind must be cluster or account, not {kind!r}")
    if label not in LABELS:
        raise InputError(f"label must be confirm or reject, not {label!r}")
    if not reviewer.strip():
        raise InputError("--reviewer is required (who made the decision)")
    now = datetime.now(UTC).replace(microsecond=0)
    if at is not None and at > now + FUTURE_SLACK:
        raise InputError(f"--at {at.isoformat()} is in the future")
    dec = Decision(
        kind=kind,
        target_id=target_id,
        label=label,
        reviewer=reviewer.strip(),
        at=at or now,
        note=note or None,
        run_id=run_id,
        source="cli",
    )
    ok, bad = _resolve(store, [(0, dec)])
    if bad:
        raise NotFound(bad[0][2])
    if at is None:
        snap_run = ok[0][2].get("run_id")
        for prev in store.read("decisions/for_target", kind=kind, target_id=target_id):
            if prev["reviewer"] == dec.reviewer and prev["run_id"] == snap_run:
                if prev["label"] == label and (prev["note"] or None) == dec.note:
                    at_prev = prev["at"]
                    return Decision(
                        kind, target_id, label, dec.reviewer, at_prev, dec.note, run_id, "cli"
                    ), False
                break
    rep = record_decisions(store, [(0, dec)])
    return dec, rep.new == 1


def read_decisions(store: GraphStore) -> pd.DataFrame:
    """Every stored decision with its snapshot, oldest first.

    Columns: ``decision_id, kind, target_id, label, reviewer, at, note, source,
    run_id, cluster_key, cluster_id, features_json, model_version, risk``.
    """
    cols = [
        "decision_id",
        "kind",
        "target_id",
        "label",
        "reviewer",
        "at",
        "note",
        "source",
        "run_id",
        "cluster_key",
        "cluster_id",
        "features_json",
        "model_version",
        "risk",
    ]
    df = pd.DataFrame(store.read("decisions/decisions"), columns=cols)
    df["at"] = pd.to_datetime(df["at"], utc=True)
    return df


# --------------------------------------------------------------------------------------
# Calibration (pure)
# --------------------------------------------------------------------------------------
@dataclass
class TrainingSet:
    """Decisions as training rows: one per judged cluster snapshot and label.

    ``X`` holds the features (prior's names, NaN where a snapshot lacks one),
    ``y`` 1 confirm / 0 reject, ``w`` the row weight, ``groups`` the cluster id
    (cross-validation keeps one cluster's rows in one fold).
    """

    X: pd.DataFrame
    y: np.ndarray
    w: np.ndarray
    groups: np.ndarray
    cluster_keys: np.ndarray
    n_decisions: int
    n_unused: int
    missing_features: tuple[str, ...]

    def subset(self, idx: np.ndarray) -> TrainingSet:
        return TrainingSet(
            self.X.iloc[idx].reset_index(drop=True),
            self.y[idx],
            self.w[idx],
            self.groups[idx],
            self.cluster_keys[idx],
            self.n_decisions,
            self.n_unused,
            self.missing_features,
        )

    def __len__(self) -> int:
        return len(self.y)


def training_set(decisions: pd.DataFrame, features: Sequence[str]) -> TrainingSet:
    """Turn stored decisions into training rows (pure).

    * Only the latest decision per (kind, target, cluster snapshot) counts: a
      reviewer who changes their mind replaces their earlier word.
    * A cluster decision is one row of weight 1.
    * Account decisions count toward the cluster the account was in: on a
      snapshot without a cluster decision, its accounts' labels become one
      row per label weighted by their share (3 confirmed and 1 rejected
      account: y=1 weight 0.75, y=0 weight 0.25).
    * Decisions without a cluster snapshot (an account never clustered) are
      kept in the store but cannot train a cluster model: ``n_unused``.
    """
    feats = list(features)
    d = decisions[decisions["features_json"].notna() & decisions["cluster_key"].notna()]
    n_unused = len(decisions) - len(d)
    d = d.sort_values(["at", "decision_id"], kind="stable").drop_duplicates(
        ["kind", "target_id", "cluster_key"], keep="last"
    )
    cl = d[d["kind"] == "cluster"]
    acc = d[(d["kind"] == "account") & ~d["cluster_key"].isin(set(cl["cluster_key"]))]
    rows: list[dict[str, Any]] = []
    for r in cl.itertuples(index=False):
        rows.append(
            {
                "key": r.cluster_key,
                "group": r.cluster_id,
                "y": int(r.label == "confirm"),
                "w": 1.0,
                "features_json": r.features_json,
            }
        )
    if len(acc):
        fj = acc.groupby("cluster_key")["features_json"].first()
        gid = acc.groupby("cluster_key")["cluster_id"].first()
        counts = acc.groupby(["cluster_key", "label"]).size()
        totals = counts.groupby(level=0).sum()
        for (key, label), n in counts.items():
            rows.append(
                {
                    "key": key,
                    "group": gid[key],
                    "y": int(label == "confirm"),
                    "w": float(n) / float(totals[key]),
                    "features_json": fj[key],
                }
            )
    rows.sort(key=lambda r: (r["key"], r["y"]))
    parsed = [json.loads(r["features_json"]) for r in rows]
    X = pd.DataFrame([{f: p.get(f) for f in feats} for p in parsed], columns=feats, dtype=float)
    missing = tuple(f for f in feats if len(X) and X[f].isna().all())
    return TrainingSet(
        X=X,
        y=np.array([r["y"] for r in rows], dtype=int),
        w=np.array([r["w"] for r in rows], dtype=float),
        groups=np.array([str(r["group"]) for r in rows], dtype=object),
        cluster_keys=np.array([r["key"] for r in rows], dtype=object),
        n_decisions=len(d),
        n_unused=n_unused,
        missing_features=missing,
    )


def _standardise(X: pd.DataFrame, prior: RiskModel) -> np.ndarray:
    """The calibration design: the prior's standardised features (products derived), and
    for a tree prior one more column, the trees' sum, whose coefficient is the trees'
    weight (1 in the prior).  Missing values are treated as the prior treats them (the
    linear part counts them as the mean, the trees send them where they learned to), so
    the design times the prior's coefficients is the prior's own log-odds."""
    A = prior.matrix(X) if len(X) else np.zeros((0, len(prior.mean)))
    Z = prior.standardise(A)
    return np.column_stack([Z, prior.tree_sum(A)]) if prior.kind == "gbdt" else Z


def _prior_coef(prior: RiskModel) -> np.ndarray:
    """The prior's coefficients over the calibration design (:func:`_standardise`)."""
    c = np.asarray(prior.coef, dtype=float)
    return np.r_[c, prior.tree_weight] if prior.kind == "gbdt" else c


def prior_anchors(
    prior: RiskModel, prior_weight: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Pseudo-observations that hold a refit to ``prior`` (standardised points, p, weight).

    The prior's logit-0 point ``z*`` (weight ``prior_weight``, p = 0.5) and
    ``z* +- e_j`` for every feature j (weight ``prior_weight / 2`` each, p =
    the prior's risk there).  Fitted alone, they give back the prior.
    """
    c = _prior_coef(prior)
    k = len(c)
    norm2 = float(c @ c)
    zstar = -prior.intercept * c / norm2 if norm2 > 0 else np.zeros(k)
    eye = np.eye(k)
    pts = np.vstack([zstar[None, :], zstar + eye, zstar - eye]) if k else np.zeros((1, 0))
    logit = prior.intercept + pts @ c
    p = 1.0 / (1.0 + np.exp(-logit))
    w = np.r_[prior_weight, np.full(2 * k, prior_weight / 2.0)]
    return pts, p, w


def feature_signs(features: Sequence[str]) -> np.ndarray:
    """Sign each coefficient must keep (+1 evidence of coordination, -1 against, 0 either).

    The shipped model's rule (``graphlink.detect.training.FEATURE_SIGN``, +1 when not
    listed): a ring must never score lower for sharing *more*, whoever fitted the model.
    """
    from graphlink.detect.training import FEATURE_SIGN

    return np.array([FEATURE_SIGN.get(f, 1) for f in features], dtype=float)


def _fit_coef(
    Z: np.ndarray, y: np.ndarray, w: np.ndarray, prior: RiskModel, prior_weight: float
) -> tuple[np.ndarray, float]:
    from sklearn.linear_model import LogisticRegression

    pts, p, pw = prior_anchors(prior, prior_weight)
    design = np.vstack([Z, pts, pts])
    target = np.r_[y, np.ones(len(pts), dtype=int), np.zeros(len(pts), dtype=int)]
    weight = np.r_[w, pw * p, pw * (1.0 - p)]
    keep = weight > 0
    design, target, weight = design[keep], target[keep], weight[keep]
    sign = feature_signs(prior.features)
    if prior.kind == "gbdt":
        sign = np.r_[sign, 1.0]  # the trees' weight: never negative
    free = np.ones(len(sign), dtype=bool)
    while True:
        coef = np.zeros(len(free))
        if not free.any():
            q = float(np.average(target, weights=weight))
            return coef, float(np.log(q / (1 - q)))
        # A very weak L2 (large C) only for numerical stability: the anchors do the
        # regularising, toward the prior rather than toward zero.  Newton-Cholesky: exact for
        # a few dozen features, deterministic, no random state.
        lr = LogisticRegression(C=1e6, solver="newton-cholesky", max_iter=1_000, tol=1e-10)
        lr.fit(design[:, free], target, sample_weight=weight)
        coef[free] = lr.coef_[0]
        wrong = np.flatnonzero(free & (coef * sign < 0))
        if not len(wrong):
            return coef, float(lr.intercept_[0])
        # As the shipped model's fit does: the worst sign violation leaves the model (its
        # coefficient is held at 0) and the rest is refitted.
        free[wrong[np.argmin(coef[wrong] * sign[wrong])]] = False


def fit_calibrated(
    train: TrainingSet, prior: RiskModel, *, prior_weight: float = DEFAULT_PRIOR_WEIGHT
) -> tuple[tuple[float, ...], float]:
    """Coefficients and intercept (rounded to 6 decimals) of the prior refitted on ``train``."""
    coef, intercept = _fit_coef(_standardise(train.X, prior), train.y, train.w, prior, prior_weight)
    return tuple(round(float(c), 6) for c in coef), round(intercept, 6)


@dataclass
class CrossValidation:
    """Out-of-fold quality of calibration on the decisions."""

    k: int
    auc: float | None
    prior_auc: float | None
    #: ``threshold, flagged, precision, recall, prior_flagged, prior_precision, prior_recall``.
    table: pd.DataFrame
    note: str = ""


def pr_table(
    y: np.ndarray,
    w: np.ndarray,
    risk: np.ndarray,
    prior_risk: np.ndarray,
    thresholds: Iterable[float],
) -> pd.DataFrame:
    """Weighted precision / recall of both models' risks at each bar."""
    rows = []
    pos = float(w[y == 1].sum())
    for t in sorted(set(thresholds)):
        row: dict[str, float] = {"threshold": t}
        for name, r in (("", risk), ("prior_", prior_risk)):
            hit = r >= t
            tp = float(w[hit & (y == 1)].sum())
            flagged = float(w[hit].sum())
            row[name + "flagged"] = flagged
            row[name + "precision"] = tp / flagged if flagged else float("nan")
            row[name + "recall"] = tp / pos if pos else float("nan")
        rows.append(row)
    return pd.DataFrame(rows)


def cross_validate(
    train: TrainingSet,
    prior: RiskModel,
    *,
    prior_weight: float = DEFAULT_PRIOR_WEIGHT,
    max_k: int = 5,
) -> CrossValidation:
    """Stratified grouped k-fold: k = min(max_k, cluster ids of the rarer label)."""
    from sklearn.metrics import roc_auc_score
    from sklearn.model_selection import StratifiedGroupKFold

    thresholds = (*PR_THRESHOLDS, prior.threshold)
    prior_risk = prior.predict(train.X) if len(train) else np.zeros(0)
    n_groups = [len(set(train.groups[train.y == c])) for c in (0, 1)]
    k = min(max_k, *n_groups)
    if k < 2:
        note = (
            f"cross-validation needs decisions about at least 2 clusters of each label "
            f"(have {n_groups[1]} confirmed, {n_groups[0]} rejected)"
        )
        empty = (
            pr_table(train.y, train.w, np.full(len(train), np.nan), prior_risk, thresholds)
            if len(train)
            else pd.DataFrame()
        )
        return CrossValidation(k=0, auc=None, prior_auc=None, table=empty, note=note)
    oof = np.zeros(len(train))
    Z = _standardise(train.X, prior)
    for tr, te in StratifiedGroupKFold(n_splits=k).split(Z, train.y, train.groups):
        coef, intercept = _fit_coef(Z[tr], train.y[tr], train.w[tr], prior, prior_weight)
        oof[te] = 1.0 / (1.0 + np.exp(-np.clip(intercept + Z[te] @ coef, -50, 50)))
    auc = float(roc_auc_score(train.y, oof, sample_weight=train.w))
    prior_auc = float(roc_auc_score(train.y, prior_risk, sample_weight=train.w))
    return CrossValidation(
        k=k,
        auc=round(auc, 4),
        prior_auc=round(prior_auc, 4),
        table=pr_table(train.y, train.w, oof, prior_risk, thresholds),
    )


@dataclass
class Calibration:
    """A calibrated model and how it was made."""

    model: RiskModel
    prior: RiskModel
    train: TrainingSet
    cv: CrossValidation


def calibrated_version(
    prior: RiskModel, coef: Sequence[float], intercept: float, latest: datetime | None
) -> str:
    """``calibrated-<date of the newest decision>-<hash of prior and fitted numbers>``.

    Deterministic (no clock): the same decisions give the same version.
    """
    payload = {
        "prior": prior.version,
        "features": list(prior.features),
        "coef": list(coef),
        "intercept": intercept,
    }
    digest = hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()[:8]
    day = latest.astimezone(UTC).strftime("%Y%m%d") if latest is not None else "00000000"
    return f"calibrated-{day}-{digest}"


def calibrate(
    decisions: pd.DataFrame, prior: RiskModel, *, prior_weight: float = DEFAULT_PRIOR_WEIGHT
) -> Calibration:
    """Fit the risk model on investigators' decisions, anchored to ``prior`` (pure).

    >>> cal = calibrate(read_decisions(store), default_model())   # doctest: +SKIP
    >>> cal.model.version, cal.cv.auc                              # doctest: +SKIP
    ('calibrated-20261126-1a2b3c4d', 0.93)
    """
    if prior_weight <= 0:
        raise InputError("the prior weight must be positive")
    train = training_set(decisions, prior.inputs)
    if len(train) == 0:
        raise InputError(
            "no usable decision: label clusters (or clustered accounts) first (graphlink label)"
        )
    coef, intercept = fit_calibrated(train, prior, prior_weight=prior_weight)
    cv = cross_validate(train, prior, prior_weight=prior_weight)
    used = decisions[decisions["cluster_key"].notna() & decisions["features_json"].notna()]
    latest = used["at"].max() if len(used) else None
    latest_dt = latest.to_pydatetime() if isinstance(latest, pd.Timestamp) else latest
    trained_on = {
        "source": "decisions",
        "prior": prior.version,
        "prior_weight": prior_weight,
        "decisions": int(train.n_decisions),
        "decisions_unused": int(train.n_unused),
        "rows": len(train),
        "confirm_weight": round(float(train.w[train.y == 1].sum()), 4),
        "reject_weight": round(float(train.w[train.y == 0].sum()), 4),
        "latest_decision_at": _iso(latest_dt) if latest_dt is not None else None,
        "cv_k": cv.k,
        "cv_auc": cv.auc,
        "prior_cv_auc": cv.prior_auc,
        "missing_features": list(train.missing_features),
    }
    tree_weight = prior.tree_weight
    if prior.kind == "gbdt":
        coef, tree_weight = coef[:-1], coef[-1]
    model = prior.with_(
        version=calibrated_version(prior, (*coef, tree_weight), intercept, latest_dt),
        coef=coef,
        tree_weight=tree_weight,
        intercept=intercept,
        trained_on=trained_on,
    )
    return Calibration(model=model, prior=prior, train=train, cv=cv)


# --------------------------------------------------------------------------------------
# Stored models
# --------------------------------------------------------------------------------------
def save_model(store: GraphStore, model: RiskModel, *, activate: bool = False) -> bool:
    """Store ``model`` as ``(:RiskModel)`` (idempotent by version); optionally make it active.

    Returns whether the model is active afterwards.
    """
    store.apply_schema()
    t = model.trained_on
    store.write(
        "decisions/save_model",
        version=model.version,
        json=model.to_json(),
        created_at=_iso(datetime.now(UTC)),
        n_decisions=int(t["decisions"]) if t.get("decisions") is not None else None,
        cv_auc=float(t["cv_auc"]) if t.get("cv_auc") is not None else None,
    )
    if activate:
        activate_model(store, model.version)
        return True
    rows = store.read("decisions/model", version=model.version)
    return bool(rows and rows[0]["active"])


def activate_model(store: GraphStore, version: str) -> None:
    """Make a stored model the one ``graphlink detect`` scores with."""
    if not store.write("decisions/activate_model", version=version, at=_iso(datetime.now(UTC))):
        raise NotFound(f"no stored risk model {version!r} (graphlink models lists them)")


def deactivate_models(store: GraphStore) -> int:
    """No active model: detection goes back to the shipped default.  Returns how many were."""
    rows = store.write("decisions/deactivate_models")
    return int(rows[0]["deactivated"]) if rows else 0


def active_model(store: GraphStore) -> RiskModel | None:
    """The model ``graphlink detect`` uses, or None (then: the shipped default).

    >>> model = active_model(store) or default_model()   # doctest: +SKIP
    """
    rows = store.read("decisions/active_model")
    return RiskModel.from_json(rows[0]["json"]) if rows else None


def get_model(store: GraphStore, version: str) -> RiskModel | None:
    rows = store.read("decisions/model", version=version)
    return RiskModel.from_json(rows[0]["json"]) if rows else None


def list_models(store: GraphStore) -> pd.DataFrame:
    cols = ["version", "created_at", "active", "n_decisions", "cv_auc", "activated_at"]
    return pd.DataFrame(store.read("decisions/models"), columns=cols)


def shipped_model() -> RiskModel | None:
    """The shipped default model, or None while the package carries none."""
    try:
        return default_model()
    except (FileNotFoundError, ModuleNotFoundError):
        return None


# --------------------------------------------------------------------------------------
# Review queue
# --------------------------------------------------------------------------------------
REVIEW_COLUMNS = [
    "cluster_id",
    "size",
    "risk",
    "gap",
    "reasons",
    "parent_cluster_id",
    "contributions",
    "label",
    "reviewer",
]


def review_queue(
    clusters: pd.DataFrame,
    model: RiskModel,
    *,
    bar: float,
    margin: float = DEFAULT_MARGIN,
    limit: int | None = DEFAULT_LIMIT,
    labels: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Clusters with risk in ``[bar - margin, bar)``, riskiest first, with their evidence (pure).

    ``clusters``: a run's clusters with their feature columns
    (:func:`graphlink.detect.read_clusters`).  ``contributions``: each
    feature's share of the cluster's log-odds under ``model``
    (:meth:`RiskModel.contributions`), largest magnitude first.  ``gap``: how
    far below the bar.  ``label``/``reviewer``: the latest decision on the
    cluster id, if any (``labels``: ``cluster_id, label, reviewer``).

    >>> review_queue(read_clusters(store, run_id), model, bar=0.9)   # doctest: +SKIP
    """
    if clusters.empty:
        return pd.DataFrame(columns=REVIEW_COLUMNS)
    risk = clusters["risk"].astype(float)
    q = clusters[(risk >= bar - margin) & (risk < bar)]
    q = q.sort_values(["risk", "size", "cluster_id"], ascending=[False, False, True], kind="stable")
    if limit is not None:
        q = q.head(limit)
    feats = pd.DataFrame(
        {f: pd.to_numeric(q[f], errors="coerce") if f in q else np.nan for f in model.inputs},
        index=q.index,
    )
    feats = feats.fillna(dict(zip(model.features, model.mean)))  # unknown: the mean, 0 log-odds
    contrib = [
        dict(sorted(model.contributions(row).items(), key=lambda kv: -abs(kv[1])))
        for _, row in feats.iterrows()
    ]
    out = pd.DataFrame(
        {
            "cluster_id": q["cluster_id"].to_numpy(),
            "size": q["size"].astype(int).to_numpy(),
            "risk": q["risk"].astype(float).to_numpy(),
            "gap": (bar - q["risk"].astype(float)).to_numpy(),
            "reasons": q["reasons"].to_numpy(),
            "parent_cluster_id": q.get("parent_cluster_id", pd.Series([None] * len(q))).to_numpy(),
            "contributions": contrib,
        }
    )
    lab = (labels if labels is not None else pd.DataFrame(columns=["cluster_id"])).set_index(
        "cluster_id"
    )
    out["label"] = out["cluster_id"].map(lab["label"]) if "label" in lab else None
    out["reviewer"] = out["cluster_id"].map(lab["reviewer"]) if "reviewer" in lab else None
    return out[REVIEW_COLUMNS]


def model_for_run(store: GraphStore, run: dict[str, Any]) -> tuple[RiskModel | None, str]:
    """The model that scored ``run`` (by its recorded version), and a note when it is not found.

    Falls back to the active model, then the shipped default, saying so.
    """
    version = run.get("model_version") or (run.get("params") or {}).get("model_version")
    shipped = shipped_model()
    if version:
        stored = get_model(store, version)
        if stored is not None:
            return stored, ""
        if shipped is not None and shipped.version == version:
            return shipped, ""
    fallback = active_model(store) or shipped
    what = (
        f"model {version!r} of the run is not stored"
        if version
        else "the run records no model version"
    )
    if fallback is None:
        return None, f"{what} and no model is available: contributions left out"
    return fallback, f"{what}: contributions from {fallback.version}"


@dataclass
class ReviewQueue:
    run_id: str
    bar: float
    margin: float
    model_version: str | None
    note: str
    queue: pd.DataFrame


def read_review_queue(
    store: GraphStore,
    *,
    run_id: str | None = None,
    bar: float,
    margin: float = DEFAULT_MARGIN,
    limit: int | None = DEFAULT_LIMIT,
) -> ReviewQueue:
    """The review queue of a run (default: the current run).

    >>> rq = read_review_queue(store, bar=0.9, margin=0.3)   # doctest: +SKIP
    """
    from graphlink.detect.writeback import current_run, get_run, read_clusters

    run = get_run(store, run_id) if run_id else current_run(store)
    if run is None:
        raise NotFound(
            f"no detection run {run_id!r}"
            if run_id
            else "no complete detection run in the store: run `graphlink detect` first"
        )
    model, note = model_for_run(store, run)
    clusters = read_clusters(store, run["run_id"])
    if model is None:  # no model to explain with: an all-zero one keeps the columns
        model = RiskModel(version="none", features=(), mean=(), scale=(), coef=(), intercept=0.0)
    ids = (
        clusters.loc[
            (clusters["risk"] >= bar - margin) & (clusters["risk"] < bar), "cluster_id"
        ].tolist()
        if len(clusters)
        else []
    )
    labels = pd.DataFrame(
        store.read("decisions/cluster_labels", cluster_ids=ids),
        columns=["cluster_id", "label", "reviewer", "at"],
    )
    q = review_queue(clusters, model, bar=bar, margin=margin, limit=limit, labels=labels)
    return ReviewQueue(
        run_id=run["run_id"],
        bar=bar,
        margin=margin,
        model_version=None if model.version == "none" else model.version,
        note=note,
        queue=q,
    )


__all__ = [
    "Calibration",
    "CrossValidation",
    "Decision",
    "LoadReport",
    "ReviewQueue",
    "TrainingSet",
    "activate_model",
    "active_model",
    "calibrate",
    "cross_validate",
    "deactivate_models",
    "decision_id",
    "fit_calibrated",
    "get_model",
    "label_one",
    "list_models",
    "load_decisions_file",
    "model_for_run",
    "parse_decisions_csv",
    "pick_snapshot",
    "prior_anchors",
    "read_decisions",
    "read_review_queue",
    "record_decisions",
    "review_queue",
    "save_model",
    "shipped_model",
    "training_set",
]
