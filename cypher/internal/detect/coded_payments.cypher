// Columnar read-out: (account, instrument) links as node-id pairs (no strings on the wire).
// params: none
MATCH (a:Account)-[:PAID_WITH]->(p:PaymentInstrument)
RETURN collect(id(a)) AS account, collect(id(p)) AS thing
