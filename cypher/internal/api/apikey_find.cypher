// name: api/apikey_find
// description: Active keys whose name equals $needle or whose display prefix starts with it.
// params: $needle
MATCH (k:ApiKey)
WHERE k.revoked_at IS NULL AND (k.name = $needle OR k.prefix STARTS WITH $needle)
RETURN k.key_hash AS key_hash, k.name AS name, k.prefix AS prefix
