// name: api/naive_signup
// description: The naive sign-up check (benchmark baseline): one round trip per request that
//   finds the current run, then the clusters of that run reached from the sign-up's IP,
//   instrument and device, and the IP's proxy/datacenter flags.
// params: $ip, $instrument, $device_key
MATCH (r:DetectionRun)
WHERE r.status = 'complete'
WITH r ORDER BY r.created_at DESC LIMIT 1
OPTIONAL MATCH (:IP {ip: $ip})<-[:USED_IP]-(:Account)-[:MEMBER_OF]->(c1:Cluster {run_id: r.run_id})
WITH r, collect(DISTINCT c1 {.cluster_id, .risk}) AS by_ip
OPTIONAL MATCH (:PaymentInstrument {instrument_id: $instrument})<-[:PAID_WITH]-(:Account)-[:MEMBER_OF]->(c2:Cluster {run_id: r.run_id})
WITH r, by_ip, collect(DISTINCT c2 {.cluster_id, .risk}) AS by_instrument
OPTIONAL MATCH (:Identifier {key: $device_key})<-[:HAS_IDENTIFIER]-(:Account)-[:MEMBER_OF]->(c3:Cluster {run_id: r.run_id})
WITH r, by_ip, by_instrument, collect(DISTINCT c3 {.cluster_id, .risk}) AS by_device
OPTIONAL MATCH (i:IP {ip: $ip})
RETURN r.run_id AS run_id, by_ip, by_instrument, by_device,
       i.proxy_provider AS proxy_provider, i.is_datacenter AS is_datacenter
