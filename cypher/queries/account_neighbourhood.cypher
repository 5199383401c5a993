// name: account_neighbourhood
// description: Everything within $k hops (max 6) of an account through shared payment instruments, IPs, identifiers and similarity links, skipping hubs.
// params: $account_id: string, $k: int = 2, $max_fanout: int = 200, $limit: int = 500
// example: graphlink query account_neighbourhood --param account_id=r01 --param k=4
// k counts relationships: k=2 reaches the things the account uses and the accounts
// sharing them (and SIMILAR_TO neighbours at 1 hop); k=4 adds their neighbours.
// A pattern length cannot be a parameter (and APOC is not installed), so the
// pattern is bounded at 6 and shortest paths longer than $k are filtered out.
// Nodes with more than $max_fanout relationships (a CGNAT IP, a big provider)
// are reported but not expanded through.
MATCH (a:Account {account_id: $account_id})
MATCH p = ANY SHORTEST (a)
  ((x)-[:PAID_WITH|USED_IP|HAS_IDENTIFIER|SIMILAR_TO]-(y) WHERE x = a OR COUNT { (x)--() } <= $max_fanout){1,6}
  (n)
WHERE n <> a AND length(p) <= $k
WITH n, length(p) AS hops, p
RETURN hops, labels(n)[0] AS kind,
       coalesce(n.account_id, n.instrument_id, n.ip, n.key) AS id,
       [x IN nodes(p)[1..-1] | labels(x)[0] + ':' + coalesce(x.account_id, x.instrument_id, x.ip, x.key)] AS via,
       COUNT { (n)--() } AS degree
ORDER BY hops, kind, id
LIMIT $limit
