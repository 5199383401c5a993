// Every (account, payment instrument) link with the instrument's kind, BIN and issuer country,
// as ONE record of parallel lists (nulls as '').
// params: none
MATCH (a:Account)-[:PAID_WITH]->(p:PaymentInstrument)
RETURN collect(a.account_id) AS account_id, collect(p.instrument_id) AS instrument_id,
       collect(coalesce(p.kind, '')) AS kind, collect(coalesce(p.bin, '')) AS bin,
       collect(coalesce(p.issuer_country, '')) AS issuer_country
