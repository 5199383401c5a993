// Every complete run holding each of the given cluster ids, with the cluster's state in that run
// (what a decision about the cluster snapshots: its features, risk and the model that scored it).
// params: $cluster_ids
UNWIND $cluster_ids AS cid
MATCH (c:Cluster {cluster_id: cid})-[:IN_RUN]->(r:DetectionRun {status: 'complete'})
RETURN cid AS target_id, r.run_id AS run_id, r.created_at AS run_created_at,
       r.model_version AS run_model_version, r.params_json AS params_json,
       c.cluster_key AS cluster_key, c.cluster_id AS cluster_id,
       c.features_json AS features_json, c.risk AS risk, c.size AS size
