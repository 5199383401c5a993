// Which of the given decision ids are already stored (a re-loaded file: nothing new).
// params: $decision_ids
UNWIND $decision_ids AS id
MATCH (d:Decision {decision_id: id})
RETURN d.decision_id AS decision_id
