// name: banwave/cluster_evidence
// description: Per-cluster evidence counts recorded with a wave: instruments, IPs and identifiers shared by >= 2 members, proxy providers, similarity links inside the cluster.
// params: $cluster_keys
// Every count starts from the cluster's members and groups by the shared thing,
// so a CGNAT IP with 30,000 users costs one row per member, never per user.
UNWIND $cluster_keys AS key
MATCH (c:Cluster {cluster_key: key})
CALL (c) {
  OPTIONAL MATCH (c)<-[:MEMBER_OF]-(:Account)-[:PAID_WITH]->(p:PaymentInstrument)
  WITH p, count(p) AS k
  RETURN count(CASE WHEN k >= 2 THEN p END) AS shared_instruments
}
CALL (c) {
  OPTIONAL MATCH (c)<-[:MEMBER_OF]-(:Account)-[:USED_IP]->(i:IP)
  WITH i, count(i) AS k
  RETURN count(CASE WHEN k >= 2 THEN i END) AS shared_ips,
         count(CASE WHEN k >= 2 AND i.is_datacenter THEN i END) AS shared_datacenter_ips
}
CALL (c) {
  OPTIONAL MATCH (c)<-[:MEMBER_OF]-(a:Account)-[:USED_IP]->(:IP)-[:VIA_PROVIDER]->(pp:ProxyProvider)
  RETURN count(DISTINCT pp) AS proxy_providers, count(DISTINCT a) AS accounts_via_proxy
}
CALL (c) {
  OPTIONAL MATCH (c)<-[:MEMBER_OF]-(:Account)-[:HAS_IDENTIFIER]->(x:Identifier)
  WITH x, count(x) AS k
  RETURN count(CASE WHEN k >= 2 THEN x END) AS shared_identifiers
}
CALL (c) {
  OPTIONAL MATCH (c)<-[:MEMBER_OF]-(:Account)-[s:SIMILAR_TO]->(:Account)-[:MEMBER_OF]->(c)
  RETURN count(s) AS similarity_links
}
RETURN c.cluster_id AS cluster_id, shared_instruments, shared_ips, shared_datacenter_ips,
       proxy_providers, accounts_via_proxy, shared_identifiers, similarity_links
