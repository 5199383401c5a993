// name: banwave/current_run
// description: The current detection run: status 'complete' with the greatest created_at (none when no run completed).
// params: none
MATCH (r:DetectionRun {status: 'complete'})
RETURN r.run_id AS run_id, r.created_at AS created_at
ORDER BY r.created_at DESC, r.run_id DESC
LIMIT 1
