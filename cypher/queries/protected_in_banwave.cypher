// name: protected_in_banwave
// description: Accounts included in a ban wave that belong to a verified (protected) organisation - each needs a second look.
// params: $wave_id: string
// anchor: BanWave(wave_id)
// example: graphlink query protected_in_banwave --param wave_id=wave-0002
MATCH (w:BanWave {wave_id: $wave_id})-[i:INCLUDES]->(a:Account)
USING INDEX w:BanWave(wave_id)
OPTIONAL MATCH (a)-[:IN_ORG]->(o:Org)
WITH w, i, a, o
WHERE o IS NOT NULL OR a.org_id IS NOT NULL
RETURN a.account_id AS account_id, coalesce(o.org_id, a.org_id) AS org_id, a.plan AS plan,
       a.created_at AS created_at, i.cluster_id AS cluster_id, i.cluster_risk AS cluster_risk,
       i.reasons AS reasons, w.min_risk AS wave_min_risk
ORDER BY cluster_risk DESC, account_id
