-- The command centre's own state: accounts, sessions, machine tokens and the audit log.
-- Tokens are kept only as their BLAKE2b-256 hashes (hex): a copy of the database opens no session.

CREATE TABLE users (
    id            bigserial PRIMARY KEY,
    username      text NOT NULL UNIQUE,
    role          text NOT NULL,
    password_hash text NOT NULL,
    -- Comma-separated grid codes (grid worker) or gate place_ids (gate guard) the user may see.
    grids         text NOT NULL DEFAULT '',
    gates         text NOT NULL DEFAULT '',
    created_ms    bigint NOT NULL,
    disabled      bigint NOT NULL DEFAULT 0
);

CREATE TABLE sessions (
    token_hash text PRIMARY KEY,
    user_id    bigint NOT NULL REFERENCES users (id),
    created_ms bigint NOT NULL,
    expires_ms bigint NOT NULL
);

CREATE TABLE api_tokens (
    token_hash text PRIMARY KEY,
    name       text NOT NULL,
    user_id    bigint NOT NULL REFERENCES users (id),
    created_ms bigint NOT NULL
);

CREATE TABLE audit_log (
    id       bigserial PRIMARY KEY,
    at_ms    bigint NOT NULL,
    user_id  bigint,
    username text NOT NULL,
    action   text NOT NULL,
    target   text NOT NULL,
    purpose  text NOT NULL,
    detail   text NOT NULL DEFAULT ''
);

CREATE FUNCTION tracegrid_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the audit log is append-only';
END $$;
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION tracegrid_audit_append_only();
