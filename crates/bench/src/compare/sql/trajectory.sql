-- One subject's sightings that meet [$2, $3].
SELECT place_id, start_ms, end_ms
FROM sightings
WHERE subject = $1 AND start_ms <= $3::bigint AND end_ms >= $2::bigint
ORDER BY start_ms
