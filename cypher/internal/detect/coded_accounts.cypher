// Columnar read-out (graphlink/detect/readout.py), one page: the next $limit accounts after
// $after in account-id order (a range seek on the unique index, no sort), each with its node id
// and what detection scores on, as ONE record of parallel lists.  Nulls as '' / -1 so the lists
// stay aligned (collect() drops nulls).  The page's last account id bounds the link pages.
// params: after (string, '' for the first page), limit (integer)
MATCH (a:Account) USING INDEX a:Account(account_id)
WHERE a.account_id > $after
WITH a ORDER BY a.account_id LIMIT $limit
RETURN collect(id(a)) AS node, collect(a.account_id) AS account_id,
       collect(coalesce(a.created_at.epochMillis, -1)) AS created_ms,
       collect(coalesce(a.email_domain, '')) AS email_domain, collect(coalesce(a.country, '')) AS country,
       collect(coalesce(a.plan, '')) AS plan, collect(coalesce(a.org_id, '')) AS org_id,
       collect(coalesce(a.status, '')) AS status
