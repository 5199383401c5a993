// Every account with what detection scores on (creation time as epoch ms: cheap to transfer).
// params: none
MATCH (a:Account)
RETURN a.account_id AS account_id, a.created_at.epochMillis AS created_ms, a.email_domain AS email_domain,
       a.country AS country, a.plan AS plan, a.org_id AS org_id, a.status AS status
