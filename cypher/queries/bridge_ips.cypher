// name: bridge_ips
// description: IPs used by members of at least $min_clusters different clusters of the current run (bridges between rings).
// params: $min_clusters: int = 2, $limit: int = 100
// anchor: Cluster(run_id)
// example: graphlink query bridge_ips
CALL () {
  MATCH (r:DetectionRun {status: 'complete'})
  RETURN r.run_id AS run_id
  ORDER BY r.created_at DESC
  LIMIT 1
}
MATCH (c:Cluster {run_id: run_id})<-[:MEMBER_OF]-(a:Account)-[:USED_IP]->(ip:IP)
USING INDEX c:Cluster(run_id)
WITH ip, collect(DISTINCT c.cluster_id) AS clusters, collect(DISTINCT a.account_id) AS accounts
WHERE size(clusters) >= $min_clusters
RETURN ip.ip AS ip, ip.asn AS asn, ip.proxy_provider AS proxy_provider, ip.is_datacenter AS is_datacenter,
       size(clusters) AS n_clusters, clusters, size(accounts) AS n_accounts, accounts[..20] AS accounts
ORDER BY n_clusters DESC, n_accounts DESC, ip
LIMIT $limit
