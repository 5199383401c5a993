// Columnar read-out: per identifier its node id and lower-case kind (device, phone_hash, ...).
// params: none
MATCH (i:Identifier)
RETURN collect(id(i)) AS thing, collect(toLower(coalesce(i.kind, ''))) AS kind
