// name: api/index_domain_totals
// description: Number of accounts per e-mail domain, for the domains of members of clusters of
//   run $run_id (one scan of the accounts, not one per domain).
// params: $run_id
MATCH (a:Account)-[:MEMBER_OF {run_id: $run_id}]->(:Cluster {run_id: $run_id})
WHERE a.email_domain IS NOT NULL
WITH collect(DISTINCT a.email_domain) AS domains
MATCH (b:Account)
WHERE b.email_domain IN domains
RETURN b.email_domain AS domain, count(*) AS accounts
