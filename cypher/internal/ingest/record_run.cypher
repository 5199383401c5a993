// Record an ingest run, keyed by the content hash of the snapshot's table files.
// Loading the same snapshot again changes nothing (ON CREATE only); returns whether it was new.
// params: $ingest_id, $started_at, $finished_at (ISO-8601), $snapshot, $report_json
MERGE (r:IngestRun {ingest_id: $ingest_id})
  ON CREATE SET r.started_at = datetime($started_at),
                r.finished_at = datetime($finished_at),
                r.snapshot = $snapshot,
                r.report_json = $report_json,
                r.created_now = true
WITH r, coalesce(r.created_now, false) AS created
REMOVE r.created_now
RETURN created
