// name: banwave/list_waves
// description: Committed ban waves, newest first, with their previous wave.
// params: none
MATCH (w:BanWave {committed: true})
OPTIONAL MATCH (w)-[:PREVIOUS]->(p:BanWave)
RETURN w.wave_id AS wave_id, w.created_at AS created_at, w.run_id AS run_id, w.min_risk AS min_risk,
       w.n_accounts AS n_accounts, w.n_clusters AS n_clusters,
       w.protected_skipped AS protected_skipped, p.wave_id AS previous_wave_id
ORDER BY w.created_at DESC, w.wave_id DESC
