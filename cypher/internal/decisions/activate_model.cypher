// Make one stored model the active one (the model `graphlink detect` scores with); every other
// model is deactivated in the same transaction, so at most one is ever active.
// params: $version, $at (ISO-8601)
MATCH (m:RiskModel {version: $version})
CALL (m) {
  MATCH (o:RiskModel {active: true}) WHERE o <> m
  SET o.active = false
}
SET m.active = true, m.activated_at = datetime($at)
RETURN m.version AS version
