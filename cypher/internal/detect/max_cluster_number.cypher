// The largest cluster number ever written (c-000123 -> 123), so fresh ids are never reused.
// params: none
MATCH (c:Cluster)
RETURN coalesce(max(toInteger(substring(c.cluster_id, 2))), 0) AS max_number
