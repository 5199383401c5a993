// name: api/index_accounts
// description: Every account's lookup fields, for the service's compact in-memory table.
// params: none
MATCH (a:Account)
RETURN a.account_id AS account_id, a.created_at.epochMillis AS created_ms, a.status AS status,
       a.plan AS plan, a.country AS country, a.org_id AS org_id
