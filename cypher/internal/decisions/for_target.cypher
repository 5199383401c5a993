// Decisions about one cluster or account, newest first (the CLI's "already recorded" check).
// params: $kind, $target_id
MATCH (d:Decision {kind: $kind, target_id: $target_id})
RETURN d.decision_id AS decision_id, d.label AS label, d.reviewer AS reviewer, d.at AS at,
       d.note AS note, d.run_id AS run_id, d.cluster_key AS cluster_key
ORDER BY d.at DESC, d.decision_id DESC
