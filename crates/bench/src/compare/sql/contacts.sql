-- One subject's first-degree contacts (CONTRACT.md section 3, trace --degree 1), after
-- degree1.sql. Answer: (subject, tier 0 close / 1 general, first contact time).
)
SELECT subject, min(tier)::integer AS tier, min(met_at) AS first_at
FROM met
GROUP BY subject
