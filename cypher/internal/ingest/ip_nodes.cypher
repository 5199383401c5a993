// Merge IP nodes (one row per distinct IP of a batch) with their ASN and proxy provider.
// Merge rule: asn, proxy_provider, is_datacenter take the newest non-null value; when the
// ASN or provider changes, the IP's IN_ASN / VIA_PROVIDER moves to the new one.  Links are
// only touched when the value changed, so re-loading a snapshot does no link work.
// params: $rows = [{ip (normalised), asn: int|null, proxy_provider: str|null, is_datacenter: bool|null}]
UNWIND $rows AS row
MERGE (i:IP {ip: row.ip})
WITH i, row, i.asn AS old_asn, i.proxy_provider AS old_provider
SET i.asn = coalesce(row.asn, i.asn),
    i.proxy_provider = coalesce(row.proxy_provider, i.proxy_provider),
    i.is_datacenter = coalesce(row.is_datacenter, i.is_datacenter)
WITH i, row, old_asn, old_provider
CALL (i, row, old_asn) {
  WITH i, row, old_asn
  WHERE row.asn IS NOT NULL AND (old_asn IS NULL OR old_asn <> row.asn)
  MERGE (n:ASN {asn: row.asn})
  MERGE (i)-[:IN_ASN]->(n)
  WITH i, old_asn
  WHERE old_asn IS NOT NULL
  MATCH (i)-[old:IN_ASN]->(:ASN {asn: old_asn})
  DELETE old
}
CALL (i, row, old_provider) {
  WITH i, row, old_provider
  WHERE row.proxy_provider IS NOT NULL AND (old_provider IS NULL OR old_provider <> row.proxy_provider)
  MERGE (p:ProxyProvider {name: row.proxy_provider})
  MERGE (i)-[:VIA_PROVIDER]->(p)
  WITH i, old_provider
  WHERE old_provider IS NOT NULL
  MATCH (i)-[old:VIA_PROVIDER]->(:ProxyProvider {name: old_provider})
  DELETE old
}
