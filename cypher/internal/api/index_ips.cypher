// name: api/index_ips
// description: (IP, cluster) pairs: IPs used by members of clusters of run $run_id.
// params: $run_id
MATCH (c:Cluster {run_id: $run_id})<-[:MEMBER_OF {run_id: $run_id}]-(:Account)-[:USED_IP]->(i:IP)
RETURN DISTINCT i.ip AS ip, c.cluster_id AS cluster_id
