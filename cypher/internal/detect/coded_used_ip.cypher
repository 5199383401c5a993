// Columnar read-out: (account, IP) links as node-id pairs with the link's request count, for the
// accounts of one page (account ids in ($after, $last], a range seek on the unique index).
// params: after (string), last (string)
MATCH (a:Account) USING INDEX a:Account(account_id)
WHERE a.account_id > $after AND a.account_id <= $last
MATCH (a)-[r:USED_IP]->(i:IP)
RETURN collect(id(a)) AS account, collect(id(i)) AS thing, collect(coalesce(r.requests, 0)) AS requests
