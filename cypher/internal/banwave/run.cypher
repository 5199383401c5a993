// name: banwave/run
// description: One detection run by id (to check it exists and is complete before a wave reads it).
// params: $run_id
MATCH (r:DetectionRun {run_id: $run_id})
RETURN r.run_id AS run_id, r.created_at AS created_at, r.status AS status
