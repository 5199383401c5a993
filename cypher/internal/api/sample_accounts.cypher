// name: api/sample_accounts
// description: Up to $limit account ids, skipping the first $skip (benchmark request mixes).
// params: $skip, $limit
MATCH (a:Account)
RETURN a.account_id AS account_id
SKIP $skip
LIMIT $limit
