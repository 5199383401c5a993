// name: cluster_history
// description: A cluster's lineage across detection runs (CONTINUES): size and risk per run, and whether it was new, grew, shrank, merged or split.
// params: $cluster_id: string
// anchor: Cluster(cluster_id)
// example: graphlink query cluster_history --param cluster_id=c-000001
// Follows CONTINUES up to 20 runs back (ancestors) and forward (descendants) from
// every cluster carrying this id, so merged-in and split-off clusters show too;
// runs still in progress are left out.
MATCH (c0:Cluster {cluster_id: $cluster_id})
USING INDEX c0:Cluster(cluster_id)
CALL (c0) {
  MATCH (c0)-[:CONTINUES*0..20]->(x:Cluster)
  RETURN x
  UNION
  MATCH (x:Cluster)-[:CONTINUES*1..20]->(c0)
  RETURN x
}
WITH DISTINCT x
MATCH (x)-[:IN_RUN]->(r:DetectionRun)
WHERE r.status = 'complete'
OPTIONAL MATCH (x)-[k:CONTINUES]->(prev:Cluster)
WITH x, r, prev, k, CASE WHEN prev IS NULL THEN 0 ELSE COUNT { (:Cluster)-[:CONTINUES]->(prev) } END AS prev_successors
WITH x, r,
     [p IN collect(CASE WHEN prev IS NOT NULL THEN {cluster_key: prev.cluster_key, size: prev.size, jaccard: k.jaccard} END) WHERE p IS NOT NULL] AS continues,
     sum(prev.size) AS prev_size, max(prev_successors) AS max_prev_successors
CALL (x) {
  OPTIONAL MATCH (nxt:Cluster)-[:CONTINUES]->(x)
  RETURN collect(nxt.cluster_key) AS continued_by
}
RETURN r.created_at AS run_created_at, r.run_id AS run_id, r.status AS run_status,
       x.cluster_id AS cluster_id, x.size AS size, x.risk AS risk, x.reasons AS reasons,
       [p IN continues | p.cluster_key + ' (j=' + toString(round(p.jaccard, 2)) + ')'] AS continues,
       continued_by,
       CASE
         WHEN size(continues) = 0 THEN 'new'
         WHEN size(continues) > 1 THEN 'merged'
         WHEN max_prev_successors > 1 THEN 'split'
         WHEN x.size > prev_size THEN 'grew'
         WHEN x.size < prev_size THEN 'shrank'
         ELSE 'stable'
       END AS event
ORDER BY run_created_at, cluster_id
