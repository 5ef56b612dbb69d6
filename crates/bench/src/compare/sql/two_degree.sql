-- One subject's contacts to the second degree (CONTRACT.md section 3, trace --degree 2),
-- after degree1.sql. Answer: (subject, degree, first contact time at that degree).
), first AS (
    -- e: the earliest tier-close contact, from which a close contact's sightings count.
    SELECT subject, min(met_at) AS met_at, min(met_at) FILTER (WHERE tier = 0) AS e
    FROM met
    GROUP BY subject
), theirs AS (
    SELECT f.subject AS c, s.place_id, greatest(s.start_ms, f.e) AS c0,
           least(s.end_ms, $3::bigint) AS c1, 0::bigint AS tau
    FROM first f
    JOIN sightings s ON s.subject = f.subject AND s.start_ms <= $3::bigint AND s.end_ms >= f.e
    JOIN places p ON p.place_id = s.place_id AND p.tier = 0
    WHERE f.e IS NOT NULL
), met2 AS (
    SELECT o.subject, greatest(o.start_ms, t.c0) AS met_at
    FROM theirs t
    JOIN sightings o ON o.place_id = t.place_id AND @copresent(o, t.c0, t.c1, t.tau)
    WHERE o.subject <> t.c AND o.start_ms <= $3::bigint AND o.end_ms >= $2::bigint
    UNION ALL
    SELECT h.person_id, f.e
    FROM first f
    JOIN persons me ON me.person_id = f.subject
    JOIN persons h ON h.household_id = me.household_id AND h.person_id <> me.person_id
    WHERE f.e IS NOT NULL
)
SELECT subject, 1 AS degree, met_at AS first_at FROM first
UNION ALL
SELECT subject, 2, min(met_at)
FROM met2
WHERE subject <> $1 AND subject NOT IN (SELECT subject FROM first)
GROUP BY subject
