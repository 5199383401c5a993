// name: linking_path
// description: Shortest path (max 8 hops) linking two accounts through what they share, one row per step.
// params: $account_a: string, $account_b: string, $include_similarity: bool = true
// anchor: Account(account_id)
// example: graphlink query linking_path --param account_a=r01 --param account_b=r08
// Each row is a node on the path and the relationship leading to the next one;
// include_similarity=false keeps to hard links (cards, IPs, identifiers).
MATCH (a:Account {account_id: $account_a}), (b:Account {account_id: $account_b})
USING INDEX a:Account(account_id)
USING INDEX b:Account(account_id)
MATCH p = SHORTEST 1 (a)
  (()-[r:PAID_WITH|USED_IP|HAS_IDENTIFIER|SIMILAR_TO WHERE $include_similarity OR type(r) <> 'SIMILAR_TO']-()){1,8}
  (b)
WITH p, nodes(p) AS ns, relationships(p) AS rs
UNWIND range(0, size(ns) - 1) AS step
WITH step, ns[step] AS n, CASE WHEN step < size(rs) THEN rs[step] END AS r, length(p) AS hops
RETURN step, labels(n)[0] AS kind,
       coalesce(n.account_id, n.instrument_id, n.ip, n.key) AS id,
       CASE labels(n)[0]
         WHEN 'PaymentInstrument' THEN n.kind
         WHEN 'IP' THEN coalesce(nullif(n.proxy_provider, ''), CASE WHEN n.is_datacenter THEN 'datacenter' ELSE 'residential' END)
         WHEN 'Identifier' THEN n.kind
         ELSE n.plan
       END AS detail,
       type(r) AS next_link,
       r.signal AS signal, hops
ORDER BY step
