// name: api/apikey_all
// description: Every API key (active and revoked) with its hash: the key set the service holds in
//   memory and refreshes every few seconds, so that verifying a request never needs Neo4j.
// params: none
MATCH (k:ApiKey)
RETURN k.key_hash AS key_hash, k.name AS name, k.prefix AS prefix, k.scopes AS scopes,
       k.created_at AS created_at, k.revoked_at AS revoked_at
