// name: cluster_members
// description: Members of a cluster (current detection run unless $run_id is given) with their risk, reasons and what each shares with other members.
// params: $cluster_id: string, $run_id: string = ""
// anchor: Cluster(cluster_key)
// example: graphlink query cluster_members --param cluster_id=c-000001
// shares lists "Kind:id (n)" for every payment instrument, IP or identifier the
// account has in common with n other members; similarity_signals the SIMILAR_TO
// signals (prompt_template, timing_sync, ...) linking it to other members.
CALL () {
  MATCH (r:DetectionRun)
  WHERE ($run_id = '' AND r.status = 'complete') OR r.run_id = $run_id
  RETURN r.run_id AS run_id
  ORDER BY r.created_at DESC
  LIMIT 1
}
MATCH (c:Cluster {cluster_key: run_id + '/' + $cluster_id})<-[m:MEMBER_OF]-(a:Account)
USING INDEX c:Cluster(cluster_key)
CALL (a, c) {
  OPTIONAL MATCH (a)-[:PAID_WITH|USED_IP|HAS_IDENTIFIER]->(x)<-[:PAID_WITH|USED_IP|HAS_IDENTIFIER]-(b:Account)-[:MEMBER_OF]->(c)
  WHERE b <> a
  WITH x, count(DISTINCT b) AS n
  ORDER BY n DESC
  RETURN [s IN collect(CASE WHEN x IS NOT NULL
            THEN labels(x)[0] + ':' + coalesce(x.instrument_id, x.ip, x.key) + ' (' + toString(n) + ')' END)
          WHERE s IS NOT NULL] AS shares
}
CALL (a, c) {
  OPTIONAL MATCH (a)-[s:SIMILAR_TO]-(:Account)-[:MEMBER_OF]->(c)
  RETURN collect(DISTINCT s.signal) AS similarity_signals
}
RETURN run_id, c.cluster_id AS cluster_id, a.account_id AS account_id, a.created_at AS created_at,
       a.plan AS plan, a.country AS country, a.org_id AS org_id, a.status AS status,
       m.account_risk AS account_risk, m.reasons AS reasons, shares, similarity_signals
ORDER BY account_risk DESC, account_id
