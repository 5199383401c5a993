"""Request and response models of the HTTP API (``/v1``).

Requests and responses are separate classes so that store rows never leak
out: routes build responses field by field.  Request models forbid unknown
fields and bound every string and list, so a typo or an oversized body is a
422 naming the field rather than something silently ignored.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    WithJsonSchema,
    field_validator,
)

from graphlink.banwave import (
    DEFAULT_MIN_CONFORMITY,
    DEFAULT_MIN_RISK,
    DEFAULT_OWN_DOMAIN_SHARE,
    DEFAULT_VERIFIED_ORG_MIN_RISK,
)
from graphlink.ipnorm import normalize_ip
from graphlink.pii import luhn_valid
from graphlink.signup import BLOCK_AT, REVIEW_AT

# Constraints are all expressible in the OpenAPI schema (no silent stripping), so what the
# schema calls valid is exactly what the API accepts.
#: Whitespace spelled out: ``\s`` differs between regex engines (Python's ``re``, which
#: schemathesis/hypothesis generate from, counts U+001C-U+001F as space; pydantic's Rust
#: ``regex`` does not, and they disagreed on U+0085), so "what the schema calls valid is
#: what the API accepts" needs one explicit class both engines read the same way.
_SPACE = "\t\n\x0b\x0c\r \x1c\x1d\x1e\x1f\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
#: At least one character that is not whitespace.
NOT_BLANK = f"[^{_SPACE}]"
#: A string that is not blank.
Text = Annotated[str, StringConstraints(min_length=1, max_length=256, pattern=NOT_BLANK)]
Kind = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.\-]+$")]
Domain = Annotated[str, StringConstraints(min_length=1, max_length=253, pattern=f"^[^@{_SPACE}]+$")]
#: An IPv4 or IPv6 address (normalised by the validator below).
IpText = Annotated[
    str,
    StringConstraints(min_length=2, max_length=64),
    WithJsonSchema({"type": "string", "anyOf": [{"format": "ipv4"}, {"format": "ipv6"}],
                    "examples": ["203.0.113.10", "2001:db8::1"]}),
]

_CARD_CHARS = re.compile(r"^[0-9 \-]+$")


def looks_like_card_number(value: str) -> bool:
    """13-19 digits (spaces/dashes allowed) passing the Luhn check: a raw card number.

    >>> looks_like_card_number("4111 1111 1111 1111"), looks_like_card_number("pi-4111")
    (True, False)
    """
    if not _CARD_CHARS.match(value):
        return False
    digits = "".join(c for c in value if c.isdigit())
    if not 13 <= len(digits) <= 19:
        return False
    return bool(luhn_valid(np.array([digits]))[0])


# --------------------------------------------------------------------------- requests
class IdentifierIn(BaseModel):
    """Any other identifier of the sign-up, as the graph keys it (``kind:value``)."""

    model_config = ConfigDict(extra="forbid")
    kind: Kind = Field(description="device, phone_hash, oauth_subject, referral_code, …")
    value: Text


class SignupCheckRequest(BaseModel):
    """What is known about a sign-up in progress; every field is optional."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "email_domain": "mailbox.example",
                    "ip": "203.0.113.10",
                    "payment_instrument": "pi-7f3a9c",
                    "device": "dev-4411",
                    "identifiers": [{"kind": "phone_hash", "value": "ph-19ab"}],
                    "plan": "free",
                }
            ]
        },
    )

    email_domain: Domain | None = Field(None, description="Domain of the sign-up e-mail.")
    ip: IpText | None = Field(None, description="IPv4 or IPv6 address the sign-up comes from.")
    payment_instrument: Text | None = Field(
        None,
        description="Opaque instrument fingerprint. A raw card number is refused (422) and "
        "never stored or logged.",
    )
    device: Text | None = Field(None, description="Device fingerprint (identifier kind 'device').")
    identifiers: list[IdentifierIn] = Field(default_factory=list, max_length=32)
    plan: (
        Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=NOT_BLANK)] | None
    ) = None

    @field_validator("ip")
    @classmethod
    def _normalise_ip(cls, v: str | None) -> str | None:
        if v is None:
            return None
        ip = normalize_ip(v)  # the spelling ingest keys IP nodes by
        if ip is None:
            raise ValueError("not an IPv4 or IPv6 address")
        return ip

    @field_validator("email_domain")
    @classmethod
    def _domain(cls, v: str | None) -> str | None:
        if v is None:
            return None
        return v.lower()

    @field_validator("payment_instrument")
    @classmethod
    def _no_card_numbers(cls, v: str | None) -> str | None:
        if v is not None and looks_like_card_number(v):
            raise ValueError(
                "looks like a raw card number; send the instrument's fingerprint instead"
            )
        return v


