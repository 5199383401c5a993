// name: api/index_identifiers
// description: Identifiers (key kind:value) of members of clusters of run $run_id: per (identifier,
//   cluster) the number of the cluster's members with it, and the number of accounts (clustered or
//   not) with it at all.
// params: $run_id
MATCH (c:Cluster {run_id: $run_id})<-[:MEMBER_OF {run_id: $run_id}]-(a:Account)-[:HAS_IDENTIFIER]->(i:Identifier)
WITH i, c.cluster_id AS cluster_id, count(DISTINCT a) AS members
RETURN i.key AS key, cluster_id, members, COUNT { (i)<-[:HAS_IDENTIFIER]-() } AS accounts
