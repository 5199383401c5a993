// Columnar read-out: per SHARED payment instrument (two or more PAID_WITH links) its node id,
// kind and BIN (prepaid or not is decided in Python, graphlink.detect.linking.prepaid_rows: one
// definition).  An instrument with one holder gives no edge and nothing else in detection reads
// it, so its properties are not read (most instruments); its links, read by
// detect/coded_payments, are dropped in the join (graphlink.detect.readout).
// params: none
MATCH (p:PaymentInstrument)
WHERE COUNT { (p)<-[:PAID_WITH]-() } >= 2
RETURN collect(id(p)) AS thing, collect(coalesce(p.kind, '')) AS kind, collect(coalesce(p.bin, '')) AS bin
