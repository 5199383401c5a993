// name: top_risky_clusters
// description: The riskiest clusters of the current detection run with size, reasons and how many members are already banned.
// params: $min_risk: float = 0.0, $limit: int = 20
// anchor: Cluster(risk) | Cluster(run_id)
// example: graphlink query top_risky_clusters --param limit=10
CALL () {
  MATCH (r:DetectionRun {status: 'complete'})
  RETURN r.run_id AS run_id
  ORDER BY r.created_at DESC
  LIMIT 1
}
MATCH (c:Cluster {run_id: run_id})
USING INDEX c:Cluster(run_id)
WHERE c.risk >= $min_risk
WITH run_id, c
ORDER BY c.risk DESC, c.size DESC
LIMIT $limit
CALL (c) {
  MATCH (c)<-[:MEMBER_OF]-(a:Account)
  RETURN sum(CASE WHEN EXISTS { (:BanWave)-[:INCLUDES]->(a) } THEN 1 ELSE 0 END) AS members_in_ban_waves,
         sum(CASE WHEN a.org_id IS NOT NULL THEN 1 ELSE 0 END) AS verified_org_members
}
RETURN run_id, c.cluster_id AS cluster_id, c.size AS size, c.risk AS risk, c.reasons AS reasons,
       members_in_ban_waves, verified_org_members
ORDER BY risk DESC, size DESC, cluster_id
