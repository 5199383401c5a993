// name: banwave/wave_entries
// description: The accounts a ban wave includes, with the reasons, cluster and risk recorded on INCLUDES.
// params: $wave_id
MATCH (w:BanWave {wave_id: $wave_id})-[i:INCLUDES]->(a:Account)
RETURN a.account_id AS account_id, i.cluster_id AS cluster_id, i.cluster_risk AS cluster_risk,
       i.reasons AS reasons
ORDER BY cluster_risk DESC, cluster_id, account_id
