// name: identifier_accounts
// description: Accounts carrying one shared identifier (device, phone hash, ...) with when each first showed it and its current cluster.
// params: $kind: string, $value: string
// anchor: Identifier(key)
// example: graphlink query identifier_accounts --param kind=device --param value=dev-ring-1
CALL () {
  MATCH (r:DetectionRun {status: 'complete'})
  RETURN r.run_id AS run_id
  ORDER BY r.created_at DESC
  LIMIT 1
}
MATCH (i:Identifier {key: $kind + ':' + $value})<-[h:HAS_IDENTIFIER]-(a:Account)
USING INDEX i:Identifier(key)
OPTIONAL MATCH (a)-[:MEMBER_OF {run_id: run_id}]->(c:Cluster)
RETURN a.account_id AS account_id, a.created_at AS created_at, a.plan AS plan, a.country AS country,
       h.first_seen AS first_seen, c.cluster_id AS cluster_id, c.risk AS cluster_risk
ORDER BY first_seen, account_id
