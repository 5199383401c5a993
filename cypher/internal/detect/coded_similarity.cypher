// Columnar read-out: behavioural-similarity pairs as node-id pairs with score and signal.
// params: none
MATCH (a:Account)-[s:SIMILAR_TO]->(b:Account)
RETURN collect(id(a)) AS account_a, collect(id(b)) AS account_b,
       collect(coalesce(s.score, 0.0)) AS score, collect(coalesce(s.signal, '')) AS signal
