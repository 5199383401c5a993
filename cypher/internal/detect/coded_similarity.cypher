// Columnar read-out: behavioural-similarity pairs as node-id pairs with score and signal, for the
// pairs whose first account is in one page (account ids in ($after, $last], a range seek on the
// unique index).
// params: after (string), last (string)
MATCH (a:Account) USING INDEX a:Account(account_id)
WHERE a.account_id > $after AND a.account_id <= $last
MATCH (a)-[s:SIMILAR_TO]->(b:Account)
RETURN collect(id(a)) AS account_a, collect(id(b)) AS account_b,
       collect(coalesce(s.score, 0.0)) AS score, collect(coalesce(s.signal, '')) AS signal
