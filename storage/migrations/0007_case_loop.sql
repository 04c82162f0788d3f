-- The case loop: staff told of new requests (notices with a button), a resident may
-- withdraw a request and answer «was it solved?», first responses are timed, and the trail
-- knows undo, hand-over, release, the resident's additions and their answer.
--
-- SQLite cannot change a CHECK constraint, so `requests` and `request_events` are rebuilt
-- (foreign keys are off while a migration runs and checked before it commits; with
-- legacy_alter_table on, renaming the old table away leaves the tables that point at
-- `requests` pointing at the rebuilt one).

PRAGMA legacy_alter_table = ON;

ALTER TABLE requests RENAME TO requests_before_0007;
DROP INDEX requests_office_status;
DROP INDEX requests_resident;
DROP INDEX requests_office_created;

CREATE TABLE requests (
    id                INTEGER PRIMARY KEY,
    code              TEXT NOT NULL UNIQUE,         -- 8 random digits, shown as 1234-5678
    draft_id          INTEGER NOT NULL UNIQUE,      -- confirming twice files one request
    resident_id       INTEGER NOT NULL REFERENCES people(id),
    office_id         INTEGER NOT NULL REFERENCES offices(id),
    neighbourhood_id  INTEGER REFERENCES neighbourhoods(id),  -- NULL: the resident was not sure
    category          TEXT NOT NULL,
    description       TEXT NOT NULL,
    phone             TEXT,                          -- only if the resident shared it
    anonymous         INTEGER NOT NULL DEFAULT 1,
    status            TEXT NOT NULL DEFAULT 'received' CHECK (status IN
                      ('received', 'in_review', 'referred', 'resolved', 'rejected', 'duplicate',
                       'withdrawn')),
    version           INTEGER NOT NULL DEFAULT 1,    -- bumped by every change
    assignee_id       INTEGER REFERENCES people(id),
    duplicate_of      TEXT,                          -- the original's tracking code
    created_at        TEXT NOT NULL,
    updated_at        TEXT NOT NULL,
    resolved_at       TEXT,
    first_response_at TEXT,                          -- the office's first action (UTC ISO)
    solved            TEXT CHECK (solved IN ('yes', 'no')),  -- the resident's answer, last
    solved_at         TEXT
);
INSERT INTO requests (id, code, draft_id, resident_id, office_id, neighbourhood_id, category,
                      description, phone, anonymous, status, version, assignee_id,
                      duplicate_of, created_at, updated_at, resolved_at, first_response_at)
SELECT id, code, draft_id, resident_id, office_id, neighbourhood_id, category, description,
       phone, anonymous, status, version, assignee_id, duplicate_of, created_at, updated_at,
       resolved_at,
       (SELECT min(e.at) FROM request_events e WHERE e.request_id = r.id  -- staff's first act
        AND (e.kind IN ('status', 'assign') OR (e.kind = 'note' AND e.public = 1)))
FROM requests_before_0007 r;
DROP TABLE requests_before_0007;
CREATE INDEX requests_office_status ON requests(office_id, status, created_at);
CREATE INDEX requests_resident ON requests(resident_id, created_at);
CREATE INDEX requests_office_created ON requests(office_id, created_at);
CREATE INDEX requests_duplicate_of ON requests(duplicate_of);

ALTER TABLE request_events RENAME TO request_events_before_0007;
DROP INDEX request_events_request;
CREATE TABLE request_events (
    id         INTEGER PRIMARY KEY,
    request_id INTEGER NOT NULL REFERENCES requests(id),
    at         TEXT NOT NULL,
    actor_id   INTEGER REFERENCES people(id),
    kind       TEXT NOT NULL CHECK (kind IN ('filed', 'status', 'note', 'assign', 'reopen',
                                            'undo', 'release', 'handover', 'addition',
                                            'withdraw', 'answer')),
    old_status TEXT,
    new_status TEXT,
    note       TEXT,
    public     INTEGER NOT NULL DEFAULT 1,         -- shown to the resident
    other_code TEXT,                               -- a duplicate's original
    target_id  INTEGER REFERENCES people(id)       -- the colleague a request was handed to
);
INSERT INTO request_events (id, request_id, at, actor_id, kind, old_status, new_status, note,
                            public, other_code)
SELECT e.id, e.request_id, e.at, e.actor_id, e.kind, e.old_status, e.new_status, e.note,
       e.public,
       CASE WHEN e.new_status = 'duplicate' THEN (SELECT duplicate_of FROM requests r
                                                  WHERE r.id = e.request_id) END
FROM request_events_before_0007 e;
DROP TABLE request_events_before_0007;
CREATE INDEX request_events_request ON request_events(request_id, id);

PRAGMA legacy_alter_table = OFF;

ALTER TABLE outbox ADD COLUMN markup TEXT;         -- JSON rows of [label, callback data]
