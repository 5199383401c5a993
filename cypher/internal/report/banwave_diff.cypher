// description: Accounts a ban wave added against its previous wave, and those of the previous wave it dropped.
// params: $wave_id
MATCH (w:BanWave {wave_id: $wave_id})-[:PREVIOUS]->(prev:BanWave)
CALL (w, prev) {
  MATCH (w)-[i:INCLUDES]->(a:Account)
  WHERE NOT (prev)-[:INCLUDES]->(a)
  RETURN 'added' AS change, a.account_id AS account_id, i.cluster_id AS cluster_id, i.cluster_risk AS cluster_risk
  UNION
  MATCH (prev)-[i:INCLUDES]->(a:Account)
  WHERE NOT (w)-[:INCLUDES]->(a)
  RETURN 'dropped' AS change, a.account_id AS account_id, i.cluster_id AS cluster_id, i.cluster_risk AS cluster_risk
}
RETURN prev.wave_id AS previous_wave_id, change, account_id, cluster_id, cluster_risk
ORDER BY change, cluster_risk DESC, account_id
