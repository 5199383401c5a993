// Every (account, identifier) link: device, phone_hash, referral_code, ...
// params: none
MATCH (a:Account)-[:HAS_IDENTIFIER]->(i:Identifier)
RETURN a.account_id AS account_id, i.kind AS kind, i.value AS value
