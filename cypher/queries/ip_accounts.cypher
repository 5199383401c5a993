// name: ip_accounts
// description: Accounts seen on one IP (normalised form, e.g. 2001:db8::1) with first/last use, requests and current cluster.
// params: $ip: string, $limit: int = 500
// anchor: IP(ip)
// example: graphlink query ip_accounts --param ip=203.0.113.10
CALL () {
  MATCH (r:DetectionRun {status: 'complete'})
  RETURN r.run_id AS run_id
  ORDER BY r.created_at DESC
  LIMIT 1
}
MATCH (ip:IP {ip: $ip})<-[u:USED_IP]-(a:Account)
USING INDEX ip:IP(ip)
OPTIONAL MATCH (a)-[:MEMBER_OF {run_id: run_id}]->(c:Cluster)
RETURN ip.ip AS ip, ip.proxy_provider AS proxy_provider, ip.is_datacenter AS is_datacenter,
       a.account_id AS account_id, a.created_at AS created_at, u.first_seen AS first_seen,
       u.last_seen AS last_seen, u.requests AS requests, c.cluster_id AS cluster_id, c.risk AS cluster_risk
ORDER BY requests DESC, account_id
LIMIT $limit
