// name: api/cluster_evidence
// description: What the members of cluster $cluster_id of run $run_id share: payment instruments,
//   IPs and identifiers used by 2+ members, proxy providers, and behaviour-similarity signals.
//   Each list is capped at $limit entries (most-shared first). Every part starts from the
//   cluster and expands its members once (similar pairs are kept inside the cluster through
//   MEMBER_OF, not a list scan per pair; providers come from the IP's own property).
// params: $run_id, $cluster_id, $limit
MATCH (c:Cluster {cluster_key: $run_id + '/' + $cluster_id})
CALL (c) {
  MATCH (c)<-[:MEMBER_OF]-(a:Account)-[:PAID_WITH]->(p:PaymentInstrument)
  WITH p, count(DISTINCT a) AS n WHERE n >= 2
  ORDER BY n DESC, p.instrument_id LIMIT $limit
  RETURN collect({instrument_id: p.instrument_id, kind: p.kind, accounts: n}) AS instruments
}
CALL (c) {
  MATCH (c)<-[:MEMBER_OF]-(a:Account)-[:USED_IP]->(i:IP)
  WITH i, count(DISTINCT a) AS n WHERE n >= 2
  ORDER BY n DESC, i.ip LIMIT $limit
  RETURN collect({ip: i.ip, accounts: n, proxy_provider: i.proxy_provider,
                  is_datacenter: i.is_datacenter}) AS ips
}
CALL (c) {
  MATCH (c)<-[:MEMBER_OF]-(a:Account)-[:USED_IP]->(i:IP)
  WHERE i.proxy_provider IS NOT NULL AND i.proxy_provider <> ''
  WITH i.proxy_provider AS name, count(DISTINCT a) AS n
  ORDER BY n DESC, name LIMIT $limit
  RETURN collect({name: name, accounts: n}) AS providers
}
CALL (c) {
  MATCH (c)<-[:MEMBER_OF]-(a:Account)-[:HAS_IDENTIFIER]->(x:Identifier)
  WITH x, count(DISTINCT a) AS n WHERE n >= 2
  ORDER BY n DESC, x.key LIMIT $limit
  RETURN collect({kind: x.kind, value: x.value, accounts: n}) AS identifiers
}
CALL (c) {
  MATCH (c)<-[:MEMBER_OF]-(:Account)-[s:SIMILAR_TO]->(:Account)-[:MEMBER_OF]->(c)
  WITH s.signal AS signal, count(s) AS pairs, max(s.score) AS max_score, avg(s.score) AS mean_score
  ORDER BY pairs DESC, signal LIMIT $limit
  RETURN collect({signal: signal, pairs: pairs, max_score: max_score, mean_score: mean_score}) AS similarity
}
RETURN c.cluster_id AS cluster_id, c.features_json AS features_json, c.parent_cluster_id AS parent_cluster_id,
       instruments, ips, providers, identifiers, similarity
