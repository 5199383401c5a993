// Merge validated accounts, and their verified organisation, from one batch.
// Merge rule: properties take the newest non-null value; status defaults to 'active';
// an account whose org_id changed moves to the new Org (old IN_ORG removed).  The org link
// is only touched when org_id changed, so re-loading a snapshot does no link work.
// params: $rows = [{account_id, created_at: epoch ms, email_domain, country, plan, org_id, status}]
UNWIND $rows AS row
MERGE (a:Account {account_id: row.account_id})
WITH a, row, a.org_id AS old_org
SET a.created_at = datetime({epochMillis: row.created_at}),
    a.email_domain = coalesce(row.email_domain, a.email_domain),
    a.country = coalesce(row.country, a.country),
    a.plan = coalesce(row.plan, a.plan),
    a.org_id = coalesce(row.org_id, a.org_id),
    a.status = coalesce(row.status, a.status, 'active')
WITH a, row, old_org
WHERE row.org_id IS NOT NULL AND (old_org IS NULL OR old_org <> row.org_id)
MERGE (o:Org {org_id: row.org_id})
MERGE (a)-[:IN_ORG]->(o)
WITH a, old_org
WHERE old_org IS NOT NULL
MATCH (a)-[old:IN_ORG]->(:Org {org_id: old_org})
DELETE old
