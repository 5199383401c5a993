// name: banwave_changes
// description: What a ban wave changed against the previous wave: accounts added (new) and accounts of the previous wave not included again (dropped).
// params: $wave_id: string
// anchor: BanWave(wave_id)
// example: graphlink query banwave_changes --param wave_id=wave-0002
MATCH (w:BanWave {wave_id: $wave_id})
USING INDEX w:BanWave(wave_id)
OPTIONAL MATCH (w)-[:PREVIOUS]->(prev:BanWave)
CALL (w, prev) {
  MATCH (w)-[i:INCLUDES]->(a:Account)
  WHERE prev IS NULL OR NOT (prev)-[:INCLUDES]->(a)
  RETURN 'added' AS change, a.account_id AS account_id, i.cluster_id AS cluster_id, i.cluster_risk AS cluster_risk,
         i.reasons AS reasons
  UNION
  MATCH (prev)-[i:INCLUDES]->(a:Account)
  WHERE NOT (w)-[:INCLUDES]->(a)
  RETURN 'dropped' AS change, a.account_id AS account_id, i.cluster_id AS cluster_id, i.cluster_risk AS cluster_risk,
         i.reasons AS reasons
}
RETURN w.wave_id AS wave_id, prev.wave_id AS previous_wave, change, account_id, cluster_id, cluster_risk, reasons
ORDER BY change, cluster_risk DESC, account_id
