-- Health reports (CONTRACT.md section 9): daily reports and temperature checks, for the
-- FEVER_REPORTED rule. The same table as the SQLite store's; see migrations/sqlite. The full
-- 128-bit identity is the primary key, so a report fed or imported twice is stored once.

CREATE TABLE health_reports (
    k1             bigint NOT NULL,
    k2             bigint NOT NULL,
    id_number      text NOT NULL,
    time_ms        bigint NOT NULL,
    -- Tenths of a degree Celsius (373 is 37.3 °C).
    temperature_dc integer,
    -- The symptoms named, one bit each (tracegrid-model's Symptom codes: bit code - 1).
    symptoms       integer NOT NULL,
    pid            bigint,
    -- tracegrid-model's Reporter code.
    reporter       integer,
    record_id      text,
    PRIMARY KEY (k1, k2)
);
