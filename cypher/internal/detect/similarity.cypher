// Every behavioural-similarity pair (one per pair and signal), as ONE record of parallel lists.
// params: none
MATCH (a:Account)-[s:SIMILAR_TO]->(b:Account)
RETURN collect(a.account_id) AS account_a, collect(b.account_id) AS account_b,
       collect(coalesce(s.score, 0.0)) AS score, collect(coalesce(s.signal, '')) AS signal
