// name: api/index_identifiers
// description: (identifier key kind:value, cluster) pairs for members of clusters of run $run_id.
// params: $run_id
MATCH (c:Cluster {run_id: $run_id})<-[:MEMBER_OF {run_id: $run_id}]-(:Account)-[:HAS_IDENTIFIER]->(i:Identifier)
RETURN DISTINCT i.key AS key, c.cluster_id AS cluster_id
