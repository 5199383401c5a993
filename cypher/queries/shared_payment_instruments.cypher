// name: shared_payment_instruments
// description: Payment instruments used by at least $min_accounts accounts, most shared first ($kind filters e.g. prepaid; empty = any).
// params: $min_accounts: int = 3, $kind: string = "", $limit: int = 100
// anchor: none (an aggregate over every payment instrument)
// example: graphlink query shared_payment_instruments --param min_accounts=5 --param kind=prepaid
MATCH (p:PaymentInstrument)
WHERE $kind = '' OR p.kind = $kind
WITH p, COUNT { (p)<-[:PAID_WITH]-(:Account) } AS n_accounts
WHERE n_accounts >= $min_accounts
CALL (p) {
  MATCH (p)<-[:PAID_WITH]-(a:Account)
  WITH a ORDER BY a.account_id
  RETURN collect(a.account_id)[..20] AS accounts, min(a.created_at) AS first_account_created,
         max(a.created_at) AS last_account_created
}
RETURN p.instrument_id AS instrument_id, p.kind AS kind, p.bin AS bin, p.issuer_country AS issuer_country,
       n_accounts, accounts, first_account_created, last_account_created
ORDER BY n_accounts DESC, instrument_id
LIMIT $limit
