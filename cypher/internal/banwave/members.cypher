// name: banwave/members
// description: Members of the given clusters with their account-level reasons and verified organisation (org_id or an IN_ORG link).
// params: $cluster_keys
UNWIND $cluster_keys AS key
MATCH (c:Cluster {cluster_key: key})<-[m:MEMBER_OF]-(a:Account)
OPTIONAL MATCH (a)-[:IN_ORG]->(o:Org)
WITH a, c, m, collect(o.org_id)[0] AS linked_org
RETURN a.account_id AS account_id, c.cluster_id AS cluster_id, m.account_risk AS account_risk,
       coalesce(m.reasons, []) AS reasons, coalesce(nullif(a.org_id, ''), linked_org) AS org_id
