-- Found by the data first: each alert's first appearance, kept so that a case confirmed later
-- can be told apart as found by the data before its confirmation, or missed. One row a subject,
-- written once (a restart, a repeated feed or an import again never changes it).

CREATE TABLE first_alerts (
    -- The engine's name of the subject (a person_id, or TYPE:VALUE).
    subject   TEXT PRIMARY KEY,
    -- The moment of the screening that first showed the alert.
    as_of_ms  INTEGER NOT NULL,
    -- When, by the wall clock, it was first seen.
    seen_ms   INTEGER NOT NULL,
    -- The alert's score, its place in the screening's order (1 first) and its reason codes
    -- (comma-separated), then.
    score     REAL NOT NULL,
    rank      INTEGER NOT NULL,
    reasons   TEXT NOT NULL
);

-- When the record began: the first screening it followed, alerts or none. A case confirmed
-- before it was not watched for.
CREATE TABLE first_alerts_began (
    id        INTEGER PRIMARY KEY CHECK (id = 1),
    as_of_ms  INTEGER NOT NULL,
    seen_ms   INTEGER NOT NULL
);
