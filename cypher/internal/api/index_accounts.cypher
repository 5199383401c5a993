// name: api/index_accounts
// description: Every account's lookup fields, for the service's compact in-memory table, as ONE
// record of parallel lists (a million records decode ~10x slower than six lists: api/index.py).
// Nulls as '' / the smallest 64-bit integer so the lists stay aligned (collect() drops nulls).
// params: none
MATCH (a:Account)
RETURN collect(a.account_id) AS account_id,
       collect(coalesce(a.created_at.epochMillis, -9223372036854775807 - 1)) AS created_ms,
       collect(coalesce(a.status, '')) AS status, collect(coalesce(a.plan, '')) AS plan,
       collect(coalesce(a.country, '')) AS country, collect(coalesce(a.org_id, '')) AS org_id