# --------------------------------------------------------------------------- responses
class Thresholds(BaseModel):
    review: float = Field(description="risk from which the hint is 'review'")
    block: float = Field(
        description="risk from which the hint is 'block' (when something other "
        "than an address ties the sign-up to the ring; else 'review')"
    )


class TouchedCluster(BaseModel):
    cluster_id: str
    risk: float
    size: int
    reasons: list[str]
    ring: str = Field(
        description="the campaign (ring) the cluster belongs to: the id of its "
        "campaign's lead cluster, else its own; a ring's clusters count together"
    )
    matched_on: list[str] = Field(
        description="what the sign-up shares with the cluster "
        "(things specific enough to it to name)"
    )
    specificity: float = Field(
        ge=0,
        le=1,
        description="how specific the shared things are to "
        "this cluster: share of their users that are its members, combined",
    )
    evidence: float = Field(
        ge=0,
        le=1,
        description="the cluster's own evidence: its risk x "
        "specificity (the sign-up's risk counts its ring's clusters together)",
    )


class IpSignals(BaseModel):
    proxy_provider: str | None
    is_datacenter: bool


class SignupCheckResponse(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "run_id": "run-20261123-1200",
                    "risk": 0.8731,
                    "decision": "block",
                    "thresholds": {"review": REVIEW_AT, "block": BLOCK_AT},
                    "reasons": ["ip_in_ring", "instrument_in_ring", "proxy_provider"],
                    "clusters": [
                        {
                            "cluster_id": "c-000001",
                            "risk": 0.93,
                            "size": 9,
                            "reasons": ["prepaid_card_shared", "proxy_provider"],
                            "ring": "c-000001",
                            "matched_on": ["ip", "payment_instrument"],
                            "specificity": 0.99,
                            "evidence": 0.9207,
                        }
                    ],
                    "ip": {"proxy_provider": "SwiftProxy", "is_datacenter": True},
                }
            ]
        }
    )

    run_id: str
    risk: float = Field(ge=0, le=1)
    decision: Literal["allow", "review", "block"]
    thresholds: Thresholds
    reasons: list[str]
    clusters: list[TouchedCluster]
    ip: IpSignals | None = Field(None, description="flags of the IP, when it is a known one")


class ClusterRef(BaseModel):
    cluster_id: str
    risk: float
    size: int
    reasons: list[str]


class BanRef(BaseModel):
    wave_id: str
    created_at: datetime | None
    reasons: list[str]
    cluster_id: str | None
    cluster_risk: float | None


class AccountResponse(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "account_id": "acct-000123",
                    "status": "active",
                    "plan": "free",
                    "country": "SG",
                    "created_at": "2026-11-01T08:00:00Z",
                    "org_id": None,
                    "run_id": "run-20261123-1200",
                    "cluster": {
                        "cluster_id": "c-000001",
                        "risk": 0.93,
                        "size": 9,
                        "reasons": ["prepaid_card_shared", "proxy_provider"],
                    },
                    "account_risk": 0.93,
                    "reasons": ["prepaid_card_shared"],
                    "banned": True,
                    "ban_wave": {
                        "wave_id": "wave-0002",
                        "created_at": "2026-11-16T00:00:00Z",
                        "reasons": ["prepaid_card_shared", "proxy_provider"],
                        "cluster_id": "c-000001",
                        "cluster_risk": 0.93,
                    },
                }
            ]
        }
    )

    account_id: str
    status: str | None
    plan: str | None
    country: str | None
    created_at: datetime | None
    org_id: str | None
    run_id: str = Field(description="the detection run the cluster fields come from")
    cluster: ClusterRef | None = Field(description="null when the account is in no cluster")
    account_risk: float | None
    reasons: list[str]
    banned: bool
    ban_wave: BanRef | None = Field(description="the latest committed wave that includes it")


class ClusterPage(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "run_id": "run-20261123-1200",
                    "items": [
                        {
                            "cluster_id": "c-000001",
                            "risk": 0.93,
                            "size": 9,
                            "reasons": ["prepaid_card_shared"],
                        }
                    ],
                    "next_cursor": "eyJyIjoicnVuLTEiLCJrIjpbMC45MywiYy0wMDAwMDEiXX0",
                }
            ]
        }
    )

    run_id: str
    items: list[ClusterRef]
    next_cursor: str | None = Field(
        description="pass as ?cursor= for the next page; null at the end"
    )


class InstrumentEvidence(BaseModel):
    instrument_id: str
    kind: str | None
    accounts: int


class IpEvidence(BaseModel):
    ip: str
    accounts: int
    proxy_provider: str | None
    is_datacenter: bool | None


class ProviderEvidence(BaseModel):
    name: str
    accounts: int


class IdentifierEvidence(BaseModel):
    kind: str | None
    value: str | None
    accounts: int


