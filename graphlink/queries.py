"""Investigators' saved queries: look one up by name, bind typed parameters, run it.

A saved query is a file ``cypher/queries/<name>.cypher`` whose header declares
its parameters with types and optional defaults::

    // name: account_neighbourhood
    // description: Everything within $k hops of an account through what it shares.
    // params: $account_id: string, $k: int = 2

Parameters arrive from the command line (and the API) as strings; the header's
type hint says how to read them, so ``k=3`` reaches Neo4j as an integer and
``since=2026-11-01`` as a ``datetime`` (an int compared with a string property
would silently match nothing).  A parameter without a default that is not given
is an error naming it, never a silent ``null``.

>>> spec = parse_params("$account_id: string, $k: int = 2")
>>> bind(spec, {"account_id": "a-1"})
{'account_id': 'a-1', 'k': 2}
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pandas as pd

from graphlink import cypher_files
from graphlink.errors import InputError, NotFound
from graphlink.store import GraphStore

#: Types a ``// params:`` hint may name.
TYPES = ("string", "int", "float", "bool", "datetime")

_SPEC_RE = re.compile(
    r"^\$(?P<name>[A-Za-z_][A-Za-z0-9_]*)\s*(?::\s*(?P<type>\w+))?\s*(?:=\s*(?P<default>.*))?$"
)
_RELATIVE_RE = re.compile(r"^now\s*(?:-\s*(?P<n>\d+)\s*(?P<unit>[smhdw]))?$", re.IGNORECASE)
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
_TRUE = {"true", "1", "yes", "y", "on"}
_FALSE = {"false", "0", "no", "n", "off"}


@dataclass(frozen=True)
class Param:
    """One declared parameter: name, type hint and (optional) default value."""

    name: str
    type: str = "string"
    default: Any = None
    required: bool = True

    def describe(self) -> str:
        text = f"${self.name}: {self.type}"
        if self.required:
            return text
        if isinstance(self.default, bool):
            return f"{text} = {str(self.default).lower()}"
        if isinstance(self.default, str):
            return f'{text} = "{self.default}"'
        return f"{text} = {plain(self.default)}"


@dataclass(frozen=True)
class SavedQuery:
    """A saved query file, parsed: what investigators list, bind and run."""

    name: str
    description: str
    params: tuple[Param, ...]
    example: str
    body: str
    #: ``// anchor:`` the index or constraint the plan starts from (``Label(property)``,
    #: alternatives separated by ``|``); ``none (why)`` for aggregates with no anchor.
    anchor: str = ""

    def param(self, name: str) -> Param | None:
        return next((p for p in self.params if p.name == name), None)

    @property
    def anchors(self) -> tuple[str, ...]:
        if not self.anchor or self.anchor.lower().startswith("none"):
            return ()
        return tuple(a.strip() for a in self.anchor.split("|") if a.strip())


def coerce(value: Any, type_: str, *, name: str = "value") -> Any:
    """Read ``value`` (usually a string from ``--param``) as ``type_``.

    Non-string values (already typed, e.g. from JSON) are checked, not re-parsed.
    Datetimes accept ISO 8601 (a date alone means midnight UTC; no zone means
    UTC) and ``now`` / ``now-7d`` (s, m, h, d, w).
    """
    if type_ not in TYPES:
        raise InputError(f"parameter ${name}: unknown type {type_!r} (one of {', '.join(TYPES)})")
    try:
        if type_ == "string":
            return str(value)
        if type_ == "bool":
            if isinstance(value, bool):
                return value
            text = str(value).strip().lower()
            if text in _TRUE:
                return True
            if text in _FALSE:
                return False
            raise ValueError("expected true or false")
        if type_ == "int":
            if isinstance(value, bool):
                raise ValueError("expected an integer")
            return int(str(value).strip()) if not isinstance(value, int) else value
        if type_ == "float":
            if isinstance(value, bool):
                raise ValueError("expected a number")
            return float(value)
        return _datetime(value)
    except (ValueError, TypeError) as e:
        raise InputError(f"parameter ${name} must be a {type_}, got {value!r} ({e})") from e


def _datetime(value: Any) -> datetime:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=UTC)
    text = str(value).strip()
    m = _RELATIVE_RE.match(text)
    if m:
        now = datetime.now(UTC)
        if m.group("n"):
            now -= timedelta(**{_UNITS[m.group("unit").lower()]: int(m.group("n"))})
        return now
    dt = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)


def _literal(text: str) -> str:
    text = text.strip()
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
        return text[1:-1]
    return text


def parse_params(header: str) -> tuple[Param, ...]:
    """Parse a ``// params:`` header value (``none`` or empty means no parameters)."""
    header = header.strip()
    if not header or header.lower() == "none":
        return ()
    params = []
    for part in header.split(","):
        part = part.strip()
        if not part:
            continue
        m = _SPEC_RE.match(part)
        if not m:
            raise ValueError(f"cannot read parameter declaration {part!r}")
        name, type_ = m.group("name"), (m.group("type") or "string").lower()
        if type_ not in TYPES:
            raise ValueError(f"parameter ${name}: unknown type {type_!r}")
        if m.group("default") is None:
            params.append(Param(name, type_))
        else:
            default = coerce(_literal(m.group("default")), type_, name=name)
            params.append(Param(name, type_, default, required=False))
    return tuple(params)


