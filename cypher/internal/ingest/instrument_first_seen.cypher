// After a bulk import: set each PaymentInstrument's first_seen to the minimum of its
// PAID_WITH links' first_seen (the importer keeps the first row's value).  Runs in its own
// auto-commit transaction (CALL ... IN TRANSACTIONS).
// params: none
MATCH (p:PaymentInstrument)
CALL (p) {
  MATCH (p)<-[r:PAID_WITH]-()
  WITH p, min(r.first_seen) AS fs
  WHERE fs IS NOT NULL
  SET p.first_seen = fs
} IN TRANSACTIONS OF 10000 ROWS
