-- Grid operations: every alert becomes a task for the grid worker of the subject's grid.

CREATE TABLE tasks (
    id               bigserial PRIMARY KEY,
    subject          text NOT NULL,
    -- The grid the task is routed to; NULL: the command centre's unrouted queue.
    grid_code        text,
    -- residence, last_seen or unrouted.
    routed_by        text NOT NULL,
    -- open, accepted, isolating or closed.
    state            text NOT NULL,
    priority         bigint NOT NULL,
    score_milli      bigint NOT NULL,
    -- The alert's reasons as JSON, newest merged in.
    reasons          text NOT NULL,
    created_ms       bigint NOT NULL,
    due_ms           bigint NOT NULL,
    updated_ms       bigint NOT NULL,
    first_contact_ms bigint,
    closed_ms        bigint,
    -- 0 the grid, 1 the community, 2 the command centre.
    escalation       bigint NOT NULL DEFAULT 0,
    outcome          text,
    -- When home isolation began, for the daily check-ins.
    isolation_from_ms bigint,
    isolation_until_ms bigint,
    attempts         bigint NOT NULL DEFAULT 0
);
-- One open task per subject.
CREATE UNIQUE INDEX tasks_one_open ON tasks (subject) WHERE state <> 'closed';
CREATE INDEX tasks_grid ON tasks (grid_code, state);

-- Everything that happened to a task, never changed.
CREATE TABLE task_events (
    id       bigserial PRIMARY KEY,
    task_id  bigint NOT NULL REFERENCES tasks (id),
    at_ms    bigint NOT NULL,
    username text NOT NULL,
    kind     text NOT NULL,
    detail   text NOT NULL DEFAULT ''
);
CREATE INDEX task_events_task ON task_events (task_id, id);

-- Home isolation: one check-in a day per isolated person.
CREATE TABLE checkins (
    id            bigserial PRIMARY KEY,
    task_id       bigint NOT NULL REFERENCES tasks (id),
    day           text NOT NULL,
    at_ms         bigint NOT NULL,
    -- Tenths of a degree Celsius.
    temperature_dc bigint NOT NULL,
    symptoms      text NOT NULL DEFAULT '',
    username      text NOT NULL,
    UNIQUE (task_id, day)
);

-- Photos of documents a grid worker attaches to a task (a travel ticket, an isolation notice).
CREATE TABLE task_photos (
    id        bigserial PRIMARY KEY,
    task_id   bigint NOT NULL REFERENCES tasks (id),
    at_ms     bigint NOT NULL,
    username  text NOT NULL,
    mime      text NOT NULL,
    bytes     bytea NOT NULL
);
CREATE INDEX task_photos_task ON task_photos (task_id);
