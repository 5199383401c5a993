// Columnar read-out: (account, instrument) links as node-id pairs (no strings on the wire), for
// the accounts of one page (account ids in ($after, $last], a range seek on the unique index).
// params: after (string), last (string)
MATCH (a:Account) USING INDEX a:Account(account_id)
WHERE a.account_id > $after AND a.account_id <= $last
MATCH (a)-[:PAID_WITH]->(p:PaymentInstrument)
RETURN collect(id(a)) AS account, collect(id(p)) AS thing
