// The active risk model, if any.
// params: none
MATCH (m:RiskModel {active: true})
RETURN m.version AS version, m.json AS json
ORDER BY m.activated_at DESC
LIMIT 1
