// Merge behaviour-similarity links of one batch: one SIMILAR_TO per unordered pair and signal,
// stored a -> b with a.account_id < b.account_id (rows arrive ordered, one per pair+signal).
// Merge rule: score keeps the maximum.
// Why not MERGE (a)-[:SIMILAR_TO {signal: ...}]->(b): with the similar_signal relationship
// index, the planner seeks every SIMILAR_TO of that signal and filters on the endpoints
// (quadratic: 30M db hits for 5,000 rows).  The existing link is found by expanding from a
// to b instead (toString() keeps the predicate off the index); batches run one at a time.
// params: $rows = [{account_a, account_b, score: float, signal}]
UNWIND $rows AS row
MATCH (a:Account {account_id: row.account_a})
MATCH (b:Account {account_id: row.account_b})
CALL (a, b, row) {
  OPTIONAL MATCH (a)-[old:SIMILAR_TO]->(b)
  WHERE toString(old.signal) = row.signal
  WITH a, b, row, head(collect(old)) AS old
  FOREACH (_ IN CASE WHEN old IS NULL THEN [1] ELSE [] END |
    CREATE (a)-[:SIMILAR_TO {signal: row.signal, score: row.score}]->(b))
  FOREACH (_ IN CASE WHEN old IS NOT NULL AND row.score > old.score THEN [1] ELSE [] END |
    SET old.score = row.score)
}
