// Every (account, IP) link with its request count, as ONE record of parallel lists
// (measured at 320k links: 2.4 s against 12.4 s for a row per link).
// params: none
MATCH (a:Account)-[r:USED_IP]->(i:IP)
RETURN collect(a.account_id) AS account_id, collect(i.ip) AS ip, collect(coalesce(r.requests, 0)) AS requests
