// Whether the database holds any node (the bulk importer may only replace an empty one).
// params: none
OPTIONAL MATCH (n)
WITH n LIMIT 1
RETURN n IS NOT NULL AS has_data
