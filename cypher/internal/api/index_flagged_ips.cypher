// name: api/index_flagged_ips
// description: IPs known to belong to a proxy provider or a datacenter (sign-up risk flags), with
//   the number of accounts using each (the flag's prior is weighed against them).
// params: none
MATCH (i:IP)
WHERE i.is_datacenter = true OR (i.proxy_provider IS NOT NULL AND i.proxy_provider <> '')
RETURN i.ip AS ip, i.proxy_provider AS proxy_provider, i.is_datacenter AS is_datacenter,
       COUNT { (i)<-[:USED_IP]-() } AS accounts
