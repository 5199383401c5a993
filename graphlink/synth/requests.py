"""A raw request log (the spec's optional ``requests`` table) consistent with a scenario.

Built from a generated :class:`~graphlink.synth.Scenario` alone: its truth
(``account_id, campaign, segment, group``; a ``behaviour_pairs`` column is read when
present, any further column is ignored),
its accounts (sign-up time) and its IP observations (the ``ip`` column), so it
keeps working whatever generates the rings.  What each population does:

* **ring accounts** (truth segment ``ring``; ``group`` is the sub-ring): most of
  their traffic is the campaign's extraction templates (a pool per sub-ring,
  part of it shared campaign-wide; each account uses most of the pool), sent by
  a script in the sub-ring's sessions (5-15 minutes, as many as its accounts'
  traffic needs: the same minutes for every account that joins), plus a share of
  mundane prompts at times of their own.  A tenth of the accounts are mostly
  mundane.  Three sub-rings in four move ~90% of their traffic to the newest
  model within a day of its first appearance, together (within a minute or
  two); the others a week later.  When the truth has ``behaviour_pairs`` (the
  generator's: upstream pairs with a campaign mate, counted even where the
  snapshot drops them), a ring account with none (the ``no_behaviour`` archetype,
  a weak link's hangers-on) leaves no trace in the log either: no shared
  templates, no scripted sessions, no joint pivot.  So the log and the upstream
  pairs tell the same story, account by account.
* **campus** students (segment ``campus``, ``group`` the campus): classes of
  about 60 meet twice a week at a fixed hour; in that hour a student sends
  the week's homework prompts (the same fingerprints for the whole class),
  at minutes of their own.  The rest is personal.  Alike, not a ring.
* **companies**: internal-tool templates and office hours; **families**:
  evenings; **heavy users**: much more traffic, their own batch templates, and
  two in five switch to the new model on its first day, each at a time of its own.
* everybody: personal one-off prompts, a few personal templates, popular public
  templates (a Zipf pool), an old model of their own and, for some, gradual
  adoption of the new one.

Everything is vectorised and generated in chunks of accounts
(:func:`iter_requests`), so 16 million rows stream to disk in bounded memory.
The same scenario, size and seed give the same rows.
"""

from __future__ import annotations

import gzip
import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pcsv
import pyarrow.parquet as pq

from graphlink.hashing import mix64
from graphlink.synth import _fmt
from graphlink.synth.write import FORMATS, Format, as_text

DAY = 86_400
HOUR = 3_600
#: Model names of the generated log: two old ones, and the new one released in the window.
OLD_MODELS = ("model-2025-06", "model-2025-10")
NEW_MODEL = "model-2026-02"
COLUMNS = ("account_id", "ts", "ip", "model", "prompt_fingerprint", "output_tokens")

# fingerprint families (top byte), so no two kinds of prompt ever share an id
_PERSONAL, _OWN_TEMPLATE, _POPULAR, _CAMPAIGN, _SUBRING, _HOMEWORK, _TOOL = range(1, 8)


@dataclass(frozen=True)
class RequestParams:
    """Shapes of the generated log (shares are of an account's requests unless said)."""

    ring_weight: float = 6.0  # traffic of a ring account relative to an ordinary one
    heavy_weight: float = 15.0
    campus_weight: float = 1.2
    ring_template_share: float = 0.8
    ring_sync_share: float = 0.9  # of the template requests: inside the sub-ring's sessions
    ring_mundane_rate: float = 0.1  # ring accounts whose traffic is mostly mundane
    ring_account_template_rate: float = 0.7  # share of the sub-ring pool one account uses
    ring_session_join: float = 0.7
    ring_pivot_rate: float = 0.75  # sub-rings that pivot on the new model's first day
    ring_member_pivot: float = 0.85
    homework_share: float = 0.35
    class_size: int = 60
    popular_share: float = 0.08
    own_template_share: float = 0.2
    tool_share: float = 0.15
    benign_adopt_rate: float = 0.35
    heavy_early_rate: float = 0.4


def _mix(family: int, *parts: np.ndarray, salt: int = 0) -> np.ndarray:
    """A 64-bit id per row from small integer parts (bijective mixer of a packed key)."""
    key = np.full(len(parts[0]), np.uint64(family) << np.uint64(56), dtype=np.uint64)
    shift = 0
    for p, bits in zip(parts, (28, 20, 8)):
        key |= (np.asarray(p, dtype=np.uint64) & np.uint64((1 << bits) - 1)) << np.uint64(shift)
        shift += bits
    return mix64(key ^ np.uint64(salt))


