// Columnar read-out: per SHARED identifier (two or more HAS_IDENTIFIER links) its node id and
// lower-case kind (device, phone_hash, ...).  One holder gives no edge, so its kind is not read;
// its links (detect/coded_identifiers) are dropped in the join (graphlink.detect.readout).
// params: none
MATCH (i:Identifier)
WHERE COUNT { (i)<-[:HAS_IDENTIFIER]-() } >= 2
RETURN collect(id(i)) AS thing, collect(toLower(coalesce(i.kind, ''))) AS kind
