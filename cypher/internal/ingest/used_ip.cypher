// Merge (:Account)-[:USED_IP]->(:IP) links of one batch of ip_observations (IP nodes exist).
// Merge rule: first_seen keeps the minimum, last_seen the maximum; requests adds this row's
// count only if $ingest_id (content hash of the table file) is not yet in r.snapshots, so
// loading the same file twice counts its requests once.
// params: $rows = [{account_id, ip, first_seen: epoch ms, last_seen: epoch ms, requests: int}], $ingest_id
UNWIND $rows AS row
MATCH (a:Account {account_id: row.account_id})
MATCH (i:IP {ip: row.ip})
MERGE (a)-[r:USED_IP]->(i)
  ON CREATE SET r.requests = 0, r.snapshots = []
WITH r, row, $ingest_id IN r.snapshots AS seen,
     datetime({epochMillis: row.first_seen}) AS first_seen,
     datetime({epochMillis: row.last_seen}) AS last_seen
SET r.first_seen = CASE WHEN r.first_seen IS NULL OR first_seen < r.first_seen THEN first_seen ELSE r.first_seen END,
    r.last_seen = CASE WHEN r.last_seen IS NULL OR last_seen > r.last_seen THEN last_seen ELSE r.last_seen END,
    r.requests = CASE WHEN seen THEN r.requests ELSE r.requests + row.requests END,
    r.snapshots = CASE WHEN seen THEN r.snapshots ELSE r.snapshots + $ingest_id END
