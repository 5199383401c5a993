// description: Every account a ban wave includes, with its cluster, risks, reasons and org.
// params: $wave_id
MATCH (w:BanWave {wave_id: $wave_id})-[i:INCLUDES]->(a:Account)
OPTIONAL MATCH (a)-[m:MEMBER_OF]->(:Cluster {cluster_key: w.run_id + '/' + i.cluster_id})
RETURN a.account_id AS account_id, i.cluster_id AS cluster_id, i.cluster_risk AS cluster_risk,
       m.account_risk AS account_risk, i.reasons AS reasons, a.created_at AS created_at,
       a.plan AS plan, a.country AS country, a.org_id AS org_id
ORDER BY cluster_risk DESC, cluster_id, account_id
