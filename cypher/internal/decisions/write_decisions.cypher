// Record investigators' decisions.  Idempotent: MERGE on decision_id (a hash of kind, target,
// label, reviewer and time), properties set on create only, so loading a file twice changes nothing.
// Links: (d)-[:ABOUT]->(:Cluster|:Account), (d)-[:IN_RUN]->(:DetectionRun) and, for an account
// decision, (d)-[:IN_CLUSTER]->(:Cluster) (the account's cluster in that run).
// params: $rows = [{decision_id, kind, target_id, label, reviewer, at (ISO-8601), note, source, run_id, cluster_key, cluster_id, features_json, model_version, risk}], $recorded_at (ISO-8601)
UNWIND $rows AS row
MERGE (d:Decision {decision_id: row.decision_id})
ON CREATE SET d.kind = row.kind, d.target_id = row.target_id, d.label = row.label,
              d.reviewer = row.reviewer, d.at = datetime(row.at), d.note = row.note,
              d.source = row.source, d.run_id = row.run_id, d.cluster_key = row.cluster_key,
              d.cluster_id = row.cluster_id, d.features_json = row.features_json,
              d.model_version = row.model_version, d.risk = row.risk,
              d.recorded_at = datetime($recorded_at)
WITH d, row
OPTIONAL MATCH (c:Cluster {cluster_key: row.cluster_key})
OPTIONAL MATCH (a:Account {account_id: row.target_id}) WHERE row.kind = 'account'
OPTIONAL MATCH (r:DetectionRun {run_id: row.run_id})
FOREACH (x IN CASE WHEN row.kind = 'cluster' AND c IS NOT NULL THEN [c] ELSE [] END |
  MERGE (d)-[:ABOUT]->(x))
FOREACH (x IN CASE WHEN a IS NOT NULL THEN [a] ELSE [] END | MERGE (d)-[:ABOUT]->(x))
FOREACH (x IN CASE WHEN row.kind = 'account' AND c IS NOT NULL THEN [c] ELSE [] END |
  MERGE (d)-[:IN_CLUSTER]->(x))
FOREACH (x IN CASE WHEN r IS NOT NULL THEN [r] ELSE [] END | MERGE (d)-[:IN_RUN]->(x))
