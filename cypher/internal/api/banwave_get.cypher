// name: api/banwave_get
// description: One ban wave with its parameters, evidence and every account it includes.
// params: $wave_id
MATCH (w:BanWave {wave_id: $wave_id})
OPTIONAL MATCH (w)-[:PREVIOUS]->(p:BanWave)
CALL (w) {
  OPTIONAL MATCH (w)-[i:INCLUDES]->(a:Account)
  WITH a, i ORDER BY i.cluster_risk DESC, i.cluster_id, a.account_id
  RETURN collect(CASE WHEN a IS NULL THEN null ELSE
           {account_id: a.account_id, cluster_id: i.cluster_id, cluster_risk: i.cluster_risk,
            reasons: i.reasons} END) AS entries
}
RETURN w.wave_id AS wave_id, w.created_at AS created_at, w.run_id AS run_id, w.min_risk AS min_risk,
       w.n_accounts AS n_accounts, w.n_clusters AS n_clusters, w.protected_skipped AS protected_skipped,
       w.params_json AS params_json, w.evidence_json AS evidence_json, p.wave_id AS previous_wave_id,
       entries
