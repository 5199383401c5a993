// description: One cluster and its detection run; $run_id '' means the current (latest complete) run.
// params: $cluster_id, $run_id
CALL () {
  MATCH (r:DetectionRun)
  WHERE ($run_id = '' AND r.status = 'complete') OR r.run_id = $run_id
  RETURN r
  ORDER BY r.created_at DESC
  LIMIT 1
}
MATCH (c:Cluster {cluster_key: r.run_id + '/' + $cluster_id})
OPTIONAL MATCH (c)-[k:CONTINUES]->(prev:Cluster)
WITH r, c, collect(prev.cluster_key + ' (jaccard ' + toString(round(k.jaccard, 2)) + ')') AS continues
RETURN c.cluster_key AS cluster_key, c.cluster_id AS cluster_id, c.run_id AS run_id, c.size AS size,
       c.risk AS risk, c.reasons AS reasons, c.features_json AS features_json,
       r.created_at AS run_created_at, r.algorithm AS algorithm, r.objective AS objective,
       r.resolution AS resolution, r.seed AS seed, continues
