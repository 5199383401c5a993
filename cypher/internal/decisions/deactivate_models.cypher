// No active model: detection goes back to the shipped default.
// params: none
MATCH (m:RiskModel {active: true})
SET m.active = false
RETURN count(m) AS deactivated
