// name: api/cluster_members
// description: One page of the members of cluster $cluster_id in run $run_id, by account id,
//   strictly after $after (keyset pagination; '' for the first page).
// params: $run_id, $cluster_id, $after, $limit
MATCH (c:Cluster {cluster_key: $run_id + '/' + $cluster_id})
MATCH (a:Account)-[m:MEMBER_OF]->(c)
WHERE a.account_id > $after
RETURN a.account_id AS account_id, m.account_risk AS account_risk, m.reasons AS reasons,
       a.plan AS plan, a.country AS country, a.created_at AS created_at, a.status AS status
ORDER BY a.account_id
LIMIT $limit
