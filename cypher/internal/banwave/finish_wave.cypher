// name: banwave/finish_wave
// description: Mark a wave committed once all its INCLUDES are written (readers only see committed waves).
// params: $wave_id, $n_accounts
MATCH (w:BanWave {wave_id: $wave_id})
OPTIONAL MATCH (w)-[i:INCLUDES]->(:Account)
WITH w, count(i) AS n
WHERE n = $n_accounts
SET w.committed = true
RETURN w.wave_id AS wave_id, n AS n_accounts
