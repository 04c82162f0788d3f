-- Staff move a request to another category, neighbourhood or office: the trail keeps it as
-- an event of a new kind, 'moved' (its note says from what to what).
--
-- SQLite cannot change a CHECK constraint, and `request_events` is not rebuilt: other
-- migrations hang indexes and triggers on it. Its kind CHECK is widened in place, by the
-- procedure 0012 used for people's role (https://www.sqlite.org/lang_altertable.html,
-- "making other kinds of table schema changes"): the stored CREATE TABLE text gains
-- 'moved', no row changes, `writable_schema = RESET` makes this connection read the schema
-- afresh, and the index created below bumps the schema cookie for every other connection.
-- The temporary table's CHECK aborts the migration if the text was not found.

PRAGMA writable_schema = ON;
UPDATE sqlite_master
SET sql = replace(sql, '''withdraw'', ''answer''))',
                  '''withdraw'', ''answer'', ''moved''))')
WHERE type = 'table' AND name = 'request_events';
PRAGMA writable_schema = RESET;
PRAGMA writable_schema = OFF;
CREATE TEMPORARY TABLE request_events_kind_widened (ok INTEGER NOT NULL CHECK (ok = 1));
INSERT INTO request_events_kind_widened
SELECT (SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'request_events')
       LIKE '%''answer'', ''moved''))%';
DROP TABLE request_events_kind_widened;

CREATE INDEX request_events_kind ON request_events(kind, request_id);
