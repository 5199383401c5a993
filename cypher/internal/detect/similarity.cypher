// Every behavioural-similarity pair (one row per pair and signal).
// params: none
MATCH (a:Account)-[s:SIMILAR_TO]->(b:Account)
RETURN a.account_id AS account_a, b.account_id AS account_b, s.score AS score, s.signal AS signal
