-- tracegrid store, SQLite. Times are epoch milliseconds; vocabulary values are the contract's
-- spellings for registries and small integer codes (tracegrid-model) in the sightings table.

CREATE TABLE regions (
    code        TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    parent_code TEXT,
    level       TEXT NOT NULL
);

-- Polygons from grids.geojson, kept apart so that re-importing regions never drops a shape.
CREATE TABLE region_shapes (
    code     TEXT PRIMARY KEY,
    geometry TEXT NOT NULL
);

CREATE TABLE places (
    pid         INTEGER PRIMARY KEY,
    place_id    TEXT NOT NULL UNIQUE,
    kind        TEXT NOT NULL,
    name        TEXT,
    lat         REAL,
    lon         REAL,
    region_code TEXT,
    grid_code   TEXT
);

CREATE TABLE persons (
    person_id    TEXT PRIMARY KEY,
    id_number    TEXT NOT NULL,
    name         TEXT,
    phone        TEXT,
    household_id TEXT,
    address      TEXT,
    grid_code    TEXT
);
-- Uniqueness of id_number is enforced by the importer, row by row in file order; a unique index
-- would refuse a batch that moves a number from one person to another in the "wrong" order.
CREATE INDEX persons_id_number ON persons (id_number);
CREATE INDEX persons_phone ON persons (phone);

CREATE TABLE vehicles (
    plate           TEXT PRIMARY KEY,
    owner_id_number TEXT NOT NULL
);

CREATE TABLE areas (
    area_id     TEXT PRIMARY KEY,
    name        TEXT,
    region_code TEXT,
    geometry    TEXT,
    from_ms     INTEGER NOT NULL,
    to_ms       INTEGER,
    risk        TEXT NOT NULL
);

CREATE TABLE cases (
    subject      TEXT PRIMARY KEY,
    status       TEXT NOT NULL,
    onset_ms     INTEGER,
    confirmed_ms INTEGER NOT NULL,
    isolated_ms  INTEGER
);

CREATE TABLE sources (
    id   INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE
);

-- A row's identity is a 128-bit hash of (source, record_id) or of its content. The identities
-- of stored sightings live in their own small table keyed by the low half, so that checking
-- for a duplicate touches 20 bytes a row, not the whole sighting, and the sightings themselves
-- are only ever appended. A key slot taken by another identity (same low half, other high half)
-- moves the row to the next free slot; `slot` in sightings records where its identity went.
CREATE TABLE sighting_keys (
    slot INTEGER PRIMARY KEY,
    k2   INTEGER NOT NULL
);

CREATE TABLE sightings (
    id           INTEGER PRIMARY KEY,
    k1           INTEGER NOT NULL,
    k2           INTEGER NOT NULL,
    source_id    INTEGER NOT NULL,
    subject_type INTEGER NOT NULL,
    subject      TEXT NOT NULL,
    pid          INTEGER NOT NULL,
    start_ms     INTEGER NOT NULL,
    end_ms       INTEGER NOT NULL,
    tag          INTEGER NOT NULL,
    record_id    TEXT
);

CREATE TABLE delivery_keys (
    slot INTEGER PRIMARY KEY,
    k2   INTEGER NOT NULL
);

CREATE TABLE deliveries (
    id                 INTEGER PRIMARY KEY,
    k1                 INTEGER NOT NULL,
    k2                 INTEGER NOT NULL,
    recipient_phone    TEXT NOT NULL,
    origin_region_code TEXT NOT NULL,
    shipped_ms         INTEGER NOT NULL,
    delivered_ms       INTEGER,
    record_id          TEXT
);

CREATE TABLE imports (
    id          INTEGER PRIMARY KEY,
    started_ms  INTEGER NOT NULL,
    finished_ms INTEGER NOT NULL,
    dir         TEXT NOT NULL,
    summary     TEXT NOT NULL
);
