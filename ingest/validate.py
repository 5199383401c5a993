"""Per-row validation and normalisation of snapshot batches: pure, vectorised.

:func:`validate` turns a :class:`~ingest.read.RawBatch` of text columns into a
:class:`Checked` batch: the valid rows normalised to what the store holds
(epoch milliseconds for timestamps, canonical IPs (:mod:`graphlink.ipnorm`), account
pairs ordered ``a < b``, ...) and the rejected rows with their line and the
first rule they break.  Every rule is a column operation; nothing here loops
over rows in Python except the per-*distinct*-IP normalisation (``ipaddress``
has no vector form) and the masking of the few rejected rows.

Cross-batch rules (duplicate keys within a table file, accounts unknown to the
snapshot and the store) need state and live in :mod:`ingest.keys` and
:mod:`ingest.job`; they move rows to the rejects through :meth:`Checked.reject`.

Raw card numbers: a value of ``instrument_id``, ``bin`` or an identifier's
``value`` that is, once spaces and dashes are removed, 13-19 digits passing the
Luhn check is refused and never leaves this module unmasked: the rejects file
shows it as ``************1234``.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from graphlink.ipnorm import normalize_ip
from graphlink.pii import luhn_valid
from ingest.read import RawBatch
from ingest.tables import PAYMENT_KINDS, TableSpec

# -- raw card numbers --------------------------------------------------------------

_PAN_FIELD = r"\d(?:[ -]?\d){12,18}"
_PAN_ANYWHERE = re.compile(r"(?<!\d)\d(?:[ -]?\d){12,18}(?!\d)")


def is_raw_card_number(values: pd.Series) -> np.ndarray:
    """True where a whole value is a card number: 13-19 digits (spaces/dashes allowed) passing Luhn."""
    text = values.astype(object).fillna("").astype(str).str.strip()
    candidate = text.str.fullmatch(_PAN_FIELD).fillna(False).to_numpy(dtype=bool)
    out = np.zeros(len(values), dtype=bool)
    if candidate.any():
        digits = text[candidate].str.replace(r"[ -]", "", regex=True).to_numpy()
        out[candidate] = luhn_valid(digits)
    return out


def mask_card_numbers(text: str) -> str:
    """Replace every Luhn-valid 13-19 digit run in ``text`` by stars and its last 4 digits."""

    def _mask(m: re.Match[str]) -> str:
        digits = re.sub(r"[ -]", "", m.group(0))
        if luhn_valid(np.array([digits]))[0]:
            return "*" * (len(digits) - 4) + digits[-4:]
        return m.group(0)

    return _PAN_ANYWHERE.sub(_mask, text)


# -- column helpers ---------------------------------------------------------------


def _text(frame: pd.DataFrame, col: str) -> pd.Series:
    """Text of a column (the reader has trimmed it); '' where the column is absent."""
    if col not in frame.columns:
        return pd.Series([""] * len(frame), index=frame.index, dtype=object)
    return frame[col]


def _opt(s: pd.Series) -> pd.Series:
    """Optional text: None where empty."""
    return s.where(s != "", None)


def _epoch_ms(s: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """ISO-8601 text -> (epoch milliseconds, parsed mask). No zone means UTC."""
    ts = pd.to_datetime(s, utc=True, errors="coerce", format="ISO8601")
    ok = ts.notna().to_numpy()
    ms = ts.dt.tz_convert(None).to_numpy().astype("datetime64[ms]").view(np.int64)
    return np.where(ok, ms, 0), ok


def normalise_ip(values: pd.Series) -> pd.Series:
    """:func:`graphlink.ipnorm.normalize_ip` per value, None where invalid.

    Computed once per distinct value (proxy IPs repeat a lot).

    >>> normalise_ip(pd.Series(["2001:DB8::1", "2001:db8:0::1", "1.2.3.999", "::ffff:192.0.2.1"])).tolist()
    ['2001:db8::1', '2001:db8::1', None, '192.0.2.1']
    """
    text = values.astype(object)
    # Canonical dotted quads (no leading zeros) are already what ipaddress prints:
    # one vectorised regex instead of a Python call per value.
    canonical_v4 = text.str.fullmatch(_CANONICAL_V4).fillna(False).to_numpy(dtype=bool)
    out = text.where(canonical_v4, None)
    rest = ~canonical_v4
    if rest.any():
        uniq = pd.unique(text[rest].to_numpy())
        norm = {v: _normalise_one(v) for v in uniq}
        out[rest] = text[rest].map(norm)
    return out.astype(object).where(out.notna(), None)


_OCTET = r"(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
_CANONICAL_V4 = rf"{_OCTET}(?:\.{_OCTET}){{3}}"


def _normalise_one(v: str) -> str | None:
    """The one canonical spelling (:func:`graphlink.ipnorm.normalize_ip`), None if invalid."""
    return normalize_ip(v)


_BOOL = {"true": True, "false": False, "1": True, "0": False, "t": True, "f": False, "yes": True, "no": False}


# -- the checked batch ------------------------------------------------------------


@dataclass
class Checked:
    """Valid rows (normalised; index = row position in the raw batch) and rejects."""

    table: str
    raw: RawBatch
    valid: pd.DataFrame
    _rejected_pos: list[np.ndarray] = field(default_factory=list)
    _rejected_reason: list[np.ndarray] = field(default_factory=list)

    @property
    def n_read(self) -> int:
        return len(self.raw.frame) + len(self.raw.malformed)

    def reject(self, mask: np.ndarray, reason: str | np.ndarray) -> None:
        """Move valid rows where ``mask`` is true to the rejects with ``reason``."""
        mask = np.asarray(mask, dtype=bool)
        if not mask.any():
            return
        pos = self.valid.index.to_numpy()[mask]
        reasons = np.asarray(reason, dtype=object)
        reasons = reasons[mask] if reasons.ndim else np.full(len(pos), reason, dtype=object)
        self._rejected_pos.append(pos)
        self._rejected_reason.append(reasons)
        self.valid = self.valid[~mask]

    @property
    def n_rejected(self) -> int:
        return sum(len(p) for p in self._rejected_pos) + len(self.raw.malformed)

    def rejects(self) -> pd.DataFrame:
        """``line, reason, raw`` of every rejected row, raw masked and JSON-encoded."""
        rows: list[tuple[int, str, str]] = [
            (line, reason, mask_card_numbers(text)) for line, reason, text in self.raw.malformed
        ]
        if self._rejected_pos:
            pos = np.concatenate(self._rejected_pos)
            reasons = np.concatenate(self._rejected_reason)
            lines = self.raw.lines[pos]
            records = self.raw.frame.iloc[pos].to_dict("records")
            for line, reason, rec in zip(lines.tolist(), reasons.tolist(), records):
                rows.append((line, reason, mask_card_numbers(json.dumps(rec, ensure_ascii=False))))
        rows.sort(key=lambda r: r[0])
        return pd.DataFrame(rows, columns=["line", "reason", "raw"])


class _Reasons:
    """First broken rule per row, filled rule by rule (vectorised)."""

    def __init__(self, n: int) -> None:
        self.r = np.full(n, None, dtype=object)

    def add(self, mask: np.ndarray | pd.Series, reason: str) -> None:
        m = np.asarray(mask, dtype=bool) & pd.isna(self.r)
        self.r[m] = reason

    def required(self, s: pd.Series, col: str) -> None:
        self.add(s.to_numpy() == "", f"empty {col}")

    def no_card(self, s: pd.Series, col: str) -> None:
        self.add(is_raw_card_number(s), f"raw card number in {col}")

    def timestamp(self, s: pd.Series, col: str, *, required: bool) -> tuple[np.ndarray, np.ndarray]:
        """(epoch ms, present) of a timestamp column, rejecting unparseable values."""
        ms, ok = _epoch_ms(s)
        empty = s.to_numpy() == ""
        if required:
            self.add(empty, f"empty {col}")
        self.add(~ok & ~empty, f"unparseable timestamp in {col}")
        return ms, ok

    @property
    def ok(self) -> np.ndarray:
        return pd.isna(self.r)


def _optional_int(values: np.ndarray, present: np.ndarray) -> pd.arrays.IntegerArray:
    """Nullable int64 column: missing where not ``present``."""
    return pd.arrays.IntegerArray(np.where(present, values, 0).astype(np.int64), ~present)


# -- per table ----------------------------------------------------------------------


def _accounts(f: pd.DataFrame, why: _Reasons) -> pd.DataFrame:
    account_id = _text(f, "account_id")
    why.required(account_id, "account_id")
    created, _ = why.timestamp(_text(f, "created_at"), "created_at", required=True)
    return pd.DataFrame(
        {
            "account_id": account_id,
            "created_at": created,
            "email_domain": _opt(_text(f, "email_domain").str.lower()),
            "country": _opt(_text(f, "country").str.upper()),
            "plan": _opt(_text(f, "plan")),
            "org_id": _opt(_text(f, "org_id")),
            "status": _opt(_text(f, "status").str.lower()),
        },
        index=f.index,
    )


def _payments(f: pd.DataFrame, why: _Reasons) -> pd.DataFrame:
    account_id, instrument_id, kind = (_text(f, c) for c in ("account_id", "instrument_id", "kind"))
    bin_ = _text(f, "bin")
    why.required(account_id, "account_id")
    why.required(instrument_id, "instrument_id")
    why.no_card(instrument_id, "instrument_id")
    why.no_card(bin_, "bin")
    why.required(kind, "kind")
    kind = kind.str.lower()
    why.add(~kind.isin(PAYMENT_KINDS) & (kind != ""), "unknown kind (card, bank, wallet, crypto, other)")
    first, has_first = why.timestamp(_text(f, "first_seen"), "first_seen", required=False)
    return pd.DataFrame(
        {
            "account_id": account_id,
            "instrument_id": instrument_id,
            "kind": kind,
            "bin": _opt(bin_),
            "issuer_country": _opt(_text(f, "issuer_country").str.upper()),
            "first_seen": _optional_int(first, has_first),
        },
        index=f.index,
    )


def _ips(f: pd.DataFrame, why: _Reasons) -> pd.DataFrame:
    account_id, ip_text = _text(f, "account_id"), _text(f, "ip")
    why.required(account_id, "account_id")
    why.required(ip_text, "ip")
    ip = normalise_ip(ip_text)
    why.add(ip.isna() & (ip_text != ""), "invalid ip")
    first, _ = why.timestamp(_text(f, "first_seen"), "first_seen", required=True)
    last, _ = why.timestamp(_text(f, "last_seen"), "last_seen", required=True)
    why.add(last < first, "last_seen before first_seen")
    req_text = _text(f, "requests")
    why.required(req_text, "requests")
    req = pd.to_numeric(req_text, errors="coerce").to_numpy(dtype=float)
    why.add(np.isnan(req) & (req_text.to_numpy() != ""), "requests not a number")
    why.add(~np.isnan(req) & (np.floor(req) != req), "requests not an integer")
    why.add(req < 0, "requests < 0")
    asn_text = _text(f, "asn")
    asn = pd.to_numeric(asn_text, errors="coerce").to_numpy(dtype=float)
    bad_asn = (asn_text.to_numpy() != "") & (np.isnan(asn) | (np.floor(asn) != asn) | (asn < 0))
    why.add(bad_asn, "asn not a non-negative integer")
    dc_text = _text(f, "is_datacenter").str.lower()
    dc = dc_text.map(_BOOL)
    why.add(dc.isna() & (dc_text != ""), "is_datacenter not true/false/1/0")
    asn_ok = ~np.isnan(asn) & ~bad_asn
    return pd.DataFrame(
        {
            "account_id": account_id,
            "ip": ip,
            "first_seen": first,
            "last_seen": last,
            "requests": np.where(np.isnan(req), 0, req).astype(np.int64),
            "asn": _optional_int(asn, asn_ok),
            "proxy_provider": _opt(_text(f, "proxy_provider")),
            "is_datacenter": dc.astype(object).where(dc.notna(), None),
        },
        index=f.index,
    )


def _identifiers(f: pd.DataFrame, why: _Reasons) -> pd.DataFrame:
    account_id, kind, value = (_text(f, c) for c in ("account_id", "kind", "value"))
    why.required(account_id, "account_id")
    why.required(kind, "kind")
    why.required(value, "value")
    why.no_card(value, "value")
    first, has_first = why.timestamp(_text(f, "first_seen"), "first_seen", required=False)
    return pd.DataFrame(
        {
            "account_id": account_id,
            "key": kind + ":" + value,
            "kind": kind,
            "value": value,
            "first_seen": _optional_int(first, has_first),
        },
        index=f.index,
    )


def _similarity(f: pd.DataFrame, why: _Reasons) -> pd.DataFrame:
    a, b, signal = (_text(f, c) for c in ("account_a", "account_b", "signal"))
    why.required(a, "account_a")
    why.required(b, "account_b")
    why.add((a == b) & (a != ""), "self-pair")
    score_text = _text(f, "score")
    why.required(score_text, "score")
    score = pd.to_numeric(score_text, errors="coerce").to_numpy(dtype=float)
    why.add(~((score > 0) & (score <= 1)) & (score_text.to_numpy() != ""), "score out of range (0, 1]")
    why.required(signal, "signal")
    swap = (a > b).to_numpy()
    return pd.DataFrame(
        {
            "account_a": np.where(swap, b, a),
            "account_b": np.where(swap, a, b),
            "score": np.nan_to_num(score),
            "signal": signal,
        },
        index=f.index,
    )


def _requests(f: pd.DataFrame, why: _Reasons) -> pd.DataFrame:
    account_id, fingerprint = _text(f, "account_id"), _text(f, "prompt_fingerprint")
    why.required(account_id, "account_id")
    ts, _ = why.timestamp(_text(f, "ts"), "ts", required=True)
    why.required(fingerprint, "prompt_fingerprint")
    # a log repeats its IPs and token counts: each distinct value is checked once
    ip_text = _text(f, "ip")
    codes, uniq = pd.factorize(ip_text, sort=False)
    ip = pd.Series(normalise_ip(pd.Series(uniq, dtype=object)).to_numpy(dtype=object)[codes],
                   index=f.index, dtype=object)
    why.add(ip.isna() & (ip_text != ""), "invalid ip")
    tok_text = _text(f, "output_tokens")
    codes, uniq = pd.factorize(tok_text, sort=False)
    tok = pd.to_numeric(pd.Series(uniq, dtype=object), errors="coerce").to_numpy(dtype=float)[codes]
    has_tok = tok_text.to_numpy() != ""
    why.add(has_tok & (np.isnan(tok) | (np.floor(tok) != tok) | (tok < 0)),
            "output_tokens not a non-negative integer")
    return pd.DataFrame(
        {
            "account_id": account_id,
            "ts": ts,
            "ip": ip,
            "model": _opt(_text(f, "model")),
            "prompt_fingerprint": fingerprint,
            "output_tokens": _optional_int(np.nan_to_num(tok), has_tok & ~np.isnan(tok)),
        },
        index=f.index,
    )


_VALIDATORS = {
    "accounts": _accounts,
    "payment_instruments": _payments,
    "ip_observations": _ips,
    "identifiers": _identifiers,
    "behaviour_similarity": _similarity,
    "requests": _requests,
}


def validate(spec: TableSpec, raw: RawBatch) -> Checked:
    """Check and normalise one batch of ``spec``'s table (per-row rules only).

    >>> from ingest.read import RawBatch
    >>> from ingest.tables import BEHAVIOUR_SIMILARITY
    >>> f = pd.DataFrame({"account_a": ["b", "x"], "account_b": ["a", "x"],
    ...                   "score": ["0.5", "0.5"], "signal": ["timing_sync"] * 2}, dtype=object)
    >>> c = validate(BEHAVIOUR_SIMILARITY, RawBatch(f, np.array([2, 3])))
    >>> c.valid[["account_a", "account_b"]].values.tolist(), c.rejects()["reason"].tolist()
    ([['a', 'b']], ['self-pair'])
    """
    why = _Reasons(len(raw.frame))
    norm = _VALIDATORS[spec.name](raw.frame, why)
    checked = Checked(spec.name, raw, norm)
    checked.reject(~why.ok, why.r)
    return checked
