// name: api/index_instruments
// description: (instrument fingerprint, cluster) pairs for members of clusters of run $run_id.
// params: $run_id
MATCH (c:Cluster {run_id: $run_id})<-[:MEMBER_OF {run_id: $run_id}]-(:Account)-[:PAID_WITH]->(p:PaymentInstrument)
RETURN DISTINCT p.instrument_id AS instrument_id, c.cluster_id AS cluster_id
