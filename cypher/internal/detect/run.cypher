// One detection run by id, whatever its status.
// params: $run_id
MATCH (r:DetectionRun {run_id: $run_id})
RETURN r.run_id AS run_id, r.created_at AS created_at, r.status AS status, r.algorithm AS algorithm,
       r.objective AS objective, r.resolution AS resolution, r.seed AS seed,
       r.n_iterations AS n_iterations, r.params_json AS params_json,
       r.stage_seconds_json AS stage_seconds_json, r.n_accounts AS n_accounts,
       r.n_edges AS n_edges, r.n_clusters AS n_clusters,
       r.model_version AS model_version
