// Merge behaviour-similarity links of one batch: one SIMILAR_TO per unordered pair and signal,
// stored a -> b with a.account_id < b.account_id (rows arrive ordered).
// Merge rule: score keeps the maximum.
// params: $rows = [{account_a, account_b, score: float, signal}]
UNWIND $rows AS row
MATCH (a:Account {account_id: row.account_a})
MATCH (b:Account {account_id: row.account_b})
MERGE (a)-[s:SIMILAR_TO {signal: row.signal}]->(b)
SET s.score = CASE WHEN s.score IS NULL OR row.score > s.score THEN row.score ELSE s.score END
