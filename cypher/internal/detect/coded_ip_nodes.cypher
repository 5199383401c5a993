// Columnar read-out, one page: the next $limit IPs after $after in address order (a range seek on
// the unique index, no sort), each with its node id, whether a proxy provider is named, and the
// datacenter flag; `last` is the page's last address (null when the page is empty).
// params: after (string, '' for the first page), limit (integer)
MATCH (i:IP) USING INDEX i:IP(ip)
WHERE i.ip > $after
WITH i ORDER BY i.ip LIMIT $limit
RETURN collect(id(i)) AS thing, collect(trim(coalesce(i.proxy_provider, '')) <> '') AS proxy,
       collect(coalesce(i.is_datacenter, false)) AS datacenter, max(i.ip) AS last
