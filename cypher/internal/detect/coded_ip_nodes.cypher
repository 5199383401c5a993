// Columnar read-out: per IP its node id, whether a proxy provider is named, and the datacenter flag.
// params: none
MATCH (i:IP)
RETURN collect(id(i)) AS thing, collect(trim(coalesce(i.proxy_provider, '')) <> '') AS proxy,
       collect(coalesce(i.is_datacenter, false)) AS datacenter
