-- Operations: the bot's heartbeat, for `tashilyar status` and the health endpoint. One row
-- per mark, overwritten in place: 'update' (the last handled update, written at most every
-- few seconds), 'job:<name>' (the last run of a scheduled job), 'backup' (the last daily
-- backup). Cheap by design: a handful of rows, one small UPDATE now and then.

CREATE TABLE operations (
    name   TEXT PRIMARY KEY,
    at     TEXT NOT NULL,               -- UTC ISO instant
    detail TEXT NOT NULL DEFAULT ''
);

CREATE INDEX outbox_pending ON outbox(status, created_at);
