// name: api/apikey_create
// description: Store a new API key by its sha256 hash (the key itself is never stored).
//   Refuses (returns no row) when an active key already has the same name.
// params: $key_hash, $prefix, $name, $scopes, $created_at
OPTIONAL MATCH (same:ApiKey {name: $name}) WHERE same.revoked_at IS NULL
WITH count(same) AS clashes
WHERE clashes = 0
CREATE (k:ApiKey {key_hash: $key_hash, prefix: $prefix, name: $name, scopes: $scopes,
                  created_at: $created_at, revoked_at: null})
RETURN k.name AS name, k.prefix AS prefix, k.scopes AS scopes, k.created_at AS created_at
