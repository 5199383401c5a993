// name: banwave/add_entries
// description: Record a batch of a wave's accounts as INCLUDES relationships (idempotent: MERGE).
// params: $wave_id, $rows
// rows: {account_id, reasons, cluster_id, cluster_risk}
MATCH (w:BanWave {wave_id: $wave_id})
UNWIND $rows AS row
MATCH (a:Account {account_id: row.account_id})
MERGE (w)-[i:INCLUDES]->(a)
SET i.reasons = row.reasons, i.cluster_id = row.cluster_id, i.cluster_risk = row.cluster_risk
RETURN count(i) AS written