class SimilarityEvidence(BaseModel):
    signal: str | None
    pairs: int
    max_score: float | None
    mean_score: float | None


class Evidence(BaseModel):
    shared_instruments: list[InstrumentEvidence]
    shared_ips: list[IpEvidence]
    proxy_providers: list[ProviderEvidence]
    shared_identifiers: list[IdentifierEvidence]
    similarity: list[SimilarityEvidence]


class ClusterResponse(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "run_id": "run-20261123-1200",
                    "cluster_id": "c-000001",
                    "risk": 0.93,
                    "size": 9,
                    "reasons": ["prepaid_card_shared", "proxy_provider"],
                    "dominant_plan": "free",
                    "parent_cluster_id": None,
                    "features": {},
                    "evidence": {
                        "shared_instruments": [
                            {"instrument_id": "pi-prepaid-1", "kind": "prepaid", "accounts": 9}
                        ],
                        "shared_ips": [
                            {
                                "ip": "203.0.113.10",
                                "accounts": 5,
                                "proxy_provider": "SwiftProxy",
                                "is_datacenter": True,
                            }
                        ],
                        "proxy_providers": [{"name": "SwiftProxy", "accounts": 9}],
                        "shared_identifiers": [
                            {"kind": "device", "value": "dev-ring-1", "accounts": 3}
                        ],
                        "similarity": [
                            {
                                "signal": "prompt_template",
                                "pairs": 7,
                                "max_score": 0.96,
                                "mean_score": 0.93,
                            }
                        ],
                    },
                }
            ]
        }
    )

    run_id: str
    cluster_id: str
    risk: float
    size: int
    reasons: list[str]
    dominant_plan: str | None
    parent_cluster_id: str | None
    features: dict[str, Any] | None
    evidence: Evidence


class Member(BaseModel):
    account_id: str
    account_risk: float | None
    reasons: list[str]
    plan: str | None
    country: str | None
    created_at: datetime | None
    status: str | None


class MemberPage(BaseModel):
    run_id: str
    cluster_id: str
    items: list[Member]
    next_cursor: str | None = Field(
        description="pass as ?cursor= for the next page; null at the end"
    )


class BanWaveSummary(BaseModel):
    wave_id: str
    created_at: datetime | None
    run_id: str | None
    min_risk: float | None
    n_accounts: int | None
    n_clusters: int | None
    protected_skipped: int | None
    previous_wave_id: str | None


class BanWavePage(BaseModel):
    items: list[BanWaveSummary]
    next_cursor: str | None


class BanWaveEntry(BaseModel):
    account_id: str
    cluster_id: str | None
    cluster_risk: float | None
    reasons: list[str]


class BanWaveDetail(BanWaveSummary):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "wave_id": "wave-0002",
                    "created_at": "2026-11-16T00:00:00Z",
                    "run_id": "run-2",
                    "min_risk": 0.8,
                    "n_accounts": 9,
                    "n_clusters": 1,
                    "protected_skipped": 0,
                    "previous_wave_id": "wave-0001",
                    "params": {"min_risk": 0.8},
                    "evidence": [],
                    "entries": [
                        {
                            "account_id": "r01",
                            "cluster_id": "c-000001",
                            "cluster_risk": 0.93,
                            "reasons": ["prepaid_card_shared", "proxy_provider"],
                        }
                    ],
                }
            ]
        }
    )

    params: dict[str, Any] | None
    evidence: Any = None
    entries: list[BanWaveEntry]


class BanWaveRequest(BaseModel):
    """Plan a ban wave from the current (or given) detection run; commit it if asked.

    Same selection as ``graphlink banwave``: members of clusters with risk >= ``min_risk``,
    never an allowlisted account, verified-organisation accounts (and clusters on one
    e-mail domain of their own) only from ``verified_org_min_risk`` on, every banned
    account with a reason.
    """

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "commit": False,
                    "min_risk": 0.85,
                    "allowlist": ["acct-000042"],
                    "entries_limit": 100,
                }
            ]
        },
    )

    # strict: a JSON true is not the number 1 and "1" is not a boolean (what the schema
    # calls invalid, the API refuses; an integer is still a valid number)
    commit: bool = Field(
        False, strict=True, description="record the wave (default: dry run, nothing written)"
    )
    min_risk: float = Field(DEFAULT_MIN_RISK, ge=0, le=1, strict=True)
    verified_org_min_risk: float = Field(DEFAULT_VERIFIED_ORG_MIN_RISK, ge=0, le=1, strict=True)
    own_domain_share: float = Field(
        DEFAULT_OWN_DOMAIN_SHARE, ge=0, le=1, strict=True,
        description="clusters on one e-mail domain of their own (this share of members, this "
        "share of the domain's accounts) get the verified-org bar; 0: off",
    )
    min_conformity: float = Field(
        DEFAULT_MIN_CONFORMITY, ge=0, le=1, strict=True,
        description="a member showing less than this share of its cluster's reasons is "
        "skipped as atypical_member, for review; 0: off",
    )
    allowlist: list[Text] = Field(
        default_factory=list, max_length=100_000, description="account ids never to ban"
    )
    run_id: Text | None = Field(None, description="detection run (default: the current one)")
    entries_limit: int = Field(
        1000, ge=0, le=100_000, description="at most this many entries in the response"
    )

    @field_validator("entries_limit", mode="before")
    @classmethod
    def _a_number(cls, v: object) -> object:
        # not strict=True: JSON Schema counts 100.0 as an integer, so the API must too
        if isinstance(v, bool | str):
            raise ValueError("must be an integer")
        return v


