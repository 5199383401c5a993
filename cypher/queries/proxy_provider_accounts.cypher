// name: proxy_provider_accounts
// description: Accounts seen behind a proxy provider's IPs, with their traffic and current cluster.
// params: $provider: string, $limit: int = 500
// anchor: ProxyProvider(name)
// example: graphlink query proxy_provider_accounts --param provider=SwiftProxy
CALL () {
  MATCH (r:DetectionRun {status: 'complete'})
  RETURN r.run_id AS run_id
  ORDER BY r.created_at DESC
  LIMIT 1
}
MATCH (pp:ProxyProvider {name: $provider})<-[:VIA_PROVIDER]-(ip:IP)<-[u:USED_IP]-(a:Account)
USING INDEX pp:ProxyProvider(name)
WITH run_id, a, count(DISTINCT ip) AS n_ips, sum(u.requests) AS requests,
     min(u.first_seen) AS first_seen, max(u.last_seen) AS last_seen
OPTIONAL MATCH (a)-[:MEMBER_OF {run_id: run_id}]->(c:Cluster)
RETURN a.account_id AS account_id, a.created_at AS created_at, a.plan AS plan, n_ips, requests,
       first_seen, last_seen, c.cluster_id AS cluster_id, c.risk AS cluster_risk
ORDER BY requests DESC, account_id
LIMIT $limit
