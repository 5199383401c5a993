// The clusters of one run, riskiest first.
// params: $run_id
MATCH (c:Cluster {run_id: $run_id})
RETURN c.cluster_id AS cluster_id, c.size AS size, c.risk AS risk, coalesce(c.reasons, []) AS reasons,
       c.parent_cluster_id AS parent_cluster_id, c.features_json AS features_json
ORDER BY risk DESC, cluster_id
