// name: similar_accounts
// description: Accounts behaviourally similar to one account (SIMILAR_TO), optionally for one signal and above a score.
// params: $account_id: string, $signal: string = "", $min_score: float = 0.0
// anchor: Account(account_id)
// example: graphlink query similar_accounts --param account_id=r01 --param signal=prompt_template
MATCH (a:Account {account_id: $account_id})-[s:SIMILAR_TO]-(b:Account)
USING INDEX a:Account(account_id)
WHERE ($signal = '' OR s.signal = $signal) AND s.score >= $min_score
RETURN b.account_id AS account_id, s.signal AS signal, s.score AS score, b.created_at AS created_at,
       b.plan AS plan, b.country AS country
ORDER BY score DESC, account_id
