// Every IP with its ASN, proxy provider and datacenter flag (one row per IP; links come separately).
// params: none
MATCH (i:IP)
RETURN i.ip AS ip, i.asn AS asn, i.proxy_provider AS proxy_provider, i.is_datacenter AS is_datacenter
