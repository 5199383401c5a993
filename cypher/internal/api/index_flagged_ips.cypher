// name: api/index_flagged_ips
// description: IPs known to belong to a proxy provider or a datacenter (sign-up risk flags).
// params: none
MATCH (i:IP)
WHERE i.is_datacenter = true OR (i.proxy_provider IS NOT NULL AND i.proxy_provider <> '')
RETURN i.ip AS ip, i.proxy_provider AS proxy_provider, i.is_datacenter AS is_datacenter
