// One stored risk model by version.
// params: $version
MATCH (m:RiskModel {version: $version})
RETURN m.version AS version, m.json AS json, m.active AS active
