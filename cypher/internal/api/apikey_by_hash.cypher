// name: api/apikey_by_hash
// description: The key stored under a sha256 hash (what a request's bearer token hashes to).
// params: $key_hash
MATCH (k:ApiKey {key_hash: $key_hash})
RETURN k.name AS name, k.prefix AS prefix, k.scopes AS scopes, k.created_at AS created_at,
       k.revoked_at AS revoked_at
