// name: api/apikey_list
// description: Every API key (active and revoked), newest first; never the key itself.
// params: none
MATCH (k:ApiKey)
RETURN k.name AS name, k.prefix AS prefix, k.scopes AS scopes, k.created_at AS created_at,
       k.revoked_at AS revoked_at
ORDER BY k.created_at DESC
