// Merge IP nodes (one row per distinct IP of a batch) with their ASN and proxy provider.
// Merge rule: asn, proxy_provider, is_datacenter take the newest non-null value; when the
// ASN or provider changes, the IP's IN_ASN / VIA_PROVIDER moves to the new one.
// params: $rows = [{ip (normalised), asn: int|null, proxy_provider: str|null, is_datacenter: bool|null}]
UNWIND $rows AS row
MERGE (i:IP {ip: row.ip})
SET i.asn = coalesce(row.asn, i.asn),
    i.proxy_provider = coalesce(row.proxy_provider, i.proxy_provider),
    i.is_datacenter = coalesce(row.is_datacenter, i.is_datacenter)
WITH i, row
CALL (i, row) {
  WITH i, row
  WHERE row.asn IS NOT NULL
  MERGE (n:ASN {asn: row.asn})
  MERGE (i)-[:IN_ASN]->(n)
  WITH i, n
  OPTIONAL MATCH (i)-[old:IN_ASN]->(m:ASN)
  WHERE m <> n
  DELETE old
}
CALL (i, row) {
  WITH i, row
  WHERE row.proxy_provider IS NOT NULL
  MERGE (p:ProxyProvider {name: row.proxy_provider})
  MERGE (i)-[:VIA_PROVIDER]->(p)
  WITH i, p
  OPTIONAL MATCH (i)-[old:VIA_PROVIDER]->(q:ProxyProvider)
  WHERE q <> p
  DELETE old
}
