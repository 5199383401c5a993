// name: api/index_clusters
// description: Every cluster of run $run_id (for the service's in-memory index), with its
//   campaign parent (the sign-up check weighs a campaign's clusters together as one ring).
// params: $run_id
MATCH (c:Cluster {run_id: $run_id})
RETURN c.cluster_id AS cluster_id, c.risk AS risk, c.size AS size, c.reasons AS reasons,
       c.parent_cluster_id AS parent_cluster_id
