// name: api/index_members
// description: Every member of a cluster of run $run_id with its account risk, plan and mail domain.
// params: $run_id
MATCH (a:Account)-[m:MEMBER_OF {run_id: $run_id}]->(c:Cluster {run_id: $run_id})
RETURN a.account_id AS account_id, c.cluster_id AS cluster_id, m.account_risk AS account_risk,
       m.reasons AS reasons, a.plan AS plan, a.email_domain AS email_domain
