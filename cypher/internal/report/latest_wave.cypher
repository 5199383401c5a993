// description: The id of the newest ban wave (or no row).
// params: none
MATCH (w:BanWave)
RETURN w.wave_id AS wave_id
ORDER BY w.created_at DESC
LIMIT 1
