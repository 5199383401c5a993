// Every (account, identifier) link (device, phone_hash, referral_code, ...), as ONE record of parallel lists.
// params: none
MATCH (a:Account)-[:HAS_IDENTIFIER]->(i:Identifier)
RETURN collect(a.account_id) AS account_id, collect(coalesce(i.kind, '')) AS kind,
       collect(coalesce(i.value, '')) AS value
