"""The cluster risk model: versioned monotone trees (or a logistic) over scale-free features.

Why a fitted model and not hand-set weights: the first hand-set logistic
encoded the tactics of our own generator (its BIN table, its entry plans, its
proxy names) and missed campaigns that used others.  Now every input is a
*population-relative* feature (``graphlink.detect.scoring``: how unusual is
this cluster for this snapshot), and the model is fitted with scikit-learn
(``HistGradientBoostingClassifier`` for the shipped trees, ``LogisticRegression``
for a logistic) on clusters whose truth is known: many
generated scenarios of many campaign archetypes for the shipped default
(``bench/fit_default_model.py``), investigators' decisions for a site's own
model (``graphlink calibrate``).

A model is plain data (JSON): feature names, the standardisation it was
fitted with, trees and / or coefficients, intercept, the ban bar it suggests
and where it came from.  A detection run records the ``version`` of the model that scored
it, so any risk can be traced back to the exact weights.

>>> m = RiskModel(version="t", features=("a",), mean=(0.0,), scale=(1.0,), coef=(2.0,),
...               intercept=0.0)
>>> [round(float(p), 3) for p in m.predict(pd.DataFrame({"a": [0.0, 1.0]}))]
[0.5, 0.881]
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

#: Files of the shipped default models (package data next to this module): one for
#: snapshots with behavioural similarity pairs, one fitted without any similarity
#: feature for snapshots that have none (an absent table is "not observed", not
#: "no ring behaves alike": scored with the first model, every ring would lose the
#: behaviour evidence it was fitted to expect).  With pairs, the second model can also
#: be the floor of the first (``DetectionConfig.infrastructure_floor``, an option): a
#: ring the pairs missed keeps the risk its infrastructure alone gives it.
DEFAULT_MODEL_FILE = "default_model.json"
DEFAULT_MODEL_NO_SIMILARITY_FILE = "default_model_no_similarity.json"


@dataclass(frozen=True)
class RiskModel:
    """Risk = ``1 / (1 + exp(-logit))`` with one of two kinds of logit.

    * ``logistic``: ``intercept + coef . (x - mean) / scale``;
    * ``gbdt``: gradient-boosted trees fitted by scikit-learn's
      ``HistGradientBoostingClassifier`` with monotonic constraints (more
      evidence never lowers risk), exported as plain arrays (``trees``):
      ``intercept + tree_weight * sum of the trees' leaf values + coef . (x -
      mean) / scale``.  The linear part is zero as fitted; ``graphlink
      calibrate`` refits it (and the trees' weight) on investigators'
      decisions.  Stored as data, not as a pickle, so a model file is
      readable, diffable and safe to load.

    A feature named ``a*b`` is derived, not read: the product of ``a`` and
    ``b``, each clipped to [0, 1] (two evidence families present together).
    """

    version: str
    features: tuple[str, ...]
    mean: tuple[float, ...]
    scale: tuple[float, ...]
    coef: tuple[float, ...]
    intercept: float
    #: The ban bar this model was validated at (``graphlink banwave`` default).
    threshold: float = 0.9
    #: Where it came from: scenarios / decisions, counts, cross-validated AUC, ...
    trained_on: dict[str, Any] = field(default_factory=dict)
    kind: str = "logistic"
    #: ``gbdt`` only: one dict of parallel lists per tree (``feature, threshold,
    #: missing_left, left, right, leaf, value``), sklearn's node layout.
    trees: tuple[dict[str, list[Any]], ...] = ()
    #: ``gbdt`` only: factor on the trees' sum (1 as fitted; calibration may change it).
    tree_weight: float = 1.0

    def __post_init__(self) -> None:
        n = len(self.features)
        if not (len(self.mean) == len(self.scale) == len(self.coef) == n):
            raise ValueError("features, mean, scale and coef must have the same length")
        if self.kind not in ("logistic", "gbdt"):
            raise ValueError(f"unknown risk model kind {self.kind!r}")

    @property
    def inputs(self) -> tuple[str, ...]:
        """The columns a frame must carry: the features, products split into their factors."""
        out: dict[str, None] = {}
        for name in self.features:
            for part in name.split("*"):
                out.setdefault(part, None)
        return tuple(out)

    def matrix(self, frame: pd.DataFrame) -> np.ndarray:
        """Feature matrix, products derived.  A missing column counts as the mean; a
        missing value stays NaN (the trees learned where missing values go)."""
        return feature_matrix(frame, self.features, dict(zip(self.features, self.mean)))

    def standardise(self, X: np.ndarray) -> np.ndarray:
        """``(x - mean) / scale`` per column of a :meth:`matrix`; a missing value counts as
        the mean (0), so the linear part never sees NaN."""
        mean = np.asarray(self.mean, dtype=np.float64)
        scale = np.asarray(self.scale, dtype=np.float64)
        scale = np.where(scale > 0, scale, 1.0)
        return (np.where(np.isnan(X), mean, X) - mean) / scale

    def tree_sum(self, X: np.ndarray) -> np.ndarray:
        """Sum of the trees' leaf values per row of a :meth:`matrix` (zero for a logistic)."""
        z = np.zeros(len(X))
        X = np.asfortranarray(X)
        for tree in self.trees:
            z += _tree_values(tree, X)
        return z

    def logit(self, frame: pd.DataFrame) -> np.ndarray:
        """Log-odds per row of ``frame`` (a missing feature counts as the mean)."""
        X = self.matrix(frame)
        z = float(self.intercept) + self.standardise(X) @ np.asarray(self.coef, dtype=np.float64)
        if self.trees:
            z = z + self.tree_weight * self.tree_sum(X)
        return np.asarray(z, dtype=np.float64)

    def predict(self, frame: pd.DataFrame) -> np.ndarray:
        """Risk in [0, 1] per row."""
        return 1.0 / (1.0 + np.exp(-np.clip(self.logit(frame), -50, 50)))

    def contributions(self, row: pd.Series) -> dict[str, float]:
        """Each input's share of one cluster's log-odds (what the report explains).

        Logistic: its term.  Trees: how much the log-odds drop when that input
        alone (and so every product it is a factor of) is set back to the
        training population's mean (an ablation).
        """
        if self.kind == "gbdt":
            means = dict(zip(self.features, self.mean))
            base = {n: row.get(n, means.get(n, 0.0)) for n in self.inputs}
            frame = pd.DataFrame([base])
            full = float(self.logit(frame)[0])
            out = {}
            for name in self.inputs:
                alt = frame.copy()
                alt[name] = means.get(name, 0.0)
                out[name] = round(full - float(self.logit(alt)[0]), 4)
            return out
        z = self.standardise(self.matrix(pd.DataFrame([row])))[0]
        return {name: round(float(c * v), 4) for name, c, v in zip(self.features, self.coef, z)}

    def to_json(self) -> str:
        """One key per line, one tree per line: diffable, and a 150-tree model stays a few
        hundred lines instead of tens of thousands."""
        d = asdict(self)
        lines = []
        for k in sorted(d):
            if k == "trees" and d[k]:
                body = ",\n  ".join(json.dumps(t, separators=(",", ":")) for t in d[k])
                lines.append(f' "trees": [\n  {body}\n ]')
            else:
                lines.append(f" {json.dumps(k)}: {json.dumps(d[k], sort_keys=True)}")
        return "{\n" + ",\n".join(lines) + "\n}\n"

    @classmethod
    def from_json(cls, text: str) -> RiskModel:
        d = json.loads(text)
        for k in ("features", "mean", "scale", "coef", "trees"):
            if k in d:
                d[k] = tuple(d[k])
        return cls(**d)

    def save(self, path: str | Path) -> Path:
        p = Path(path)
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(self.to_json())
        return p

    @classmethod
    def load(cls, path: str | Path) -> RiskModel:
        return cls.from_json(Path(path).read_text())

    def with_(self, **changes: Any) -> RiskModel:
        return replace(self, **changes)


def feature_matrix(
    frame: pd.DataFrame, features: Sequence[str], fill: dict[str, float] | None = None
) -> np.ndarray:
    """One column per feature; ``a*b`` is ``clip(a, 0, 1) * clip(b, 0, 1)``.

    A column ``frame`` lacks is ``fill[name]`` (NaN when not given); a missing
    value stays NaN.
    """
    fill = fill or {}

    def column(name: str) -> np.ndarray:
        if name in frame:
            return pd.to_numeric(frame[name], errors="coerce").to_numpy(np.float64)
        if "*" in name:
            a, b = (np.clip(column(part), 0.0, 1.0) for part in name.split("*", 1))
            return a * b
        return np.full(len(frame), fill.get(name, np.nan))

    cols = [column(name) for name in features]
    return np.column_stack(cols) if cols else np.zeros((len(frame), 0))


def _tree_values(tree: dict[str, list[Any]], X: np.ndarray) -> np.ndarray:
    """Leaf value of every row of ``X`` in one exported tree.

    sklearn's rule: ``x <= threshold`` goes left, a missing value goes where
    ``missing_left`` says.  The rows are partitioned node by node, so the work is
    the rows that reach each node (rows x mean depth), not rows x deepest leaf:
    at 1M accounts ~300k clusters go through 150 trees in a few seconds.
    ``X`` may be a column-major (``np.asfortranarray``) matrix: a column gather
    is then contiguous.
    """
    feat, thr = tree["feature"], tree["threshold"]
    left, right, leaf = tree["left"], tree["right"], tree["leaf"]
    miss, value = tree["missing_left"], tree["value"]
    out = np.empty(len(X), dtype=np.float64)
    stack: list[tuple[int, np.ndarray]] = [(0, np.arange(len(X)))]
    while stack:
        node, rows = stack.pop()
        if leaf[node]:
            out[rows] = value[node]
            continue
        if not len(rows):
            continue
        x = X[rows, feat[node]]
        go_left = x <= thr[node]
        if miss[node]:
            go_left |= np.isnan(x)
        stack.append((left[node], rows[go_left]))
        stack.append((right[node], rows[~go_left]))
    return out


def default_model(*, has_similarity: bool = True) -> RiskModel:
    """The shipped model, fitted on many generated scenarios (see ``trained_on``).

    ``has_similarity=False``: the model without similarity features, for a
    snapshot that has no behaviour_similarity pairs at all.
    """
    name = DEFAULT_MODEL_FILE if has_similarity else DEFAULT_MODEL_NO_SIMILARITY_FILE
    text = resources.files("graphlink.detect").joinpath(name).read_text()
    return RiskModel.from_json(text)


def model_version(prefix: str, payload: dict[str, Any]) -> str:
    """A version string that changes whenever the fitted numbers do."""
    digest = hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()[:8]
    return f"{prefix}-{datetime.now(UTC).strftime('%Y%m%d')}-{digest}"


def fit_gbdt(
    X: pd.DataFrame,
    y: np.ndarray,
    *,
    features: tuple[str, ...],
    monotonic: dict[str, int] | None = None,
    sample_weight: np.ndarray | None = None,
    max_iter: int = 150,
    learning_rate: float = 0.1,
    max_leaf_nodes: int = 15,
    prefix: str = "gbdt",
    threshold: float = 0.9,
    trained_on: dict[str, Any] | None = None,
) -> RiskModel:
    """Fit gradient-boosted trees (scikit-learn) and export them as a :class:`RiskModel`.

    ``monotonic``: +1 (risk may only rise with the feature), -1, or 0 per
    feature; unnamed features default to +1: every feature is evidence of
    coordination unless said otherwise.  Deterministic (fixed random_state,
    no early stopping).
    """
    from sklearn.ensemble import HistGradientBoostingClassifier

    cols = tuple(features)
    mono = [int((monotonic or {}).get(f, 1)) for f in cols]
    A = feature_matrix(X, cols)
    clf = HistGradientBoostingClassifier(
        max_iter=max_iter, learning_rate=learning_rate, max_leaf_nodes=max_leaf_nodes,
        monotonic_cst=mono, early_stopping=False, random_state=0,
    )
    clf.fit(A, np.asarray(y, dtype=int), sample_weight=sample_weight)
    trees = []
    for (pred,) in clf._predictors:  # one predictor per iteration for a binary target
        nd = pred.nodes
        trees.append({
            "feature": nd["feature_idx"].astype(int).tolist(),
            "threshold": [float(t) for t in nd["num_threshold"]],
            "missing_left": nd["missing_go_to_left"].astype(bool).tolist(),
            "left": nd["left"].astype(int).tolist(),
            "right": nd["right"].astype(int).tolist(),
            "leaf": nd["is_leaf"].astype(bool).tolist(),
            "value": [float(v) for v in nd["value"]],
        })
    baseline = float(np.ravel(clf._baseline_prediction)[0])
    mean = tuple(round(float(v), 6) for v in np.nanmean(A, axis=0))
    sd = np.nanstd(A, axis=0)
    scale = tuple(round(float(v), 6) if v > 1e-12 else 1.0 for v in sd)
    payload = {"features": cols, "trees": trees, "baseline": baseline}
    info = dict(trained_on or {}) | {"monotonic": dict(zip(cols, mono))}
    return RiskModel(
        version=model_version(prefix, payload), features=cols, mean=mean, scale=scale,
        coef=tuple(0.0 for _ in cols), intercept=round(baseline, 9), threshold=threshold,
        trained_on=info, kind="gbdt", trees=tuple(trees),
    )


def fit_model(
    X: pd.DataFrame,
    y: np.ndarray,
    *,
    features: tuple[str, ...] | None = None,
    sample_weight: np.ndarray | None = None,
    C: float = 1.0,
    threshold: float = 0.9,
    prefix: str = "fitted",
    trained_on: dict[str, Any] | None = None,
) -> RiskModel:
    """Fit a :class:`RiskModel` with scikit-learn (standardised L2 logistic regression).

    ``X`` holds one row per cluster with the feature columns, ``y`` 1 for a ring
    and 0 for benign.  Deterministic (lbfgs, no random state involved).
    """
    from sklearn.linear_model import LogisticRegression

    cols = tuple(features or X.columns)
    A = feature_matrix(X, cols)
    A = np.where(np.isnan(A), 0.0, A)
    mean = A.mean(axis=0)
    scale = A.std(axis=0)
    scale = np.where(scale > 1e-12, scale, 1.0)
    Z = (A - mean) / scale
    lr = LogisticRegression(C=C, max_iter=5000)
    lr.fit(Z, np.asarray(y, dtype=int), sample_weight=sample_weight)
    coef = tuple(round(float(c), 6) for c in lr.coef_[0])
    payload = {"features": cols, "coef": coef, "intercept": float(lr.intercept_[0])}
    return RiskModel(
        version=model_version(prefix, payload),
        features=cols,
        mean=tuple(round(float(m), 6) for m in mean),
        scale=tuple(round(float(s), 6) for s in scale),
        coef=coef,
        intercept=round(float(lr.intercept_[0]), 6),
        threshold=threshold,
        trained_on=dict(trained_on or {}),
    )
