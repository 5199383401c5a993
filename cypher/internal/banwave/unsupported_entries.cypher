// name: banwave/unsupported_entries
// description: Accounts of a wave with no evidence link in the graph: no card, IP or identifier shared with another member of their cluster and no SIMILAR_TO to one. Should be empty.
// params: $wave_id
MATCH (w:BanWave {wave_id: $wave_id})-[i:INCLUDES]->(a:Account)
MATCH (c:Cluster {cluster_key: w.run_id + '/' + i.cluster_id})
WHERE NOT EXISTS {
        MATCH (a)-[:PAID_WITH|USED_IP|HAS_IDENTIFIER]->(x)<-[:PAID_WITH|USED_IP|HAS_IDENTIFIER]-(b:Account)-[:MEMBER_OF]->(c)
        WHERE b <> a
      }
  AND NOT EXISTS { MATCH (a)-[:SIMILAR_TO]-(b:Account)-[:MEMBER_OF]->(c) }
RETURN a.account_id AS account_id, i.cluster_id AS cluster_id, i.reasons AS reasons
