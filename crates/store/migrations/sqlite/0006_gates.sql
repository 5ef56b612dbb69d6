-- Passes, gates and residents (CONTRACT.md section 7): the keys passes are signed with, the
-- one-time codes residents sign in with, each person's status changes, and the visitors who
-- registered themselves at a gate.

-- Ed25519 keys. The newest key not retired signs; a retired key still verifies until
-- verify_until_ms (the passes it signed have expired by then).
CREATE TABLE pass_keys (
    kid             TEXT PRIMARY KEY,
    -- The 32-byte secret seed, hex. Whoever holds a copy of the store can sign passes.
    secret_hex      TEXT NOT NULL,
    -- The public key, base64url without padding (the JWK's x).
    public_x        TEXT NOT NULL,
    created_ms      INTEGER NOT NULL,
    retired_ms      INTEGER,
    verify_until_ms INTEGER
);

-- One-time sign-in codes, kept only as their BLAKE2b-256 hash.
CREATE TABLE login_codes (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    phone      TEXT NOT NULL,
    code_hash  TEXT NOT NULL,
    peer       TEXT NOT NULL,
    created_ms INTEGER NOT NULL,
    expires_ms INTEGER NOT NULL,
    used_ms    INTEGER,
    attempts   INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX login_codes_phone ON login_codes (phone, created_ms);
CREATE INDEX login_codes_peer ON login_codes (peer, created_ms);

-- Every change of a person's status, with its cause as JSON.
CREATE TABLE status_changes (
    id        INTEGER PRIMARY KEY AUTOINCREMENT,
    person_id TEXT NOT NULL,
    at_ms     INTEGER NOT NULL,
    status    TEXT NOT NULL,
    why       TEXT NOT NULL
);
CREATE INDEX status_changes_person ON status_changes (person_id, id);

-- Visitors who registered at a gate's poster; the code is what they show the guard.
CREATE TABLE visitors (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    code       TEXT NOT NULL UNIQUE,
    gate       TEXT NOT NULL,
    id_number  TEXT NOT NULL,
    name       TEXT NOT NULL,
    phone      TEXT NOT NULL,
    plate      TEXT NOT NULL DEFAULT '',
    came_from  TEXT NOT NULL DEFAULT '',
    visiting   TEXT NOT NULL DEFAULT '',
    reason     TEXT NOT NULL DEFAULT '',
    at_ms      INTEGER NOT NULL,
    expires_ms INTEGER NOT NULL,
    verdict    TEXT NOT NULL,
    why        TEXT NOT NULL
);
CREATE INDEX visitors_gate ON visitors (gate, at_ms);

-- Every scan at a gate, for the gate's day on the command centre.
CREATE TABLE gate_scans (
    id        INTEGER PRIMARY KEY AUTOINCREMENT,
    gate      TEXT NOT NULL,
    at_ms     INTEGER NOT NULL,
    person_id TEXT,
    verdict   TEXT NOT NULL,
    reason    TEXT NOT NULL,
    direction TEXT NOT NULL DEFAULT '',
    temperature_dc INTEGER
);
CREATE INDEX gate_scans_at ON gate_scans (at_ms);
