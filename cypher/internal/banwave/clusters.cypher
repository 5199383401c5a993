// name: banwave/clusters
// description: Clusters of a run whose risk reaches $min_risk (a wave never reads the rest).
// params: $run_id, $min_risk
MATCH (c:Cluster {run_id: $run_id})
WHERE c.risk >= $min_risk
RETURN c.cluster_id AS cluster_id, c.cluster_key AS cluster_key, c.size AS size, c.risk AS risk,
       coalesce(c.reasons, []) AS reasons, c.features_json AS features_json
ORDER BY risk DESC, cluster_id
