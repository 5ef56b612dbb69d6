-- One subject's contacts to the second degree (CONTRACT.md section 3, trace --degree 2):
-- $1 the subject, [$2, $3] the lookback window.
-- Answer: (subject, degree, first contact time at that degree).
WITH k AS (
    SELECT greatest(coalesce(onset, confirmed) - 172800000, $2::bigint) AS ws,
           least(coalesce(isolated, confirmed), $3::bigint) AS we
    FROM cases
    WHERE subject = $1 AND status IN ('suspected', 'confirmed', 'asymptomatic')
), w AS (
    SELECT coalesce((SELECT ws FROM k), $2::bigint) AS ws,
           coalesce((SELECT we FROM k), $3::bigint) AS we
), mine AS (
    SELECT s.place_id, greatest(s.start_ms, w.ws) AS c0, least(s.end_ms, w.we) AS c1,
           p.tier, p.tau
    FROM w
    JOIN sightings s ON s.subject = $1 AND s.start_ms <= w.we AND s.end_ms >= w.ws
    JOIN places p ON p.place_id = s.place_id AND p.tau IS NOT NULL
    WHERE w.ws <= w.we
), met AS (
    SELECT o.subject, m.tier, greatest(o.start_ms, m.c0) AS met_at
    FROM mine m
    JOIN sightings o ON o.place_id = m.place_id AND @copresent(o, m.c0, m.c1, m.tau)
    WHERE o.subject <> $1 AND o.start_ms <= $3::bigint AND o.end_ms >= $2::bigint
    UNION ALL
    SELECT h.person_id, 0, w.ws
    FROM w, persons me
    JOIN persons h ON h.household_id = me.household_id AND h.person_id <> me.person_id
    WHERE me.person_id = $1 AND w.ws <= w.we
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
