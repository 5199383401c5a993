// description: SIMILAR_TO links between members of one cluster.
// params: $cluster_key
MATCH (c:Cluster {cluster_key: $cluster_key})<-[:MEMBER_OF]-(a:Account)-[s:SIMILAR_TO]->(b:Account)-[:MEMBER_OF]->(c)
RETURN a.account_id AS account_a, b.account_id AS account_b, s.signal AS signal, s.score AS score
ORDER BY account_a, account_b, signal
