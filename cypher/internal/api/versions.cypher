// name: api/versions
// description: What the service's in-memory snapshot depends on: the current detection run
//   (complete, newest), the newest committed ban wave, and the ingests so far.
// params: none
OPTIONAL MATCH (r:DetectionRun)
WHERE r.status = 'complete'
WITH r ORDER BY r.created_at DESC LIMIT 1
OPTIONAL MATCH (w:BanWave)
WHERE w.committed = true
WITH r, w ORDER BY w.created_at DESC, w.wave_id DESC LIMIT 1
OPTIONAL MATCH (i:IngestRun)
RETURN r.run_id AS run_id, r.created_at AS created_at, w.wave_id AS wave_id,
       count(i) AS ingests, max(i.finished_at) AS ingested_at
