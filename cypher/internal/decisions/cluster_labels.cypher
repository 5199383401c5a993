// The latest decision about each of the given cluster ids (any run), for the review queue.
// params: $cluster_ids
UNWIND $cluster_ids AS cid
MATCH (d:Decision {kind: 'cluster', target_id: cid})
WITH cid, d ORDER BY d.at DESC, d.decision_id DESC
WITH cid, collect(d)[0] AS d
RETURN cid AS cluster_id, d.label AS label, d.reviewer AS reviewer, d.at AS at
