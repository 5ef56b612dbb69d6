-- Health reports (CONTRACT.md section 9): daily reports and temperature checks, for the
-- FEVER_REPORTED rule. Kept like deliveries: an identity table of their own, so that a report
-- fed or imported twice is stored once, and the rows appended. A report with a place is also a
-- sighting (source health), stored in sightings with the same identity.

CREATE TABLE health_report_keys (
    slot INTEGER PRIMARY KEY,
    k2   INTEGER NOT NULL
);

CREATE TABLE health_reports (
    id             INTEGER PRIMARY KEY,
    k1             INTEGER NOT NULL,
    k2             INTEGER NOT NULL,
    -- Whom it is about, as written (normalised); resolved to a person when read.
    id_number      TEXT NOT NULL,
    time_ms        INTEGER NOT NULL,
    -- Tenths of a degree Celsius (373 is 37.3 °C).
    temperature_dc INTEGER,
    -- The symptoms named, one bit each (tracegrid-model's Symptom codes: bit code - 1).
    symptoms       INTEGER NOT NULL,
    pid            INTEGER,
    -- tracegrid-model's Reporter code.
    reporter       INTEGER,
    record_id      TEXT
);
