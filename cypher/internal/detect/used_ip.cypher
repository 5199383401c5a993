// Every (account, IP) link with its request count (IP attributes come from detect/ip_nodes).
// params: none
MATCH (a:Account)-[r:USED_IP]->(i:IP)
RETURN a.account_id AS account_id, i.ip AS ip, r.requests AS requests
