-- Everyone at a place inside the GeoJSON polygon $1 during [$2, $3], within the lookback
-- window [$4, $5] (which must overlap), with the earliest such time.
SELECT s.subject, min(greatest(s.start_ms, $2::bigint, $4::bigint)) AS met_at
FROM places p
JOIN sightings s ON s.place_id = p.place_id
WHERE ST_Contains(ST_GeomFromGeoJSON($1), p.geom)
  AND @copresent(s, greatest($2::bigint, $4::bigint), least($3::bigint, $5::bigint), 0)
GROUP BY s.subject
