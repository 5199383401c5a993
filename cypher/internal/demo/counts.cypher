// name: demo/counts
// description: How much the database holds, to tell an empty (or demo-only) database from someone's data.
// params: none
CALL () { MATCH (a:Account) RETURN count(a) AS accounts }
CALL () { MATCH (n) RETURN count(n) AS nodes }
RETURN accounts, nodes
