// Columnar read-out: (account, IP) links as node-id pairs with the link's request count.
// params: none
MATCH (a:Account)-[r:USED_IP]->(i:IP)
RETURN collect(id(a)) AS account, collect(id(i)) AS thing, collect(coalesce(r.requests, 0)) AS requests
