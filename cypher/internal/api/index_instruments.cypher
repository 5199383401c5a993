// name: api/index_instruments
// description: Payment instruments used by members of clusters of run $run_id: per (instrument,
//   cluster) the number of the cluster's members paying with it, and the number of accounts
//   (clustered or not) paying with it at all.
// params: $run_id
MATCH (c:Cluster {run_id: $run_id})<-[:MEMBER_OF {run_id: $run_id}]-(a:Account)-[:PAID_WITH]->(p:PaymentInstrument)
WITH p, c.cluster_id AS cluster_id, count(DISTINCT a) AS members
RETURN p.instrument_id AS instrument_id, cluster_id, members,
       COUNT { (p)<-[:PAID_WITH]-() } AS accounts
