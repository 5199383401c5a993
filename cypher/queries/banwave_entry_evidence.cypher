// name: banwave_entry_evidence
// description: The evidence behind one ban-wave entry: the account's reasons, its cluster in the wave's run and everything it shares with other members.
// params: $wave_id: string, $account_id: string
// anchor: BanWave(wave_id) | Account(account_id)
// example: graphlink query banwave_entry_evidence --param wave_id=wave-0001 --param account_id=r01
// One row per piece of evidence (a shared card, IP, identifier or a similarity
// link), with how many cluster members share it and a sample of them.
MATCH (w:BanWave {wave_id: $wave_id})-[i:INCLUDES]->(a:Account {account_id: $account_id})
USING INDEX a:Account(account_id)
OPTIONAL MATCH (a)-[m:MEMBER_OF]->(c:Cluster {cluster_key: w.run_id + '/' + i.cluster_id})
CALL (a, c) {
  MATCH (a)-[:PAID_WITH|USED_IP|HAS_IDENTIFIER]->(x)<-[:PAID_WITH|USED_IP|HAS_IDENTIFIER]-(b:Account)-[:MEMBER_OF]->(c)
  WITH x, collect(DISTINCT b.account_id) AS others
  RETURN labels(x)[0] AS evidence_kind, coalesce(x.instrument_id, x.ip, x.key) AS evidence,
         CASE labels(x)[0]
           WHEN 'PaymentInstrument' THEN x.kind
           WHEN 'IP' THEN coalesce(nullif(x.proxy_provider, ''), CASE WHEN x.is_datacenter THEN 'datacenter' ELSE 'residential' END)
           ELSE x.kind
         END AS detail,
         size(others) AS shared_with, others[..10] AS sample
  UNION
  MATCH (a)-[s:SIMILAR_TO]-(b:Account)-[:MEMBER_OF]->(c)
  WITH s.signal AS signal, collect(b.account_id) AS others, max(s.score) AS score
  RETURN 'SIMILAR_TO' AS evidence_kind, signal AS evidence, 'score ' + toString(round(score, 3)) AS detail,
         size(others) AS shared_with, others[..10] AS sample
}
RETURN w.wave_id AS wave_id, a.account_id AS account_id, i.reasons AS wave_reasons,
       i.cluster_id AS cluster_id, i.cluster_risk AS cluster_risk, m.account_risk AS account_risk,
       evidence_kind, evidence, detail, shared_with, sample
ORDER BY shared_with DESC, evidence_kind, evidence
