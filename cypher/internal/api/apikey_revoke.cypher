// name: api/apikey_revoke
// description: Mark one key revoked (it stays listed, with the time it stopped working).
// params: $key_hash, $revoked_at
MATCH (k:ApiKey {key_hash: $key_hash})
WHERE k.revoked_at IS NULL
SET k.revoked_at = $revoked_at
RETURN k.name AS name, k.prefix AS prefix, k.revoked_at AS revoked_at
