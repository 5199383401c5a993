// description: Members of one cluster (by cluster_key) with their attributes, account risk and reasons.
// params: $cluster_key
MATCH (c:Cluster {cluster_key: $cluster_key})<-[m:MEMBER_OF]-(a:Account)
OPTIONAL MATCH (a)-[:IN_ORG]->(o:Org)
RETURN a.account_id AS account_id, a.created_at AS created_at, a.plan AS plan, a.country AS country,
       a.email_domain AS email_domain, a.status AS status, coalesce(o.org_id, a.org_id) AS org_id,
       m.account_risk AS account_risk, m.reasons AS reasons,
       EXISTS { (:BanWave)-[:INCLUDES]->(a) } AS in_ban_wave
ORDER BY account_risk DESC, account_id
