// description: Links from a cluster's members to the payment instruments, IPs and identifiers that at least $min_shared members use (the ties to draw).
// params: $cluster_key, $min_shared
MATCH (c:Cluster {cluster_key: $cluster_key})<-[:MEMBER_OF]-(a:Account)-[r:PAID_WITH|USED_IP|HAS_IDENTIFIER]->(x)
WITH c, x, collect({account_id: a.account_id, rel: type(r)}) AS links
WHERE size(links) >= $min_shared
UNWIND links AS l
RETURN l.account_id AS account_id, l.rel AS rel, labels(x)[0] AS kind,
       coalesce(x.instrument_id, x.ip, x.key) AS target,
       CASE labels(x)[0]
         WHEN 'PaymentInstrument' THEN x.kind
         WHEN 'IP' THEN CASE WHEN x.is_datacenter THEN 'datacenter' ELSE 'residential' END
         ELSE x.kind
       END AS detail,
       x.proxy_provider AS proxy_provider,
       COUNT { (x)<-[:PAID_WITH|USED_IP|HAS_IDENTIFIER]-(:Account) } AS total_accounts
ORDER BY kind, target, account_id
