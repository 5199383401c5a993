// Remove an unfinished run (status 'running') and its clusters after a failure.
// params: $run_id
MATCH (r:DetectionRun {run_id: $run_id, status: 'running'})
OPTIONAL MATCH (c:Cluster {run_id: $run_id})
DETACH DELETE c, r
