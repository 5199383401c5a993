// The members of one run's clusters with account-level risk and reasons.
// params: $run_id
MATCH (c:Cluster {run_id: $run_id})<-[m:MEMBER_OF]-(a:Account)
RETURN a.account_id AS account_id, c.cluster_id AS cluster_id, m.account_risk AS account_risk,
       coalesce(m.reasons, []) AS reasons, c.size AS cluster_size, c.risk AS cluster_risk
