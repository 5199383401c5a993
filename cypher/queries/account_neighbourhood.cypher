// name: account_neighbourhood
// description: Everything within $k hops (max 4) of an account through shared payment instruments, IPs, identifiers and similarity links, skipping hubs.
// params: $account_id: string, $k: int = 2, $max_fanout: int = 200, $limit: int = 500
// anchor: Account(account_id)
// example: graphlink query account_neighbourhood --param account_id=r01 --param k=4
// k counts relationships: k=2 reaches the things the account uses and the accounts
// sharing them (and SIMILAR_TO neighbours at 1 hop); k=4 adds their neighbours.
// A pattern length cannot be a parameter (and APOC is not installed), so there is
// one branch per bound (2, 4); the guard on $k keeps the other branch from
// expanding at all, and shortest paths longer than $k are filtered out.  k > 4 is
// treated as 4: at 6 hops the shortest-path search costs seconds even on a small
// graph, and beyond 4 hops the ring is better read from cluster_members.
// Nodes with more than $max_fanout links (a CGNAT IP, a big provider's exit) are
// reported but not expanded through.
MATCH (a:Account {account_id: $account_id})
USING INDEX a:Account(account_id)
CALL (a) {
  WITH a WHERE $k <= 2
  MATCH p = ANY SHORTEST (a)
    ((x)-[:PAID_WITH|USED_IP|HAS_IDENTIFIER|SIMILAR_TO]-(y)
      WHERE x = a OR COUNT { (x)-[:PAID_WITH|USED_IP|HAS_IDENTIFIER|SIMILAR_TO]-() } <= $max_fanout){1,2}
    (n)
  RETURN n, p
  UNION
  WITH a WHERE $k > 2
  MATCH p = ANY SHORTEST (a)
    ((x)-[:PAID_WITH|USED_IP|HAS_IDENTIFIER|SIMILAR_TO]-(y)
      WHERE x = a OR COUNT { (x)-[:PAID_WITH|USED_IP|HAS_IDENTIFIER|SIMILAR_TO]-() } <= $max_fanout){1,4}
    (n)
  RETURN n, p
}
WITH a, n, p
WHERE n <> a AND length(p) <= $k
RETURN length(p) AS hops, labels(n)[0] AS kind,
       coalesce(n.account_id, n.instrument_id, n.ip, n.key) AS id,
       [x IN nodes(p)[1..-1] | labels(x)[0] + ':' + coalesce(x.account_id, x.instrument_id, x.ip, x.key)] AS via,
       COUNT { (n)-[:PAID_WITH|USED_IP|HAS_IDENTIFIER|SIMILAR_TO]-() } AS degree
ORDER BY hops, kind, id
LIMIT $limit
