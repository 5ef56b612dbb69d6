-- Degree 1 of a traced subject, the start of contacts.sql and two_degree.sql: $1 the subject,
-- [$2, $3] the lookback window; a case is traced over its exposure window. `met` holds
-- every meeting: (subject, tier 0 close / 1 general, time).
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
