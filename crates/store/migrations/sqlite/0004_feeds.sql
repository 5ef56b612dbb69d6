-- Live feeds (CONTRACT.md section 6.1): the rows a feed rejected, kept for the command centre
-- beside the import's rejects files. Written in the same transaction as the rows the message
-- brought, so that a message's answer and its rejects are kept together or not at all.

CREATE TABLE feed_rejects (
    id          INTEGER PRIMARY KEY,
    received_ms INTEGER NOT NULL,
    -- http, mqtt or nats.
    route       TEXT NOT NULL,
    -- Who sent it: the user of an HTTP feed, the topic or subject of a broker's message.
    source      TEXT NOT NULL,
    -- The stem of section 1 (sightings, gate_access, …) as the sender named it.
    kind        TEXT NOT NULL,
    -- The 1-based line in the message (a CSV header is line 1); 0: the message as a whole.
    line        INTEGER NOT NULL,
    reason      TEXT NOT NULL,
    record      TEXT NOT NULL
);
CREATE INDEX feed_rejects_by_source ON feed_rejects (route, source, kind, id);

-- The task follower looks up the tasks of the subjects a feed's rows touched.
CREATE INDEX tasks_by_subject ON tasks (subject);
