// name: api/current_run
// description: The current detection run: status 'complete' with the greatest created_at.
// params: none
MATCH (r:DetectionRun)
WHERE r.status = 'complete'
RETURN r.run_id AS run_id, r.created_at AS created_at
ORDER BY r.created_at DESC
LIMIT 1
