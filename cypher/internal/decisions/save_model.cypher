// Store a risk model by version.  Idempotent: the same fitted numbers give the same version,
// and a model already stored keeps its first created_at.
// params: $version, $json, $created_at (ISO-8601), $n_decisions, $cv_auc
MERGE (m:RiskModel {version: $version})
ON CREATE SET m.json = $json, m.created_at = datetime($created_at), m.active = false,
              m.n_decisions = $n_decisions, m.cv_auc = $cv_auc
RETURN m.version AS version, m.active AS active
