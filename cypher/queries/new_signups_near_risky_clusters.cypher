// name: new_signups_near_risky_clusters
// description: Accounts created since $since that share a card, IP or identifier with a member of a current-run cluster of risk >= $min_risk.
// params: $since: datetime, $min_risk: float = 0.7, $limit: int = 500
// anchor: Account(created_at)
// example: graphlink query new_signups_near_risky_clusters --param since=now-7d
// Starts from the Account.created_at range index; accounts already in the
// cluster are not reported.  since accepts ISO dates or now-<n>[smhdw].
CALL () {
  MATCH (r:DetectionRun {status: 'complete'})
  RETURN r.run_id AS run_id
  ORDER BY r.created_at DESC
  LIMIT 1
}
MATCH (n:Account)
USING INDEX n:Account(created_at)
WHERE n.created_at >= $since
MATCH (n)-[:PAID_WITH|USED_IP|HAS_IDENTIFIER]->(x)<-[:PAID_WITH|USED_IP|HAS_IDENTIFIER]-(m:Account)-[:MEMBER_OF {run_id: run_id}]->(c:Cluster)
WHERE c.risk >= $min_risk AND NOT (n)-[:MEMBER_OF]->(c)
WITH n, c, collect(DISTINCT labels(x)[0] + ':' + coalesce(x.instrument_id, x.ip, x.key)) AS via,
     count(DISTINCT m) AS members_touched
RETURN n.account_id AS account_id, n.created_at AS created_at, n.plan AS plan, n.country AS country,
       c.cluster_id AS cluster_id, c.risk AS cluster_risk, c.reasons AS cluster_reasons, via, members_touched
ORDER BY cluster_risk DESC, created_at DESC
LIMIT $limit
