-- PostgreSQL 15 + PostGIS 3: the tables, before COPY. Text keys in byte order (COLLATE "C"),
-- as the other systems compare them; each sighting's interval as a closed int8range, computed
-- on COPY, for the GiST index the co-presence joins use.
CREATE TABLE regions (code text COLLATE "C" PRIMARY KEY, parent_code text COLLATE "C");
CREATE TABLE places (
    place_id text COLLATE "C" PRIMARY KEY, kind text NOT NULL, tier integer NOT NULL, tau bigint,
    region_code text COLLATE "C", lon double precision, lat double precision
);
CREATE TABLE persons (person_id text COLLATE "C" PRIMARY KEY, household_id text COLLATE "C");
CREATE TABLE cases (
    subject text COLLATE "C" PRIMARY KEY, status text NOT NULL, onset bigint,
    confirmed bigint NOT NULL, isolated bigint
);
CREATE TABLE areas (
    area_id text COLLATE "C" PRIMARY KEY, region_code text COLLATE "C", geojson text,
    from_ms bigint NOT NULL, to_ms bigint
);
CREATE TABLE deliveries (
    recipient text COLLATE "C" NOT NULL, origin_region_code text COLLATE "C" NOT NULL,
    shipped bigint NOT NULL, delivered bigint
);
CREATE TABLE health_reports (
    subject text COLLATE "C" NOT NULL, time_ms bigint NOT NULL, temperature_dc integer,
    symptoms integer NOT NULL
);
CREATE TABLE sightings (
    subject text COLLATE "C" NOT NULL, place_id text COLLATE "C" NOT NULL,
    start_ms bigint NOT NULL, end_ms bigint NOT NULL, source text NOT NULL, tag integer NOT NULL,
    during int8range GENERATED ALWAYS AS (int8range(start_ms, end_ms, '[]')) STORED
);
