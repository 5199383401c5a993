// description: Every IP use of a cluster's members (first/last seen, requests) for the activity timeline.
// params: $cluster_key
MATCH (c:Cluster {cluster_key: $cluster_key})<-[:MEMBER_OF]-(a:Account)-[u:USED_IP]->(ip:IP)
RETURN a.account_id AS account_id, ip.ip AS ip, ip.proxy_provider AS proxy_provider,
       u.first_seen AS first_seen, u.last_seen AS last_seen, u.requests AS requests
ORDER BY account_id, first_seen
