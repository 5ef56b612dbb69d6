-- Passes, gates and residents (CONTRACT.md section 7): the keys passes are signed with, the
-- one-time codes residents sign in with, each person's status changes, and the visitors who
-- registered themselves at a gate.

-- Ed25519 keys. The newest key not retired signs; a retired key still verifies until
-- verify_until_ms (the passes it signed have expired by then).
CREATE TABLE pass_keys (
    kid             text PRIMARY KEY,
    -- The 32-byte secret seed, hex. Whoever holds a copy of the store can sign passes.
    secret_hex      text NOT NULL,
    -- The public key, base64url without padding (the JWK's x).
    public_x        text NOT NULL,
    created_ms      bigint NOT NULL,
    retired_ms      bigint,
    verify_until_ms bigint
);

-- One-time sign-in codes, kept only as their BLAKE2b-256 hash.
CREATE TABLE login_codes (
    id         bigserial PRIMARY KEY,
    phone      text NOT NULL,
    code_hash  text NOT NULL,
    peer       text NOT NULL,
    created_ms bigint NOT NULL,
    expires_ms bigint NOT NULL,
    used_ms    bigint,
    attempts   bigint NOT NULL DEFAULT 0
);
CREATE INDEX login_codes_phone ON login_codes (phone, created_ms);
CREATE INDEX login_codes_peer ON login_codes (peer, created_ms);

-- Every change of a person's status, with its cause as JSON.
CREATE TABLE status_changes (
    id        bigserial PRIMARY KEY,
    person_id text NOT NULL,
    at_ms     bigint NOT NULL,
    status    text NOT NULL,
    why       text NOT NULL
);
CREATE INDEX status_changes_person ON status_changes (person_id, id);

-- Visitors who registered at a gate's poster; the code is what they show the guard.
CREATE TABLE visitors (
    id         bigserial PRIMARY KEY,
    code       text NOT NULL UNIQUE,
    gate       text NOT NULL,
    id_number  text NOT NULL,
    name       text NOT NULL,
    phone      text NOT NULL,
    plate      text NOT NULL DEFAULT '',
    came_from  text NOT NULL DEFAULT '',
    visiting   text NOT NULL DEFAULT '',
    reason     text NOT NULL DEFAULT '',
    at_ms      bigint NOT NULL,
    expires_ms bigint NOT NULL,
    verdict    text NOT NULL,
    why        text NOT NULL
);
CREATE INDEX visitors_gate ON visitors (gate, at_ms);

-- Every scan at a gate, for the gate's day on the command centre.
CREATE TABLE gate_scans (
    id        bigserial PRIMARY KEY,
    gate      text NOT NULL,
    at_ms     bigint NOT NULL,
    person_id text,
    verdict   text NOT NULL,
    reason    text NOT NULL,
    direction text NOT NULL DEFAULT '',
    temperature_dc bigint
);
CREATE INDEX gate_scans_at ON gate_scans (at_ms);
