// Write one batch of cluster memberships with the account's risk and reason codes.  Idempotent.
// params: $rows = [{account_id, cluster_key, account_risk, reasons}], $run_id
UNWIND $rows AS row
MATCH (a:Account {account_id: row.account_id})
MATCH (c:Cluster {cluster_key: row.cluster_key})
MERGE (a)-[m:MEMBER_OF]->(c)
SET m.run_id = $run_id, m.account_risk = row.account_risk, m.reasons = row.reasons
