// Columnar read-out: per payment instrument its node id, kind and BIN (prepaid or not is
// decided in Python, graphlink.detect.linking.prepaid_rows: one definition).
// params: none
MATCH (p:PaymentInstrument)
RETURN collect(id(p)) AS thing, collect(coalesce(p.kind, '')) AS kind, collect(coalesce(p.bin, '')) AS bin
