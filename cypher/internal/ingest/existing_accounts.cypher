// Which of these account ids already exist in the store (links to them are accepted).
// params: $ids = [account_id]
UNWIND $ids AS id
MATCH (a:Account {account_id: id})
RETURN DISTINCT id
