// Write one batch of a run's clusters, each linked to its run.  Idempotent (MERGE on cluster_key).
// params: $rows = [{cluster_key, cluster_id, size, risk, reasons, features_json, parent_cluster_id}], $run_id
MATCH (r:DetectionRun {run_id: $run_id})
UNWIND $rows AS row
MERGE (c:Cluster {cluster_key: row.cluster_key})
SET c.cluster_id = row.cluster_id, c.run_id = $run_id, c.size = row.size, c.risk = row.risk,
    c.reasons = row.reasons, c.features_json = row.features_json, c.parent_cluster_id = row.parent_cluster_id
MERGE (c)-[:IN_RUN]->(r)
