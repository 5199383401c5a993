// Columnar read-out (graphlink/detect/readout.py): every account with its node id and what
// detection scores on, as ONE record of parallel lists.  Nulls as '' / -1 so the lists stay aligned.
// params: none
MATCH (a:Account)
RETURN collect(id(a)) AS node, collect(a.account_id) AS account_id,
       collect(coalesce(a.created_at.epochMillis, -1)) AS created_ms,
       collect(coalesce(a.email_domain, '')) AS email_domain, collect(coalesce(a.country, '')) AS country,
       collect(coalesce(a.plan, '')) AS plan, collect(coalesce(a.org_id, '')) AS org_id,
       collect(coalesce(a.status, '')) AS status
