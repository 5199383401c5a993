// Create a detection run in status 'running': invisible to every reader of the current run
// until detect/complete_run flips it.  model_version: the risk model that scored it.  Idempotent (MERGE on run_id) so a retried transaction is harmless.
// params: $run_id, $created_at (ISO-8601), $algorithm, $objective, $resolution, $seed, $n_iterations, $params_json, $n_accounts, $n_edges, $model_version
MERGE (r:DetectionRun {run_id: $run_id})
ON CREATE SET r.created_at = datetime($created_at), r.status = 'running', r.algorithm = $algorithm,
              r.objective = $objective, r.resolution = $resolution, r.seed = $seed,
              r.n_iterations = $n_iterations, r.params_json = $params_json,
              r.n_accounts = $n_accounts, r.n_edges = $n_edges, r.model_version = $model_version
