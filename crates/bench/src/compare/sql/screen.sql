-- The full screen of CONTRACT.md section 2 over the lookback window [$1, $2], home region $3
-- (NULL: no OUTSIDE_ARRIVAL). Answer: (subject, code, case or area, earliest time), one row
-- for each reason the contract gives a subject who is not a case. `AS @cte (` is a plain CTE
-- for PostgreSQL and a materialized one for DuckDB: DuckDB 1.5.5 stalls on this statement at
-- 10 million sightings when it inlines them (idle threads, no answer after 5 minutes).
WITH cases_w AS @cte (
    SELECT subject,
           greatest(coalesce(onset, confirmed) - 172800000, $1::bigint) AS ws,
           least(coalesce(isolated, confirmed), $2::bigint) AS we
    FROM cases
    WHERE status IN ('suspected', 'confirmed', 'asymptomatic')
), exposed AS @cte (
    SELECT * FROM cases_w WHERE ws <= we
), theirs AS @cte (
    -- Each case's sightings at places where contact counts, clipped to its exposure window.
    SELECT k.subject AS k, s.place_id, greatest(s.start_ms, k.ws) AS c0,
           least(s.end_ms, k.we) AS c1, p.tier, p.tau
    FROM exposed k
    JOIN sightings s ON s.subject = k.subject AND s.start_ms <= k.we AND s.end_ms >= k.ws
    JOIN places p ON p.place_id = s.place_id AND p.tau IS NOT NULL
), met AS @cte (
    SELECT o.subject, t.k, t.tier, greatest(o.start_ms, t.c0) AS met_at
    FROM theirs t
    JOIN sightings o ON o.place_id = t.place_id AND @copresent(o, t.c0, t.c1, t.tau)
    WHERE o.subject <> t.k AND o.start_ms <= $2::bigint AND o.end_ms >= $1::bigint
    UNION ALL
    SELECT h.person_id, k.subject, 0, k.ws
    FROM exposed k
    JOIN persons me ON me.person_id = k.subject
    JOIN persons h ON h.household_id = me.household_id AND h.person_id <> me.person_id
), contacts AS @cte (
    SELECT * FROM met WHERE subject NOT IN (SELECT subject FROM cases_w)
), close AS @cte (
    -- Each close contact's earliest close contact time e, and the case it came from.
    SELECT DISTINCT ON (subject) subject, met_at AS e, k
    FROM contacts
    WHERE tier = 0
    ORDER BY subject, met_at, k
), theirs2 AS @cte (
    SELECT c.subject AS c, c.k, s.place_id, greatest(s.start_ms, c.e) AS c0,
           least(s.end_ms, $2::bigint) AS c1, 0::bigint AS tau
    FROM close c
    JOIN sightings s ON s.subject = c.subject AND s.start_ms <= $2::bigint AND s.end_ms >= c.e
    JOIN places p ON p.place_id = s.place_id AND p.tier = 0
), met2 AS @cte (
    SELECT o.subject, t.k, greatest(o.start_ms, t.c0) AS met_at
    FROM theirs2 t
    JOIN sightings o ON o.place_id = t.place_id AND @copresent(o, t.c0, t.c1, t.tau)
    WHERE o.subject <> t.c AND o.start_ms <= $2::bigint AND o.end_ms >= $1::bigint
    UNION ALL
    SELECT h.person_id, c.k, c.e
    FROM close c
    JOIN persons me ON me.person_id = c.subject
    JOIN persons h ON h.household_id = me.household_id AND h.person_id <> me.person_id
), area_places AS @cte (
    SELECT a.area_id, a.from_ms, coalesce(a.to_ms, 9223372036854775807) AS to_ms, p.place_id
    FROM areas a
    JOIN region_tree t ON t.ancestor = a.region_code
    JOIN places p ON p.region_code = t.code
    WHERE a.geom IS NULL
    UNION ALL
    SELECT a.area_id, a.from_ms, coalesce(a.to_ms, 9223372036854775807), p.place_id
    FROM areas a
    JOIN places p ON ST_Contains(a.geom, p.geom)
    WHERE a.geom IS NOT NULL
), side AS @cte (
    -- Places with a region: inside the home region or not.
    SELECT p.place_id, t.code IS NOT NULL AS home
    FROM places p
    LEFT JOIN region_tree t ON t.code = p.region_code AND t.ancestor = $3::text
    WHERE p.region_code IS NOT NULL
), first_out AS @cte (
    SELECT s.subject, min(s.start_ms) AS x
    FROM sightings s
    JOIN side ON side.place_id = s.place_id AND NOT side.home
    WHERE s.start_ms <= $2::bigint AND s.end_ms >= $1::bigint
    GROUP BY s.subject
), reasons AS @cte (
    SELECT subject,
           CASE tier WHEN 0 THEN 'CLOSE_CONTACT' ELSE 'GENERAL_CONTACT' END AS code,
           k AS key, min(met_at) AS met_at
    FROM contacts
    GROUP BY 1, 2, 3
    UNION ALL
    SELECT subject, 'SECONDARY_CONTACT', k, min(met_at)
    FROM met2
    WHERE subject NOT IN (SELECT subject FROM close)
    GROUP BY 1, 3
    UNION ALL
    SELECT s.subject, 'EPI_AREA', ap.area_id, min(greatest(s.start_ms, ap.from_ms, $1::bigint))
    FROM area_places ap
    JOIN sightings s ON s.place_id = ap.place_id
    WHERE s.start_ms <= least(ap.to_ms, $2::bigint) AND s.end_ms >= greatest(ap.from_ms, $1::bigint)
    GROUP BY 1, 3
    UNION ALL
    SELECT subject, 'FEVER_MEDICINE', '', min(greatest(start_ms, $1::bigint))
    FROM sightings
    WHERE source = 'pharmacy' AND tag IN (1, 2, 3)
      AND start_ms <= $2::bigint AND end_ms >= $1::bigint
    GROUP BY 1
    UNION ALL
    SELECT s.subject, 'OUTSIDE_ARRIVAL', '', min(s.start_ms)
    FROM sightings s
    JOIN side ON side.place_id = s.place_id AND side.home
    JOIN first_out f ON f.subject = s.subject AND s.start_ms > f.x
    WHERE s.start_ms <= $2::bigint AND s.end_ms >= $1::bigint
    GROUP BY 1
    UNION ALL
    SELECT d.recipient, 'DELIVERY_FROM_AREA', a.area_id, min(coalesce(d.delivered, d.shipped))
    FROM deliveries d
    JOIN areas a ON a.geom IS NULL AND a.from_ms <= d.shipped
                AND d.shipped <= coalesce(a.to_ms, 9223372036854775807)
    JOIN region_tree t ON t.code = d.origin_region_code AND t.ancestor = a.region_code
    WHERE coalesce(d.delivered, d.shipped) BETWEEN $1::bigint AND $2::bigint
    GROUP BY 1, 3
    UNION ALL
    -- FEVER_REPORTED (section 9): 37.3 °C or more, or a symptom named (a non-zero bitset).
    SELECT subject, 'FEVER_REPORTED', '', min(time_ms)
    FROM health_reports
    WHERE (temperature_dc >= 373 OR symptoms <> 0)
      AND time_ms BETWEEN $1::bigint AND $2::bigint
    GROUP BY 1
)
SELECT subject, code, key, met_at
FROM reasons
WHERE subject NOT IN (SELECT subject FROM cases_w)
