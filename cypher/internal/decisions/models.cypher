// Every stored risk model, newest first.
// params: none
MATCH (m:RiskModel)
RETURN m.version AS version, m.created_at AS created_at, m.active AS active,
       m.n_decisions AS n_decisions, m.cv_auc AS cv_auc, m.activated_at AS activated_at
ORDER BY m.created_at DESC, m.version DESC
