// name: api/index_accounts
// description: One page of every account's lookup fields, for the service's compact in-memory
// table: the next $limit accounts after $after in account-id order (a range seek on the unique
// index, no sort), as ONE record of parallel lists (a million records decode ~40x slower than
// six lists: api/index.py).  Nulls as '' / the smallest 64-bit integer so the lists stay
// aligned (collect() drops nulls).
// params: after (string, '' for the first page), limit (integer)
MATCH (a:Account) USING INDEX a:Account(account_id)
WHERE a.account_id > $after
WITH a ORDER BY a.account_id LIMIT $limit
RETURN collect(a.account_id) AS account_id,
       collect(coalesce(a.created_at.epochMillis, -9223372036854775807 - 1)) AS created_ms,
       collect(coalesce(a.status, '')) AS status, collect(coalesce(a.plan, '')) AS plan,
       collect(coalesce(a.country, '')) AS country, collect(coalesce(a.org_id, '')) AS org_id
