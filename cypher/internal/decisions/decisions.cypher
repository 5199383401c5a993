// Every recorded decision with its snapshot (oldest first), for calibration and listings.
// params: none
MATCH (d:Decision)
RETURN d.decision_id AS decision_id, d.kind AS kind, d.target_id AS target_id, d.label AS label,
       d.reviewer AS reviewer, d.at AS at, d.note AS note, d.source AS source, d.run_id AS run_id,
       d.cluster_key AS cluster_key, d.cluster_id AS cluster_id,
       d.features_json AS features_json, d.model_version AS model_version, d.risk AS risk
ORDER BY d.at, d.decision_id