@dataclass
class _Plan:
    """Per-account arrays and the per-group schedules the chunks draw from."""

    ids: np.ndarray
    seg: np.ndarray  # str
    group: np.ndarray  # int code, -1 none
    campaign: np.ndarray  # int code, -1 none
    lo: np.ndarray  # first second the account can send (sign-up, window start)
    end: int
    count: np.ndarray
    pref_hour: np.ndarray
    mundane: np.ndarray
    scripted: np.ndarray  # ring accounts whose traffic shows their ring (templates, sessions)
    p_model_b: np.ndarray
    adopt: np.ndarray  # second from which the new model is used (huge: never)
    new_share: np.ndarray
    cls: np.ndarray  # campus class code, -1 none
    class_days: np.ndarray  # (n_classes, 2) weekdays
    class_hour: np.ndarray
    sess_start: np.ndarray  # (n_groups, S) seconds
    sess_len: np.ndarray  # (n_groups, S) minutes
    n_sess: np.ndarray  # per group
    pool: np.ndarray  # templates per group
    ip_start: np.ndarray
    ip_count: np.ndarray
    ips: pa.Array
    salt: int


def _plan(scenario: Any, n_requests: int, seed: int, p: RequestParams) -> _Plan:
    rng = np.random.default_rng([seed, 0x7E0])
    truth = scenario.truth
    ids = truth["account_id"].to_numpy(dtype=object)
    n = len(ids)
    seg = truth["segment"].fillna("").to_numpy(dtype=object)
    group_name = truth["group"].fillna("").to_numpy(dtype=object)
    group = pd.factorize(pd.Series(np.where(group_name == "", None, group_name)))[0]
    campaign = pd.factorize(pd.Series(truth["campaign"].replace("", None)))[0]
    acc = scenario.accounts
    created = pd.Series(
        acc["created_at"].dt.tz_convert(None).to_numpy().astype("datetime64[s]").astype(np.int64),
        index=acc["account_id"].to_numpy(dtype=object),
    ).reindex(ids).to_numpy()
    ipo = scenario.ip_observations
    t0 = int(ipo["first_seen"].min().timestamp()) if len(ipo) else int(np.nanmin(created))
    t1 = int(ipo["last_seen"].max().timestamp()) if len(ipo) else t0 + 42 * DAY
    start, end = t0 - t0 % DAY, t1
    lo = np.clip(np.nan_to_num(created, nan=start).astype(np.int64), start, end - HOUR)

    ring, campus, heavy = seg == "ring", seg == "campus", seg == "heavy_user"
    scripted = ring.copy()
    if "behaviour_pairs" in truth:
        scripted &= pd.to_numeric(truth["behaviour_pairs"]).fillna(0).to_numpy() > 0
    w = rng.lognormal(0.0, 0.8, n)
    w[ring] = p.ring_weight * rng.lognormal(0.0, 0.5, int(ring.sum()))
    w[campus] *= p.campus_weight
    w[heavy] *= p.heavy_weight
    w *= (end - lo) / max(end - start, 1)  # late sign-ups have had less time
    exact = n_requests * w / w.sum()
    count = np.floor(exact).astype(np.int64)
    short = n_requests - int(count.sum())
    if short > 0:
        extra = rng.choice(n, size=short, replace=True, p=(exact - count) / (exact - count).sum())
        np.add.at(count, extra, 1)

    from graphlink.synth import MODEL_RELEASE  # the scenario's new-model day

    release = int(MODEL_RELEASE)
    if not start + 3 * DAY < release < end - DAY:  # a window without it: mid-window
        release = start + (end - start) * 2 // 3
    never = np.iinfo(np.int64).max // 4
    adopt = np.full(n, never, dtype=np.int64)
    new_share = rng.uniform(0.2, 0.7, n)
    # everybody but a scripted fleet adopts the new model gradually, at times of their own
    adopters = ~scripted & (rng.random(n) < p.benign_adopt_rate)
    adopt[adopters] = release + rng.exponential(6 * DAY, int(adopters.sum())).astype(np.int64)
    early = heavy & (rng.random(n) < p.heavy_early_rate)
    adopt[early] = release + rng.integers(0, DAY, int(early.sum()))
    new_share[early] = rng.uniform(0.55, 0.9, int(early.sum()))

    n_groups = int(group.max()) + 1 if len(group) else 0
    # ring sub-rings: sessions, template pools, pivot times
    S = 40
    sess_start = np.zeros((max(n_groups, 1), S), dtype=np.int64)
    sess_len = np.ones((max(n_groups, 1), S), dtype=np.int64)
    n_sess = np.zeros(max(n_groups, 1), dtype=np.int64)
    pool = np.zeros(max(n_groups, 1), dtype=np.int64)
    ring_groups = np.unique(group[ring & (group >= 0)])
    if len(ring_groups):
        G = len(ring_groups)
        first_lo = pd.Series(lo[ring]).groupby(group[ring]).median().reindex(ring_groups)
        g_lo = np.minimum(first_lo.to_numpy().astype(np.int64), end - 10 * DAY)
        span = np.maximum(end - g_lo - HOUR, HOUR)
        sess_start[ring_groups] = g_lo[:, None] + (rng.random((G, S)) * span[:, None]).astype(
            np.int64
        )
        # a script fires its accounts minute after minute: sessions of 5-15 minutes,
        # as many as the sub-ring's typical account needs to send its scripted traffic
        g_len = rng.integers(5, 16, G)
        sess_len[ring_groups] = g_len[:, None]
        med = pd.Series(count[ring]).groupby(group[ring]).median().reindex(ring_groups).to_numpy()
        per_account = med * p.ring_template_share * p.ring_sync_share
        n_sess[ring_groups] = np.clip(
            np.rint(per_account / (p.ring_session_join * g_len * 0.8)), 3, S
        ).astype(np.int64)
        pool[ring_groups] = rng.integers(12, 41, G)
        pivot_day_one = rng.random(G) < p.ring_pivot_rate
        g_pivot = np.where(
            pivot_day_one,
            release + rng.integers(HOUR, 20 * HOUR, G),
            release + rng.integers(7 * DAY, 9 * DAY, G),
        )
        pivot_of = np.zeros(n_groups, dtype=np.int64)
        pivot_of[ring_groups] = g_pivot
        members = np.flatnonzero(scripted & (group >= 0))
        moves = rng.random(len(members)) < p.ring_member_pivot
        m = members[moves]
        adopt[m] = pivot_of[group[m]] + np.abs(rng.normal(0, 60, len(m))).astype(np.int64)
        new_share[m] = 0.9
    # campus classes: ~class_size students each, two weekly meetings at a fixed hour
    cls = np.full(n, -1, dtype=np.int64)
    in_campus = np.flatnonzero(campus & (group >= 0))
    class_days = np.zeros((1, 2), dtype=np.int64)
    class_hour = np.zeros(1, dtype=np.int64)
    if len(in_campus):
        g = group[in_campus]
        sizes = np.bincount(g, minlength=n_groups)
        n_cls = np.maximum(1, sizes // p.class_size)
        base = np.cumsum(n_cls) - n_cls
        cls[in_campus] = base[g] + rng.integers(0, 1 << 30, len(g)) % n_cls[g]
        total = int(n_cls.sum())
        d1 = rng.integers(0, 5, total)
        class_days = np.stack([d1, (d1 + 2 + rng.integers(0, 2, total)) % 5], axis=1)
        class_hour = rng.integers(8, 18, total)
    # IPs: the account's own observations
    ip_acc = pd.Index(ids).get_indexer(ipo["account_id"].to_numpy(dtype=object))
    order = np.argsort(ip_acc, kind="stable")
    ip_count = np.bincount(ip_acc[ip_acc >= 0], minlength=n)
    ip_start = np.cumsum(ip_count) - ip_count
    ips = pa.array(ipo["ip"].to_numpy(dtype=object)[order][ip_acc[order] >= 0], pa.string())

    pref = rng.integers(0, 24, n)
    pref[seg == "family"] = rng.integers(18, 23, int((seg == "family").sum()))
    pref[seg == "company"] = rng.integers(9, 17, int((seg == "company").sum()))
    return _Plan(
        ids=ids, seg=seg, group=group, campaign=campaign, lo=lo, end=end, count=count,
        pref_hour=pref, mundane=ring & (rng.random(n) < p.ring_mundane_rate), scripted=scripted,
        p_model_b=rng.beta(2, 3, n), adopt=adopt, new_share=new_share, cls=cls,
        class_days=class_days, class_hour=class_hour, sess_start=sess_start, sess_len=sess_len,
        n_sess=n_sess, pool=pool, ip_start=ip_start, ip_count=ip_count, ips=ips,
        salt=int(mix64(np.array([seed + 0xF1], dtype=np.uint64))[0]),
    )


def _chunk(pl: _Plan, accounts: np.ndarray, rng: np.random.Generator, p: RequestParams
           ) -> pa.Table:
    c = pl.count[accounts]
    owner = np.repeat(accounts, c)
    r = np.arange(len(owner)) - np.repeat(np.cumsum(c) - c, c)
    n = len(owner)
    seg = pl.seg[owner]
    lo, end = pl.lo[owner], pl.end
    campus = seg == "campus"

    # personal time: a day of the account's span, an hour near its own
    t = lo + (rng.random(n) * (end - lo)).astype(np.int64)
    hour = (pl.pref_hour[owner] + np.rint(rng.normal(0, 2.5, n)).astype(np.int64)) % 24
    ts = t - t % DAY + hour * HOUR + rng.integers(0, HOUR, n)
    ts = np.where((ts < lo) | (ts >= end), t, ts)

    fp = _mix(_PERSONAL, owner, r, salt=pl.salt)
    u = rng.random(n)
    own_t = u < p.own_template_share
    fp[own_t] = _mix(_OWN_TEMPLATE, owner[own_t], rng.integers(0, 5, int(own_t.sum())),
                     salt=pl.salt)
    pop = (u >= p.own_template_share) & (u < p.own_template_share + p.popular_share)
    rank = np.minimum(rng.zipf(1.6, int(pop.sum())), 300)
    fp[pop] = _mix(_POPULAR, rank, salt=pl.salt)

    v = rng.random(n)
    # companies: internal tools
    tool = (seg == "company") & (v < p.tool_share) & (pl.group[owner] >= 0)
    fp[tool] = _mix(_TOOL, pl.group[owner[tool]], rng.integers(0, 5, int(tool.sum())),
                    salt=pl.salt)
    # campus: the week's homework, in the class's hour, at a minute of one's own
    hw = campus & (v < p.homework_share) & (pl.cls[owner] >= 0)
    if hw.any():
        k = pl.cls[owner[hw]]
        day0 = lo[hw] // DAY
        days = np.maximum((end // DAY) - day0, 1)
        day = day0 + (rng.random(int(hw.sum())) * days).astype(np.int64)
        week = (day + 3) // 7  # 1970-01-01 was a Thursday: weeks start on Monday
        dow = pl.class_days[k, rng.integers(0, 2, len(k))]
        when = (week * 7 - 3 + dow) * DAY + pl.class_hour[k] * HOUR + rng.integers(0, HOUR, len(k))
        fine = (when >= lo[hw]) & (when < end)
        idx = np.flatnonzero(hw)[fine]
        ts[idx] = when[fine]
        fp[idx] = _mix(_HOMEWORK, k[fine], week[fine], rng.integers(0, 2, int(fine.sum())),
                       salt=pl.salt)
    # rings: the sub-ring's templates, most of them in its sessions
    share = np.where(pl.mundane[owner], 0.2, p.ring_template_share)
    tpl = pl.scripted[owner] & (v < share) & (pl.group[owner] >= 0)
    if tpl.any():
        a, g = owner[tpl], pl.group[owner[tpl]]
        size = np.maximum(pl.pool[g], 1)
        slot = (rng.random(len(a)) * size).astype(np.int64)
        for _ in range(3):  # each account uses its own ~70% of the pool
            used = (mix64((a.astype(np.uint64) << np.uint64(16)) | slot.astype(np.uint64))
                    % np.uint64(1000)) < np.uint64(int(1000 * p.ring_account_template_rate))
            slot = np.where(used, slot, (rng.random(len(a)) * size).astype(np.int64))
        shared = slot < (size * 3) // 5  # the first three fifths: campaign-wide templates
        camp = pl.campaign[a]
        fp[tpl] = np.where(shared, _mix(_CAMPAIGN, camp, slot, salt=pl.salt),
                           _mix(_SUBRING, g, slot, salt=pl.salt))
        sync = rng.random(len(a)) < p.ring_sync_share
        s_idx = (rng.random(len(a)) * np.maximum(pl.n_sess[g], 1)).astype(np.int64)
        for _ in range(3):  # sessions the account joins (the same ones every time)
            joined = (mix64((a.astype(np.uint64) << np.uint64(8)) | s_idx.astype(np.uint64)
                                 ^ np.uint64(0xABCD)) % np.uint64(1000)
                      ) < np.uint64(int(1000 * p.ring_session_join))
            s_idx = np.where(joined, s_idx,
                             (rng.random(len(a)) * np.maximum(pl.n_sess[g], 1)).astype(np.int64))
        when = (pl.sess_start[g, s_idx]
                + (rng.random(len(a)) * pl.sess_len[g, s_idx]).astype(np.int64) * 60
                + rng.integers(0, 60, len(a)))
        fine = sync & (when >= lo[tpl]) & (when < end)
        idx = np.flatnonzero(tpl)[fine]
        ts[idx] = when[fine]

    # a fleet is moved by its script at once: its first requests on the new model
    # come right at the switch (within two minutes)
    moved = pl.scripted[owner] & (pl.adopt[owner] < pl.end) & (r < 3)
    ts[moved] = pl.adopt[owner[moved]] + rng.integers(0, 120, int(moved.sum()))
    # models: an old one of one's own; the new one from the adoption time on
    model = (rng.random(n) < pl.p_model_b[owner]).astype(np.int8)
    new = (ts >= pl.adopt[owner]) & (rng.random(n) < pl.new_share[owner])
    model[new] = 2
    model[moved] = 2
    models = pa.array(list(OLD_MODELS) + [NEW_MODEL]).take(pa.array(model))

    k = pl.ip_count[owner]
    has_ip = k > 0
    pick = pl.ip_start[owner] + (rng.random(n) * np.maximum(k, 1)).astype(np.int64)
    ip = (
        pl.ips.take(pa.array(np.where(has_ip, pick, 0)))
        if len(pl.ips)
        else pa.nulls(n, pa.string())
    )
    if len(pl.ips):
        ip = pa.compute.if_else(pa.array(has_ip), ip, pa.scalar(None, pa.string()))

    order = np.argsort(ts, kind="stable")
    return pa.table(
        {
            "account_id": pa.array(pl.ids[owner[order]], pa.string()),
            "ts": pa.array(ts[order] * 1000).cast(pa.timestamp("ms", tz="UTC")),
            "ip": ip.take(pa.array(order)),
            "model": models.take(pa.array(order)),
            "prompt_fingerprint": _fmt.hex64(fp[order], "fp_"),
            "output_tokens": pa.array(np.exp(rng.normal(5.5, 1.0, n)).astype(np.int64)[order]),
        }
    )


def iter_requests(
    scenario: Any,
    n_requests: int,
    *,
    seed: int = 7,
    params: RequestParams | None = None,
    chunk_rows: int = 2_000_000,
) -> Iterator[pa.Table]:
    """The log as Arrow tables of about ``chunk_rows`` rows (accounts split between chunks)."""
    if n_requests < 0:
        raise ValueError("n_requests must be >= 0")
    p = params or RequestParams()
    pl = _plan(scenario, int(n_requests), seed, p)
    cum = np.cumsum(pl.count)
    cuts = np.searchsorted(cum, np.arange(chunk_rows, int(cum[-1]) if len(cum) else 0, chunk_rows))
    bounds = np.r_[0, cuts + 1, len(pl.count)]
    for i, (a, b) in enumerate(itertools.pairwise(bounds)):
        if b > a and pl.count[a:b].sum():
            yield _chunk(pl, np.arange(a, b), np.random.default_rng([seed, 0x7E1, i]), p)


def write_requests(
    scenario: Any,
    path: str | Path,
    n_requests: int,
    *,
    fmt: Format = "csv",
    seed: int = 7,
    params: RequestParams | None = None,
) -> Path:
    """Stream the log to ``path`` (``requests.csv``, ``.csv.gz`` or ``.parquet``)."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}: use one of {', '.join(FORMATS)}")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    schema = pa.schema(
        [
            ("account_id", pa.string()),
            ("ts", pa.timestamp("ms", tz="UTC")),
            ("ip", pa.string()),
            ("model", pa.string()),
            ("prompt_fingerprint", pa.string()),
            ("output_tokens", pa.int64()),
        ]
    )
    chunks = iter_requests(scenario, n_requests, seed=seed, params=params)
    if fmt == "parquet":
        with pq.ParquetWriter(path, schema, compression="zstd") as w:
            for t in chunks:
                w.write_table(t.cast(schema))
        return path
    opts = pcsv.WriteOptions(quoting_style="none", batch_size=65536)
    text_schema = as_text(schema.empty_table()).schema

    def write_all(sink: Any) -> None:
        with pcsv.CSVWriter(sink, text_schema, write_options=opts) as w:
            for t in chunks:
                w.write_table(as_text(t).cast(text_schema))

    if fmt == "csv":
        write_all(str(path))
    else:
        with (
            open(path, "wb") as raw,
            gzip.GzipFile(filename="", mode="wb", fileobj=raw, compresslevel=1, mtime=0) as gz,
        ):
            write_all(gz)
    return path
