// name: api/index_ips
// description: IPs used by members of clusters of run $run_id: per (IP, cluster) the number of the
//   cluster's members using it, and the number of accounts (clustered or not) using it at all, which
//   is what makes a match specific to the ring or common (a carrier address shared by thousands).
// params: $run_id
MATCH (c:Cluster {run_id: $run_id})<-[:MEMBER_OF {run_id: $run_id}]-(a:Account)-[:USED_IP]->(i:IP)
WITH i, c.cluster_id AS cluster_id, count(DISTINCT a) AS members
RETURN i.ip AS ip, cluster_id, members, COUNT { (i)<-[:USED_IP]-() } AS accounts