def from_file(cf: cypher_files.CypherFile) -> SavedQuery:
    """Build a :class:`SavedQuery` from a parsed ``.cypher`` file."""
    return SavedQuery(
        name=cf.header.get("name", cf.name),
        description=cf.description,
        params=parse_params(cf.header.get("params", "")),
        example=cf.header.get("example", ""),
        body=cf.body,
        anchor=cf.header.get("anchor", ""),
    )


def saved() -> dict[str, SavedQuery]:
    """All saved queries by name (file stem), sorted."""
    return {name: from_file(cf) for name, cf in cypher_files.saved_queries().items()}


def get(name: str) -> SavedQuery:
    """The saved query called ``name``; :class:`NotFound` lists close names."""
    queries = saved()
    if name not in queries:
        import difflib

        close = difflib.get_close_matches(name, list(queries), n=3)
        hint = f" (did you mean {', '.join(close)}?)" if close else ""
        raise NotFound(f"no saved query named {name!r}{hint}; `graphlink query --list` lists them")
    return queries[name]


def bind(params: tuple[Param, ...], raw: Mapping[str, Any], *, query: str = "") -> dict[str, Any]:
    """Typed parameter values for a run: given values coerced, defaults filled in.

    Raises :class:`InputError` naming the first missing required parameter, or an
    unknown one (a typo would otherwise be silently ignored).
    """
    known = {p.name for p in params}
    unknown = sorted(set(raw) - known)
    where = f"saved query {query!r}" if query else "this query"
    if unknown:
        accepted = ", ".join(p.describe() for p in params) or "none"
        raise InputError(f"{where} has no parameter ${unknown[0]} (it takes: {accepted})")
    values: dict[str, Any] = {}
    for p in params:
        if p.name in raw:
            values[p.name] = coerce(raw[p.name], p.type, name=p.name)
        elif p.required:
            raise InputError(
                f"{where} needs parameter ${p.name} ({p.type}): pass --param {p.name}=VALUE"
            )
        else:
            values[p.name] = p.default
    return values


def parse_assignments(pairs: list[str] | tuple[str, ...]) -> dict[str, str]:
    """``["k=3", "since=2026-11-01"]`` -> ``{"k": "3", "since": "2026-11-01"}``."""
    out: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise InputError(f"--param expects key=value, got {pair!r}")
        out[key.strip().lstrip("$")] = value
    return out


def run(store: GraphStore, name: str, raw: Mapping[str, Any] | None = None) -> pd.DataFrame:
    """Run saved query ``name`` with parameters ``raw`` (strings or typed values).

    >>> run(store, "cluster_members", {"cluster_id": "c-000001"})  # doctest: +SKIP
    """
    q = get(name)
    values = bind(q.params, raw or {}, query=name)
    return store.query_df(q.body, values, name=f"queries/{name}")


def explain(store: GraphStore, name: str, raw: Mapping[str, Any] | None = None) -> list[str]:
    """Operator names of the query's plan (``EXPLAIN``; nothing is executed)."""
    q = get(name)
    return plan_of(store, q.body, bind(q.params, raw or {}, query=name), label=f"queries/{name}")


def plan_of(store: GraphStore, body: str, params: Mapping[str, Any], *, label: str) -> list[str]:
    """Operators (``type details``) of the plan of any statement, depth first (``EXPLAIN``)."""

    def _plan(session: Any) -> list[str]:
        summary = session.run("EXPLAIN " + body, dict(params)).consume()
        ops: list[str] = []

        def walk(node: Any) -> None:
            ops.append(f"{node['operatorType']} {node.get('args', {}).get('Details', '')}")
            for child in node.get("children", []):
                walk(child)

        walk(summary.plan)
        return ops

    return store.run_in_session(f"{label}/explain", _plan)


