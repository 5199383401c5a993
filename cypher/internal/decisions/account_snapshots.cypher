// The given accounts that exist, and every complete run's cluster each belonged to (none: a row
// with null run_id, the account exists but was never in a written cluster).
// params: $account_ids
UNWIND $account_ids AS aid
MATCH (a:Account {account_id: aid})
OPTIONAL MATCH (a)-[:MEMBER_OF]->(c:Cluster)-[:IN_RUN]->(r:DetectionRun {status: 'complete'})
RETURN aid AS target_id, r.run_id AS run_id, r.created_at AS run_created_at,
       r.model_version AS run_model_version, r.params_json AS params_json,
       c.cluster_key AS cluster_key, c.cluster_id AS cluster_id,
       c.features_json AS features_json, c.risk AS risk, c.size AS size
