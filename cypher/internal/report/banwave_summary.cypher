// description: One ban wave, its detection run and the previous wave.
// params: $wave_id
MATCH (w:BanWave {wave_id: $wave_id})
OPTIONAL MATCH (w)-[:PREVIOUS]->(p:BanWave)
RETURN w.wave_id AS wave_id, w.created_at AS created_at, w.run_id AS run_id, w.min_risk AS min_risk,
       w.n_accounts AS n_accounts, w.n_clusters AS n_clusters, w.protected_skipped AS protected_skipped,
       w.committed AS committed, w.params_json AS params_json, p.wave_id AS previous_wave_id,
       COUNT { (w)-[:INCLUDES]->() } AS included
