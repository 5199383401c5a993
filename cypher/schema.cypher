// graphlink graph schema (Neo4j 5.26 Community).
// Applied by `graphlink init` and at the start of every ingest / detect run.
// Every statement is idempotent (IF NOT EXISTS), so re-applying changes nothing.
//
// Node keys (uniqueness constraints; each also creates the backing index):
//   (:Account {account_id})            platform account
//   (:PaymentInstrument {instrument_id}) opaque fingerprint, never a raw card number
//   (:IP {ip})                         normalised (compressed, lower-case) IPv4/IPv6
//   (:ASN {asn})                       autonomous system
//   (:ProxyProvider {name})            commercial proxy / VPN / reseller service
//   (:Identifier {key})                key = kind + ':' + value (device, phone_hash, ...)
//   (:Org {org_id})                    verified organisation
//   (:DetectionRun {run_id}) (:Cluster {cluster_key}) (:BanWave {wave_id}) (:ApiKey {key_hash})
//   (:Decision {decision_id})          investigator's confirm/reject (graphlink label)
//   (:RiskModel {version})             calibrated risk model (graphlink calibrate)

CREATE CONSTRAINT account_id IF NOT EXISTS FOR (a:Account) REQUIRE a.account_id IS UNIQUE;
CREATE CONSTRAINT instrument_id IF NOT EXISTS FOR (p:PaymentInstrument) REQUIRE p.instrument_id IS UNIQUE;
CREATE CONSTRAINT ip_addr IF NOT EXISTS FOR (i:IP) REQUIRE i.ip IS UNIQUE;
CREATE CONSTRAINT asn_number IF NOT EXISTS FOR (n:ASN) REQUIRE n.asn IS UNIQUE;
CREATE CONSTRAINT proxy_provider_name IF NOT EXISTS FOR (p:ProxyProvider) REQUIRE p.name IS UNIQUE;
CREATE CONSTRAINT identifier_key IF NOT EXISTS FOR (i:Identifier) REQUIRE i.key IS UNIQUE;
CREATE CONSTRAINT org_id IF NOT EXISTS FOR (o:Org) REQUIRE o.org_id IS UNIQUE;
CREATE CONSTRAINT detection_run_id IF NOT EXISTS FOR (r:DetectionRun) REQUIRE r.run_id IS UNIQUE;
CREATE CONSTRAINT cluster_key IF NOT EXISTS FOR (c:Cluster) REQUIRE c.cluster_key IS UNIQUE;
CREATE CONSTRAINT banwave_id IF NOT EXISTS FOR (w:BanWave) REQUIRE w.wave_id IS UNIQUE;
CREATE CONSTRAINT apikey_hash IF NOT EXISTS FOR (k:ApiKey) REQUIRE k.key_hash IS UNIQUE;
CREATE CONSTRAINT ingest_batch_id IF NOT EXISTS FOR (b:IngestRun) REQUIRE b.ingest_id IS UNIQUE;
CREATE CONSTRAINT decision_id IF NOT EXISTS FOR (d:Decision) REQUIRE d.decision_id IS UNIQUE;
CREATE CONSTRAINT risk_model_version IF NOT EXISTS FOR (m:RiskModel) REQUIRE m.version IS UNIQUE;

// Lookups investigators and the service make.
CREATE INDEX account_created_at IF NOT EXISTS FOR (a:Account) ON (a.created_at);
CREATE INDEX account_org IF NOT EXISTS FOR (a:Account) ON (a.org_id);
CREATE INDEX account_plan IF NOT EXISTS FOR (a:Account) ON (a.plan);
CREATE INDEX account_status IF NOT EXISTS FOR (a:Account) ON (a.status);
CREATE INDEX account_email_domain IF NOT EXISTS FOR (a:Account) ON (a.email_domain);
CREATE INDEX ip_proxy_provider IF NOT EXISTS FOR (i:IP) ON (i.proxy_provider);
CREATE INDEX ip_datacenter IF NOT EXISTS FOR (i:IP) ON (i.is_datacenter);
CREATE INDEX identifier_kind IF NOT EXISTS FOR (i:Identifier) ON (i.kind);
CREATE INDEX instrument_kind IF NOT EXISTS FOR (p:PaymentInstrument) ON (p.kind);
CREATE INDEX cluster_id IF NOT EXISTS FOR (c:Cluster) ON (c.cluster_id);
CREATE INDEX cluster_run IF NOT EXISTS FOR (c:Cluster) ON (c.run_id);
CREATE INDEX cluster_risk IF NOT EXISTS FOR (c:Cluster) ON (c.risk);
CREATE INDEX detection_run_created IF NOT EXISTS FOR (r:DetectionRun) ON (r.created_at);
CREATE INDEX banwave_created IF NOT EXISTS FOR (w:BanWave) ON (w.created_at);
CREATE INDEX similar_signal IF NOT EXISTS FOR ()-[s:SIMILAR_TO]-() ON (s.signal);
CREATE INDEX member_of_run IF NOT EXISTS FOR ()-[m:MEMBER_OF]-() ON (m.run_id);
CREATE INDEX decision_target IF NOT EXISTS FOR (d:Decision) ON (d.target_id);
CREATE INDEX risk_model_active IF NOT EXISTS FOR (m:RiskModel) ON (m.active);
