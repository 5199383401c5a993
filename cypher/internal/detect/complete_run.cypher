// Flip a run to 'complete' (one transaction: readers of the current run switch to it atomically).
// params: $run_id, $stage_seconds_json, $n_clusters
MATCH (r:DetectionRun {run_id: $run_id, status: 'running'})
SET r.status = 'complete', r.stage_seconds_json = $stage_seconds_json, r.n_clusters = $n_clusters
RETURN r.run_id AS run_id
