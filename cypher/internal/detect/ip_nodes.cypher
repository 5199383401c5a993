// Every IP with its ASN, proxy provider and datacenter flag (once per IP; links come from
// detect/used_ip), as ONE record of parallel lists (nulls as -1 / '' / false).
// params: none
MATCH (i:IP)
RETURN collect(i.ip) AS ip, collect(coalesce(i.asn, -1)) AS asn,
       collect(coalesce(i.proxy_provider, '')) AS proxy_provider,
       collect(coalesce(i.is_datacenter, false)) AS is_datacenter
