// Columnar read-out: (account, identifier) links as node-id pairs.
// params: none
MATCH (a:Account)-[:HAS_IDENTIFIER]->(i:Identifier)
RETURN collect(id(a)) AS account, collect(id(i)) AS thing
