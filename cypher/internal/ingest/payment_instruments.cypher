// Merge payment instruments and (:Account)-[:PAID_WITH]->(:PaymentInstrument) of one batch.
// Merge rule: kind, bin, issuer_country take the newest non-null value; first_seen (node and
// link) keeps the minimum.  Rows never carry a raw card number (validation refuses them).
// params: $rows = [{account_id, instrument_id, kind, bin, issuer_country, first_seen: epoch ms|null}]
UNWIND $rows AS row
MATCH (a:Account {account_id: row.account_id})
MERGE (p:PaymentInstrument {instrument_id: row.instrument_id})
WITH a, p, row,
     CASE WHEN row.first_seen IS NULL THEN null ELSE datetime({epochMillis: row.first_seen}) END AS fs
SET p.kind = coalesce(row.kind, p.kind),
    p.bin = coalesce(row.bin, p.bin),
    p.issuer_country = coalesce(row.issuer_country, p.issuer_country),
    p.first_seen = CASE WHEN fs IS NOT NULL AND (p.first_seen IS NULL OR fs < p.first_seen) THEN fs ELSE p.first_seen END
MERGE (a)-[r:PAID_WITH]->(p)
SET r.first_seen = CASE WHEN fs IS NOT NULL AND (r.first_seen IS NULL OR fs < r.first_seen) THEN fs ELSE r.first_seen END