class WaveChanges(BaseModel):
    previous_wave_id: str | None
    new: int
    dropped: int
    kept: int


class BanWavePlanResponse(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "committed": True,
                    "wave_id": "wave-0003",
                    "run_id": "run-2",
                    "params": {
                        "min_risk": 0.85,
                        "protect_verified_orgs": True,
                        "verified_org_min_risk": 0.98,
                        "allowlist": 1,
                        "allowlist_source": None,
                    },
                    "n_accounts": 8,
                    "n_clusters": 1,
                    "n_skipped": 1,
                    "protected_skipped": 1,
                    "accounts_per_reason": {"prepaid_card_shared": 8, "proxy_provider": 8},
                    "changes": {"previous_wave_id": "wave-0002", "new": 0, "dropped": 1, "kept": 8},
                    "entries": [
                        {
                            "account_id": "r01",
                            "cluster_id": "c-000001",
                            "cluster_risk": 0.93,
                            "reasons": ["prepaid_card_shared", "proxy_provider"],
                        }
                    ],
                    "entries_truncated": False,
                    "note": None,
                }
            ]
        }
    )

    committed: bool
    wave_id: str | None = Field(description="null for a dry run")
    run_id: str | None
    params: dict[str, Any]
    n_accounts: int
    n_clusters: int
    n_skipped: int
    protected_skipped: int
    accounts_per_reason: dict[str, int]
    changes: WaveChanges = Field(description="against the latest committed wave")
    entries: list[BanWaveEntry]
    entries_truncated: bool
    note: str | None = None


class Health(BaseModel):
    status: Literal["ok"] = "ok"


class KeySetState(BaseModel):
    """The in-memory API key set: how many keys, as of when, stale since when."""

    keys: int = Field(description="stored keys held in memory (active and revoked)")
    active: int
    loaded_at: datetime | None = Field(description="when the key set was last read from Neo4j")
    stale_since: datetime | None = Field(
        None,
        description="first failed refresh since then (Neo4j unreachable): keys revoked or "
        "created since `loaded_at` are not known",
    )


class Ready(BaseModel):
    ready: bool = Field(description="this process can serve its hot path (a run and keys loaded)")
    status: Literal["ok", "degraded", "unavailable"] = Field(
        "ok",
        description="degraded: Neo4j is down; the sign-up check and account lookups still "
        "answer from memory, endpoints that need Neo4j answer 503",
    )
    store: Literal["ok", "unavailable"]
    store_down_since: datetime | None = None
    run_id: str | None
    index: dict[str, int] | None
    api_keys: KeySetState | None = None
    detail: str | None = None


# --------------------------------------------------------------------------- errors
class FieldError(BaseModel):
    field: str = Field(
        description="dotted path of the offending field, e.g. 'ip' or 'identifiers.0.kind'"
    )
    # ``in`` is a Python keyword: the JSON name is given by the alias.
    in_: str = Field(alias="in", description="body, query, path or header")
    message: str


class ErrorDetail(BaseModel):
    status: int
    code: str = Field(
        description="unauthorized, forbidden, invalid_input, not_found, stale_cursor, "
        "store_unavailable, no_detection_run, internal_error, …"
    )
    message: str
    fields: list[FieldError] | None = Field(None, description="for 422: the fields refused")


class ErrorBody(BaseModel):
    """Every error response has this shape."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "error": {
                        "status": 403,
                        "code": "forbidden",
                        "message": "API key 'ops' lacks scope 'signup:check'",
                    }
                }
            ]
        }
    )
    error: ErrorDetail


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` entries for the given error statuses."""
    text = {
        401: "missing, unknown or revoked API key",
        403: "the key lacks the endpoint's scope",
        404: "unknown id",
        409: "the cursor belongs to an older detection run",
        422: "invalid body or parameters (each offending field is named)",
        503: "Neo4j unreachable or no detection run loaded yet",
    }
    return {s: {"model": ErrorBody, "description": text[s]} for s in statuses}


#: What every authenticated endpoint may answer besides 200.
AUTH_ERRORS = error_responses(401, 403, 422, 503)
