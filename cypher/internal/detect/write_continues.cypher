// Write lineage: this run's cluster CONTINUES the previous run's cluster, with their Jaccard.
// params: $rows = [{cluster_key, prev_cluster_key, jaccard}]
UNWIND $rows AS row
MATCH (c:Cluster {cluster_key: row.cluster_key})
MATCH (p:Cluster {cluster_key: row.prev_cluster_key})
MERGE (c)-[x:CONTINUES]->(p)
SET x.jaccard = row.jaccard
