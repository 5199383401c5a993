// name: account_profile
// description: Everything about one account: attributes, org, payment instruments, IPs, identifiers, similar accounts, clusters by run and ban waves.
// params: $account_id: string
// anchor: Account(account_id)
// example: graphlink query account_profile --param account_id=r01
// One row; each list entry says how many accounts share the thing.
MATCH (a:Account {account_id: $account_id})
USING INDEX a:Account(account_id)
OPTIONAL MATCH (a)-[:IN_ORG]->(o:Org)
CALL (a) {
  OPTIONAL MATCH (a)-[:PAID_WITH]->(p:PaymentInstrument)
  RETURN collect(p.instrument_id + ' ' + p.kind + ' (' + toString(COUNT { (p)<-[:PAID_WITH]-() }) + ' accounts)') AS payment_instruments
}
CALL (a) {
  OPTIONAL MATCH (a)-[u:USED_IP]->(ip:IP)
  WITH ip, u ORDER BY u.requests DESC
  RETURN collect(ip.ip + coalesce(' via ' + nullif(ip.proxy_provider, ''), '') + ' (' + toString(COUNT { (ip)<-[:USED_IP]-() }) + ' accounts, ' + toString(u.requests) + ' req)') AS ips,
         min(u.first_seen) AS first_seen, max(u.last_seen) AS last_seen, sum(u.requests) AS requests
}
CALL (a) {
  OPTIONAL MATCH (a)-[:HAS_IDENTIFIER]->(i:Identifier)
  RETURN collect(i.key + ' (' + toString(COUNT { (i)<-[:HAS_IDENTIFIER]-() }) + ' accounts)') AS identifiers
}
CALL (a) {
  OPTIONAL MATCH (a)-[s:SIMILAR_TO]-(b:Account)
  WITH b, s ORDER BY s.score DESC
  RETURN collect(b.account_id + ' ' + s.signal + ' ' + toString(round(s.score, 3))) AS similar_to
}
CALL (a) {
  OPTIONAL MATCH (a)-[m:MEMBER_OF]->(c:Cluster)-[:IN_RUN]->(r:DetectionRun)
  WITH c, m, r ORDER BY r.created_at DESC
  RETURN collect(r.run_id + '/' + c.cluster_id + ' risk ' + toString(round(c.risk, 3)) + ' (' + r.status + ')') AS clusters
}
CALL (a) {
  OPTIONAL MATCH (w:BanWave)-[i:INCLUDES]->(a)
  WITH w, i ORDER BY w.created_at
  RETURN collect(w.wave_id + ' ' + i.cluster_id) AS ban_waves
}
RETURN a.account_id AS account_id, a.created_at AS created_at, a.status AS status, a.plan AS plan,
       a.country AS country, a.email_domain AS email_domain, coalesce(o.org_id, a.org_id) AS org_id,
       payment_instruments, ips, first_seen, last_seen, requests, identifiers, similar_to, clusters, ban_waves
