// name: demo/wipe
// description: Delete every node and relationship (schema stays). Only `graphlink demo` runs it, on a database that holds nothing but its own previous demo, or with --wipe. Needs an auto-commit transaction (CALL IN TRANSACTIONS).
// params: none
MATCH (n) CALL (n) { DETACH DELETE n } IN TRANSACTIONS OF 10000 ROWS
