-- Grid operations: every alert becomes a task for the grid worker of the subject's grid.

CREATE TABLE tasks (
    id               INTEGER PRIMARY KEY,
    subject          TEXT NOT NULL,
    -- The grid the task is routed to; NULL: the command centre's unrouted queue.
    grid_code        TEXT,
    -- residence, last_seen or unrouted.
    routed_by        TEXT NOT NULL,
    -- open, accepted, isolating or closed.
    state            TEXT NOT NULL,
    priority         INTEGER NOT NULL,
    score_milli      INTEGER NOT NULL,
    -- The alert's reasons as JSON, newest merged in.
    reasons          TEXT NOT NULL,
    created_ms       INTEGER NOT NULL,
    due_ms           INTEGER NOT NULL,
    updated_ms       INTEGER NOT NULL,
    first_contact_ms INTEGER,
    closed_ms        INTEGER,
    -- 0 the grid, 1 the community, 2 the command centre.
    escalation       INTEGER NOT NULL DEFAULT 0,
    outcome          TEXT,
    -- When home isolation began, for the daily check-ins.
    isolation_from_ms INTEGER,
    isolation_until_ms INTEGER,
    attempts         INTEGER NOT NULL DEFAULT 0
);
-- One open task per subject.
CREATE UNIQUE INDEX tasks_one_open ON tasks (subject) WHERE state <> 'closed';
CREATE INDEX tasks_grid ON tasks (grid_code, state);

-- Everything that happened to a task, never changed.
CREATE TABLE task_events (
    id       INTEGER PRIMARY KEY AUTOINCREMENT,
    task_id  INTEGER NOT NULL REFERENCES tasks (id),
    at_ms    INTEGER NOT NULL,
    username TEXT NOT NULL,
    kind     TEXT NOT NULL,
    detail   TEXT NOT NULL DEFAULT ''
);
CREATE INDEX task_events_task ON task_events (task_id, id);

-- Home isolation: one check-in a day per isolated person.
CREATE TABLE checkins (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    task_id       INTEGER NOT NULL REFERENCES tasks (id),
    day           TEXT NOT NULL,
    at_ms         INTEGER NOT NULL,
    -- Tenths of a degree Celsius.
    temperature_dc INTEGER NOT NULL,
    symptoms      TEXT NOT NULL DEFAULT '',
    username      TEXT NOT NULL,
    UNIQUE (task_id, day)
);

-- Photos of documents a grid worker attaches to a task (a travel ticket, an isolation notice).
CREATE TABLE task_photos (
    id        INTEGER PRIMARY KEY AUTOINCREMENT,
    task_id   INTEGER NOT NULL REFERENCES tasks (id),
    at_ms     INTEGER NOT NULL,
    username  TEXT NOT NULL,
    mime      TEXT NOT NULL,
    bytes     BLOB NOT NULL
);
CREATE INDEX task_photos_task ON task_photos (task_id);
