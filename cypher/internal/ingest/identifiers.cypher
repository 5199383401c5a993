// Merge shared identifiers and (:Account)-[:HAS_IDENTIFIER]->(:Identifier) of one batch.
// Merge rule: the node is keyed by kind + ':' + value; the link's first_seen keeps the minimum.
// params: $rows = [{account_id, key, kind, value, first_seen: epoch ms|null}]
UNWIND $rows AS row
MATCH (a:Account {account_id: row.account_id})
MERGE (i:Identifier {key: row.key})
  ON CREATE SET i.kind = row.kind, i.value = row.value
MERGE (a)-[r:HAS_IDENTIFIER]->(i)
WITH r, CASE WHEN row.first_seen IS NULL THEN null ELSE datetime({epochMillis: row.first_seen}) END AS fs
SET r.first_seen = CASE WHEN fs IS NOT NULL AND (r.first_seen IS NULL OR fs < r.first_seen) THEN fs ELSE r.first_seen END
