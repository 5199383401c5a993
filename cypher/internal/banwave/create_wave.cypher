// name: banwave/create_wave
// description: Create an uncommitted BanWave with the next wave id, linked PREVIOUS to the latest committed wave.
// params: $run_id, $min_risk, $params_json, $evidence_json, $n_accounts, $n_clusters, $protected_skipped
// The id is the highest existing number + 1; two concurrent creators collide on
// the banwave_id uniqueness constraint and the loser retries (banwave_store.commit_wave).
OPTIONAL MATCH (any:BanWave)
WITH max(toInteger(substring(any.wave_id, 5))) AS last
WITH coalesce(last, 0) + 1 AS n
WITH CASE WHEN n < 10000 THEN 'wave-' + right('000' + toString(n), 4) ELSE 'wave-' + toString(n) END AS wave_id
OPTIONAL MATCH (prev:BanWave {committed: true})
WITH wave_id, prev ORDER BY prev.created_at DESC, prev.wave_id DESC
WITH wave_id, collect(prev)[0] AS prev
CREATE (w:BanWave {wave_id: wave_id, created_at: datetime(), run_id: $run_id, min_risk: $min_risk,
                   params_json: $params_json, evidence_json: $evidence_json,
                   n_accounts: $n_accounts, n_clusters: $n_clusters,
                   protected_skipped: $protected_skipped, committed: false})
FOREACH (p IN CASE WHEN prev IS NULL THEN [] ELSE [prev] END | CREATE (w)-[:PREVIOUS]->(p))
RETURN w.wave_id AS wave_id, prev.wave_id AS previous_wave_id