def example_params(store: GraphStore) -> dict[str, dict[str, Any]]:
    """Parameters for every saved query, taken from the data (benchmarks, smoke tests).

    Anchors on the riskiest cluster of the current run: two of its members, an
    IP, proxy provider, identifier and card they share, its earliest sign-up,
    and the newest ban wave.  Raises :class:`NotFound` when no run has clusters.
    """
    top = run(store, "top_risky_clusters", {"limit": 1})
    if top.empty:
        raise NotFound("no clusters in the current detection run: run graphlink detect first")
    cluster_id, run_id = str(top.iloc[0]["cluster_id"]), str(top.iloc[0]["run_id"])
    members = run(store, "cluster_members", {"cluster_id": cluster_id})
    a, b = str(members.iloc[0]["account_id"]), str(members.iloc[-1]["account_id"])
    links = store.read_df(
        "report/cluster_links", cluster_key=f"{run_id}/{cluster_id}", min_shared=2
    )
    first = {str(k): g.iloc[0] for k, g in links.groupby("kind")} if not links.empty else {}
    ip = str(first["IP"]["target"]) if "IP" in first else ""
    provider = next((p for p in links.get("proxy_provider", []) if isinstance(p, str) and p), "")
    kind, _, value = (
        str(first["Identifier"]["target"]) if "Identifier" in first else ":"
    ).partition(":")
    created = list(members["created_at"])
    since = min(created)
    wave = store.read("report/latest_wave")
    wave_id = str(wave[0]["wave_id"]) if wave else ""
    return {
        "account_neighbourhood": {"account_id": a, "k": 2},
        "account_profile": {"account_id": a},
        "banwave_changes": {"wave_id": wave_id},
        "banwave_entry_evidence": {"wave_id": wave_id, "account_id": a},
        "bridge_ips": {},
        "cluster_history": {"cluster_id": cluster_id},
        "cluster_members": {"cluster_id": cluster_id},
        "identifier_accounts": {"kind": kind, "value": value},
        "ip_accounts": {"ip": ip},
        "linking_path": {"account_a": a, "account_b": b},
        "new_signups_near_risky_clusters": {"since": since},
        "protected_in_banwave": {"wave_id": wave_id},
        "proxy_provider_accounts": {"provider": provider},
        "shared_payment_instruments": {"min_accounts": 3},
        "similar_accounts": {"account_id": a},
        "top_risky_clusters": {},
    }


def plan_problems(ops: list[str], anchors: tuple[str, ...]) -> list[str]:
    """What is wrong with a plan (operators from :func:`explain`); empty when fine.

    A saved query must not scan every node or every Account, and must seek one
    of its declared ``// anchor:`` indexes (``Label(property)``).

    >>> plan_problems(["NodeByLabelScan@neo4j a:Account"], ())
    ['NodeByLabelScan@neo4j a:Account']
    """
    problems = [op for op in ops if op.startswith("AllNodesScan")]
    problems += [op for op in ops if op.startswith("NodeByLabelScan") and ":Account" in op]
    if anchors and not any("Seek" in op and a in op for op in ops for a in anchors):
        problems.append(f"no index seek on {' or '.join(anchors)}")
    return problems


# -- presenting results --------------------------------------------------------
def plain(value: Any) -> Any:
    """A JSON/CSV-friendly version of a Neo4j value (temporal -> ISO string)."""
    if value is None:
        return None
    if isinstance(value, float) and pd.isna(value):
        return None
    if hasattr(value, "iso_format"):
        return value.iso_format()
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        try:
            return value.item()
        except (ValueError, AttributeError):
            return str(value)
    return value


def records(df: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows as plain dicts (for JSON output)."""
    return [{col: plain(v) for col, v in row.items()} for row in df.to_dict(orient="records")]


def cell_text(value: Any) -> str:
    """One table/CSV cell: lists joined with ``; ``, maps as ``k=v``."""
    value = plain(value)
    if value is None:
        return ""
    if isinstance(value, list):
        return "; ".join(cell_text(v) for v in value)
    if isinstance(value, dict):
        return ", ".join(f"{k}={cell_text(v)}" for k, v in value.items())
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)
