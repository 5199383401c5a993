// Every (account, payment instrument) link with the instrument's kind and BIN.
// params: none
MATCH (a:Account)-[:PAID_WITH]->(p:PaymentInstrument)
RETURN a.account_id AS account_id, p.instrument_id AS instrument_id, p.kind AS kind, p.bin AS bin,
       p.issuer_country AS issuer_country
