-- tracegrid store, PostgreSQL. The same tables as the SQLite store; see migrations/sqlite.

CREATE TABLE regions (
    code        text PRIMARY KEY,
    name        text NOT NULL,
    parent_code text,
    level       text NOT NULL
);

CREATE TABLE region_shapes (
    code     text PRIMARY KEY,
    geometry text NOT NULL
);

CREATE TABLE places (
    pid         bigint PRIMARY KEY,
    place_id    text NOT NULL UNIQUE,
    kind        text NOT NULL,
    name        text,
    lat         double precision,
    lon         double precision,
    region_code text,
    grid_code   text
);

CREATE TABLE persons (
    person_id    text PRIMARY KEY,
    id_number    text NOT NULL,
    name         text,
    phone        text,
    household_id text,
    address      text,
    grid_code    text
);
CREATE INDEX persons_id_number ON persons (id_number);
CREATE INDEX persons_phone ON persons (phone);

CREATE TABLE vehicles (
    plate           text PRIMARY KEY,
    owner_id_number text NOT NULL
);

CREATE TABLE areas (
    area_id     text PRIMARY KEY,
    name        text,
    region_code text,
    geometry    text,
    from_ms     bigint NOT NULL,
    to_ms       bigint,
    risk        text NOT NULL
);

CREATE TABLE cases (
    subject      text PRIMARY KEY,
    status       text NOT NULL,
    onset_ms     bigint,
    confirmed_ms bigint NOT NULL,
    isolated_ms  bigint
);

CREATE TABLE sources (
    id   bigint PRIMARY KEY,
    name text NOT NULL UNIQUE
);

-- The full 128-bit row identity is the primary key, so duplicates are refused exactly.
CREATE TABLE sightings (
    k1           bigint NOT NULL,
    k2           bigint NOT NULL,
    source_id    bigint NOT NULL,
    subject_type smallint NOT NULL,
    subject      text NOT NULL,
    pid          bigint NOT NULL,
    start_ms     bigint NOT NULL,
    end_ms       bigint NOT NULL,
    tag          smallint NOT NULL,
    record_id    text,
    PRIMARY KEY (k1, k2)
);

CREATE TABLE deliveries (
    k1                 bigint NOT NULL,
    k2                 bigint NOT NULL,
    recipient_phone    text NOT NULL,
    origin_region_code text NOT NULL,
    shipped_ms         bigint NOT NULL,
    delivered_ms       bigint,
    record_id          text,
    PRIMARY KEY (k1, k2)
);

CREATE TABLE imports (
    id          bigserial PRIMARY KEY,
    started_ms  bigint NOT NULL,
    finished_ms bigint NOT NULL,
    dir         text NOT NULL,
    summary     text NOT NULL
);
