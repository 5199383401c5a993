// name: api/account
// description: One account with its membership in run $run_id and the latest committed ban wave
//   that includes it (no row when the account is unknown).  The service answers from memory
//   and uses this only for accounts newer than its snapshot.
// params: $account_id, $run_id
MATCH (a:Account {account_id: $account_id})
OPTIONAL MATCH (a)-[m:MEMBER_OF {run_id: $run_id}]->(c:Cluster {run_id: $run_id})
OPTIONAL MATCH (w:BanWave)-[inc:INCLUDES]->(a)
WHERE w.committed = true
WITH a, m, c, w, inc
ORDER BY w.created_at DESC
WITH a, head(collect(m)) AS m, head(collect(c)) AS c,
     head(collect(CASE WHEN w IS NULL THEN null
                       ELSE {wave_id: w.wave_id, created_at: w.created_at, reasons: inc.reasons,
                             cluster_id: inc.cluster_id, cluster_risk: inc.cluster_risk} END)) AS wave
RETURN a.account_id AS account_id, a.status AS status, a.plan AS plan, a.country AS country,
       a.created_at AS created_at, a.org_id AS org_id,
       c.cluster_id AS cluster_id, c.risk AS cluster_risk, c.size AS cluster_size,
       c.reasons AS cluster_reasons, m.account_risk AS account_risk, m.reasons AS reasons,
       wave
