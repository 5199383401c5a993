"""API keys for the HTTP service: create, verify, list, revoke.

A key is 256 bits from :mod:`secrets`, shown to its owner exactly once
(``glk_`` + 43 url-safe characters).  Only its SHA-256 hex digest is stored, as
``(:ApiKey {key_hash, prefix, name, scopes, created_at, revoked_at})``; a
plain (unsalted, fast) hash is enough because the key is high-entropy random
data, not a password, and a fast hash lets the service verify a bearer token
with one dictionary lookup.  ``prefix`` (the first 12 characters, 48 of the
256 bits) lets people tell keys apart in ``graphlink apikey list`` and revoke
one by it without the full key.

>>> key = generate_key()
>>> key.startswith(KEY_PREFIX) and len(key) == 47
True
>>> hash_key(key) == hash_key(key) and len(hash_key(key)) == 64
True
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from graphlink.errors import DuplicateKeyName, InputError, NotFound
from graphlink.store import GraphStore

KEY_PREFIX = "glk_"
#: Characters of the key kept in clear as its display prefix.
DISPLAY_PREFIX_LEN = 12

#: What a key may be allowed to do.  ``investigate:read`` covers every GET of
#: accounts, clusters and ban waves; ``banwave:write`` plans and commits waves.
SCOPES: tuple[str, ...] = ("signup:check", "investigate:read", "banwave:write")


@dataclass(frozen=True)
class KeyInfo:
    """What the store knows about a key (never the key itself)."""

    name: str
    prefix: str
    scopes: frozenset[str]
    created_at: datetime | None
    revoked_at: datetime | None = None

    @property
    def active(self) -> bool:
        return self.revoked_at is None

    def allows(self, scope: str) -> bool:
        return scope in self.scopes


@dataclass(frozen=True)
class CreatedKey:
    """A freshly created key: ``key`` is shown once and then forgotten."""

    key: str
    info: KeyInfo


def generate_key() -> str:
    """A new random key (256 bits of entropy)."""
    return KEY_PREFIX + secrets.token_urlsafe(32)


def hash_key(key: str) -> str:
    """SHA-256 hex digest of a key: what is stored and looked up."""
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()


def check_scopes(scopes: list[str] | tuple[str, ...]) -> list[str]:
    """Validate and de-duplicate scopes (order kept); refuse unknown ones by name."""
    if not scopes:
        raise InputError(f"a key needs at least one scope (one of {', '.join(SCOPES)})")
    unknown = [s for s in scopes if s not in SCOPES]
    if unknown:
        raise InputError(f"unknown scope(s) {', '.join(unknown)}; known: {', '.join(SCOPES)}")
    return list(dict.fromkeys(scopes))


def _info(row: dict[str, Any]) -> KeyInfo:
    return KeyInfo(
        name=row["name"],
        prefix=row.get("prefix") or "",
        scopes=frozenset(row.get("scopes") or ()),
        created_at=row.get("created_at"),
        revoked_at=row.get("revoked_at"),
    )


def create_key(
    store: GraphStore, *, name: str, scopes: list[str] | tuple[str, ...],
    now: datetime | None = None,
) -> CreatedKey:
    """Create and store a key; the returned ``key`` is the only copy in clear.

    Names are unique among active keys so that ``revoke(name)`` is unambiguous.
    """
    name = name.strip()
    if not name:
        raise InputError("a key needs a non-empty --name")
    scopes = check_scopes(scopes)
    key = generate_key()
    rows = store.write(
        "api/apikey_create",
        key_hash=hash_key(key),
        prefix=key[:DISPLAY_PREFIX_LEN],
        name=name,
        scopes=scopes,
        created_at=now or datetime.now(UTC),
    )
    if not rows:
        raise DuplicateKeyName(f"an active key named {name!r} already exists; revoke it first")
    return CreatedKey(key=key, info=_info(rows[0]))


def lookup(store: GraphStore, key: str) -> KeyInfo | None:
    """The stored key a bearer token hashes to, active or revoked; None if unknown."""
    return lookup_hash(store, hash_key(key))


def lookup_hash(store: GraphStore, key_hash: str) -> KeyInfo | None:
    """Like :func:`lookup`, given the hash (what the service caches by)."""
    rows = store.read("api/apikey_by_hash", key_hash=key_hash)
    return _info(rows[0]) if rows else None


def load_key_set(store: GraphStore) -> dict[str, KeyInfo]:
    """Every stored key, active and revoked, by hash: what the service holds in memory.

    Revoked keys are kept (not dropped) so that a revoked key is told apart
    from an unknown one.  Keys are few (people make them by hand), so the
    whole set is re-read on each refresh rather than diffed.
    """
    return {r["key_hash"]: _info(r) for r in store.read("api/apikey_all")}


def list_keys(store: GraphStore) -> list[KeyInfo]:
    """Every key, newest first."""
    return [_info(r) for r in store.read("api/apikey_list")]


def revoke(store: GraphStore, name_or_prefix: str, *, now: datetime | None = None) -> KeyInfo:
    """Revoke the one active key named ``name_or_prefix`` or whose prefix starts with it.

    An ambiguous prefix is refused (listing the candidates) rather than
    revoking several keys by accident.
    """
    needle = name_or_prefix.strip()
    if not needle:
        raise InputError("give the key's name or the start of its prefix")
    rows = store.read("api/apikey_find", needle=needle)
    exact = [r for r in rows if r["name"] == needle]
    matches = exact or rows
    if not matches:
        raise NotFound(f"no active API key named or prefixed {needle!r}")
    if len(matches) > 1:
        names = ", ".join(f"{r['name']} ({r['prefix']}…)" for r in matches)
        raise InputError(f"{needle!r} matches several active keys: {names}; be more specific")
    out = store.write(
        "api/apikey_revoke", key_hash=matches[0]["key_hash"], revoked_at=now or datetime.now(UTC)
    )
    if not out:
        raise NotFound(f"API key {needle!r} was revoked meanwhile")
    return KeyInfo(
        name=out[0]["name"], prefix=out[0]["prefix"] or "", scopes=frozenset(),
        created_at=None, revoked_at=_info(out[0] | {"scopes": []}).revoked_at,
    )
