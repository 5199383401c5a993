// name: api/index_bans
// description: Every (account, committed ban wave) inclusion, oldest wave first (the last row
//   per account is its latest wave).
// params: none
MATCH (w:BanWave)-[i:INCLUDES]->(a:Account)
WHERE w.committed = true
RETURN a.account_id AS account_id, w.wave_id AS wave_id, w.created_at AS created_at,
       i.reasons AS reasons, i.cluster_id AS cluster_id, i.cluster_risk AS cluster_risk
ORDER BY w.created_at, w.wave_id
