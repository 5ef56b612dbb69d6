-- Everyone at a place inside region $1 (or a region below it) during [$2, $3], within the
-- lookback window [$4, $5] (which must overlap), with the earliest such time: the EPI_AREA
-- rule for one area.
SELECT s.subject, min(greatest(s.start_ms, $2::bigint, $4::bigint)) AS met_at
FROM region_tree t
JOIN places p ON p.region_code = t.code
JOIN sightings s ON s.place_id = p.place_id
WHERE t.ancestor = $1
  AND @copresent(s, greatest($2::bigint, $4::bigint), least($3::bigint, $5::bigint), 0)
GROUP BY s.subject
