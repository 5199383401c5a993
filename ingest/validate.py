"""Per-row validation and normalisation of snapshot batches: pure, vectorised.

:func:`validate` turns a :class:`~graphlink.ingest.read.RawBatch` of text columns into a
:class:`Checked` batch: the valid rows normalised to what the store holds
(epoch milliseconds for timestamps, canonical IPs (:mod:`graphlink.ipnorm`), account
pairs ordered ``a < b``, ...) and the rejected rows with their line and the
first rule they break.  Every rule is a column operation; nothing here loops
over rows in Python except the per-*distinct*-IP normalisation (``ipaddress``
has no vector form) and the masking of the few rejected rows.

Cross-batch rules (duplicate keys within a table file, accounts unknown to the
snapshot and the store) need state and live in :mod:`graphlink.ingest.keys` and
:mod:`graphlink.ingest.job`; they move rows to the rejects through :meth:`Checked.reject`.

Raw card numbers: a value of ``instrument_id``, ``bin`` or an identifier's
``value`` that is, once spaces and dashes are removed, 13-19 digits passing the
Luhn check is refused and never leaves this module unmasked: the rejects file
shows it as ``************1234``.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from decimal import Decimal

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from graphlink.ingest.read import RawBatch
from graphlink.ingest.tables import PAYMENT_KINDS, TableSpec
from graphlink.ipnorm import normalize_ip
from graphlink.pii import luhn_valid

# -- raw card numbers --------------------------------------------------------------

_PAN_FIELD = r"\d(?:[ -]?\d){12,18}"
_PAN_ANYWHERE = re.compile(r"(?<!\d)\d(?:[ -]?\d){12,18}(?!\d)")


def is_raw_card_number(values: pd.Series) -> np.ndarray:
    """True where a whole value is a card number: 13-19 digits (spaces/dashes allowed) passing
    Luhn."""
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

    >>> ips = ["2001:DB8::1", "2001:db8:0::1", "1.2.3.999", "::ffff:192.0.2.1"]
    >>> normalise_ip(pd.Series(ips)).tolist()
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


_BOOL = {
    "true": True,
    "false": False,
    "1": True,
    "0": False,
    "t": True,
    "f": False,
    "yes": True,
    "no": False,
}

# -- the reasons a row can be rejected for ------------------------------------------

#: Longest value (UTF-8 bytes) of any column: keys are MERGEd through unique
#: range indexes, whose entries Neo4j caps at about 8 KiB (an identifier's key
#: is ``kind:value``), so a longer value would fail its whole batch mid-load.
MAX_VALUE_BYTES = 2048
INT64_MAX = 2**63 - 1
ASN_MAX = 2**32 - 1

#: Reasons any table's rows can get (the last two from the CSV reader).
COMMON_REASONS: tuple[str, ...] = ("value too long", "wrong number of fields", "not UTF-8 text")

#: Every reason a row can be rejected for, per table: the contract that
#: ``docs/input-format.md`` documents (a test holds the two together).  A reason
#: as written to the rejects file is one of these, possibly followed by detail
#: in parentheses: ``unknown kind (card, bank, wallet, crypto, other)``.
REJECT_REASONS: dict[str, tuple[str, ...]] = {
    "accounts": (
        "empty account_id", "empty created_at", "unparseable timestamp in created_at",
        "duplicate account_id",
    ),
    "payment_instruments": (
        "empty account_id", "empty instrument_id", "raw card number in instrument_id",
        "raw card number in bin", "empty kind", "unknown kind",
        "unparseable timestamp in first_seen",
        "duplicate account_id + instrument_id", "unknown account in account_id",
    ),
    "ip_observations": (
        "empty account_id", "empty ip", "invalid ip", "empty first_seen",
        "unparseable timestamp in first_seen", "empty last_seen",
        "unparseable timestamp in last_seen",
        "last_seen before first_seen", "empty requests", "requests not a number",
        "requests not an integer", "requests < 0", "requests too large",
        "asn not a non-negative integer", "asn too large", "is_datacenter not true/false/1/0",
        "duplicate account_id + ip", "unknown account in account_id",
    ),
    "identifiers": (
        "empty account_id", "empty kind", "empty value", "raw card number in value",
        "unparseable timestamp in first_seen", "unknown account in account_id",
    ),
    "behaviour_similarity": (
        "empty account_a", "empty account_b", "self-pair", "empty score", "score out of range",
        "empty signal", "unknown account in account_a", "unknown account in account_b",
    ),
    "requests": (
        "empty account_id", "empty ts", "unparseable timestamp in ts", "empty prompt_fingerprint",
        "invalid ip", "output_tokens not a non-negative integer", "output_tokens too large",
        "unknown account in account_id",
    ),
}


def reason_code(table: str, reason: str) -> str:
    """The catalogued reason ``reason`` is an instance of (ValueError if none:
    a rule the contract does not document is a bug, caught by the tests).

    >>> reason_code("payment_instruments", "unknown kind (card, bank, wallet, crypto, other)")
    'unknown kind'
    """
    for code in (*REJECT_REASONS[table], *COMMON_REASONS):
        if reason == code or reason.startswith(code + " ("):
            return code
    raise ValueError(
        f"{table}: reject reason {reason!r} is not in REJECT_REASONS (docs/input-format.md)")


def _integers(text: pd.Series, limit: int) -> tuple[np.ndarray, np.ndarray]:
    """Exact integers of a text column: (int64 values, status per row).

    Status: 0 ok or empty, 1 not a number, 2 not an integer, 3 negative, 4 above
    ``limit``.  A plain run of up to 18 ASCII digits (the usual case) is cast by
    Arrow; anything else is read, once per distinct value, as a decimal number
    (``12``, ``12.0``, ``1.2e1``), never through a float: a count above 2**53
    keeps its exact value and one above ``limit`` is refused instead of
    overflowing int64 after validation.
    """
    n = len(text)
    values = np.zeros(n, dtype=np.int64)
    status = np.zeros(n, dtype=np.int8)
    arr = pa.array(text, type=pa.string(), from_pandas=True)
    simple = pc.fill_null(pc.match_substring_regex(arr, r"^[0-9]{1,18}$"), False).to_numpy(
        zero_copy_only=False)
    if simple.any():
        values[simple] = pc.cast(arr.filter(pa.array(simple)), pa.int64()).to_numpy()
    rest = ~simple & pc.fill_null(pc.not_equal(arr, ""), False).to_numpy(zero_copy_only=False)
    if rest.any():
        codes, uniq = pd.factorize(np.asarray(arr.filter(pa.array(rest)).to_pylist(), dtype=object))
        parsed = [_decimal_int(u, limit) for u in uniq]
        values[rest] = np.array([v for v, _ in parsed], dtype=np.int64)[codes]
        status[rest] = np.array([st for _, st in parsed], dtype=np.int8)[codes]
    if limit < INT64_MAX:
        status[simple & (values > limit)] = 4
    return values, status


_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")


def _decimal_int(text: str, limit: int) -> tuple[int, int]:
    """(value, status) of one number's text; see :func:`_integers`."""
    if not _NUMBER.fullmatch(text):
        return 0, 1
    d = Decimal(text)
    if d < 0:
        return 0, 3
    if d > limit:
        return 0, 4
    if d != d.to_integral_value():
        return 0, 2
    return int(d), 0


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
        for r in set((reasons[mask] if reasons.ndim else reasons[None]).tolist()):
            reason_code(self.table, r)
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
            if reason_code(self.table, reason)
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
    why.add(
        ~kind.isin(PAYMENT_KINDS) & (kind != ""), "unknown kind (card, bank, wallet, crypto, other)"
    )
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
    req, req_status = _integers(req_text, INT64_MAX)
    why.add(req_status == 1, "requests not a number")
    why.add(req_status == 2, "requests not an integer")
    why.add(req_status == 3, "requests < 0")
    why.add(req_status == 4, f"requests too large (> {INT64_MAX})")
    asn_text = _text(f, "asn")
    asn, asn_status = _integers(asn_text, ASN_MAX)
    why.add(np.isin(asn_status, (1, 2, 3)), "asn not a non-negative integer")
    why.add(asn_status == 4, f"asn too large (> {ASN_MAX})")
    dc_text = _text(f, "is_datacenter").str.lower()
    dc = dc_text.map(_BOOL)
    why.add(dc.isna() & (dc_text != ""), "is_datacenter not true/false/1/0")
    asn_ok = (asn_text.to_numpy() != "") & (asn_status == 0)
    return pd.DataFrame(
        {
            "account_id": account_id,
            "ip": ip,
            "first_seen": first,
            "last_seen": last,
            "requests": req,
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
    why.add(
        ~((score > 0) & (score <= 1)) & (score_text.to_numpy() != ""), "score out of range (0, 1]"
    )
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
    ip = pd.Series(
        normalise_ip(pd.Series(uniq, dtype=object)).to_numpy(dtype=object)[codes],
        index=f.index,
        dtype=object,
    )
    why.add(ip.isna() & (ip_text != ""), "invalid ip")
    tok_text = _text(f, "output_tokens")
    tok, tok_status = _integers(tok_text, INT64_MAX)
    has_tok = tok_text.to_numpy() != ""
    why.add(np.isin(tok_status, (1, 2, 3)), "output_tokens not a non-negative integer")
    why.add(tok_status == 4, f"output_tokens too large (> {INT64_MAX})")
    return pd.DataFrame(
        {
            "account_id": account_id,
            "ts": ts,
            "ip": ip,
            "model": _opt(_text(f, "model")),
            "prompt_fingerprint": fingerprint,
            "output_tokens": _optional_int(tok, has_tok & (tok_status == 0)),
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

    >>> from graphlink.ingest.read import RawBatch
    >>> from graphlink.ingest.tables import BEHAVIOUR_SIMILARITY
    >>> f = pd.DataFrame({"account_a": ["b", "x"], "account_b": ["a", "x"],
    ...                   "score": ["0.5", "0.5"], "signal": ["timing_sync"] * 2}, dtype=object)
    >>> c = validate(BEHAVIOUR_SIMILARITY, RawBatch(f, np.array([2, 3])))
    >>> c.valid[["account_a", "account_b"]].values.tolist(), c.rejects()["reason"].tolist()
    ([['a', 'b']], ['self-pair'])
    """
    why = _Reasons(len(raw.frame))
    for col in spec.columns:
        if col in raw.frame.columns and len(raw.frame):
            size = pc.binary_length(pa.array(raw.frame[col], type=pa.string(), from_pandas=True))
            too_long = pc.fill_null(pc.greater(size, MAX_VALUE_BYTES), False).to_numpy(
                zero_copy_only=False)
            why.add(too_long, f"value too long ({col} > {MAX_VALUE_BYTES} bytes)")
    norm = _VALIDATORS[spec.name](raw.frame, why)
    checked = Checked(spec.name, raw, norm)
    checked.reject(~why.ok, why.r)
    return checked
