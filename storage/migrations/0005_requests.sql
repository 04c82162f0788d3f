-- Residents' requests, their audit trail, and the outbox of notices the bot owes people.

CREATE TABLE requests (
    id               INTEGER PRIMARY KEY,
    code             TEXT NOT NULL UNIQUE,         -- 8 random digits, shown as 1234-5678
    draft_id         INTEGER NOT NULL UNIQUE,      -- confirming twice files one request
    resident_id      INTEGER NOT NULL REFERENCES people(id),
    office_id        INTEGER NOT NULL REFERENCES offices(id),
    neighbourhood_id INTEGER REFERENCES neighbourhoods(id),  -- NULL: the resident was not sure
    category         TEXT NOT NULL,
    description      TEXT NOT NULL,
    phone            TEXT,                          -- only if the resident shared it
    anonymous        INTEGER NOT NULL DEFAULT 1,
    status           TEXT NOT NULL DEFAULT 'received' CHECK (status IN
                     ('received', 'in_review', 'referred', 'resolved', 'rejected', 'duplicate')),
    version          INTEGER NOT NULL DEFAULT 1,    -- bumped by every change: two staff acting
                                                    -- at once cannot both win
    assignee_id      INTEGER REFERENCES people(id),
    duplicate_of     TEXT,
    created_at       TEXT NOT NULL,
    updated_at       TEXT NOT NULL,
    resolved_at      TEXT
);
CREATE INDEX requests_office_status ON requests(office_id, status, created_at);
CREATE INDEX requests_resident ON requests(resident_id, created_at);

CREATE TABLE request_events (
    id         INTEGER PRIMARY KEY,
    request_id INTEGER NOT NULL REFERENCES requests(id),
    at         TEXT NOT NULL,
    actor_id   INTEGER REFERENCES people(id),
    kind       TEXT NOT NULL CHECK (kind IN ('filed', 'status', 'note', 'assign', 'reopen')),
    old_status TEXT,
    new_status TEXT,
    note       TEXT,
    public     INTEGER NOT NULL DEFAULT 1          -- shown to the resident
);
CREATE INDEX request_events_request ON request_events(request_id, id);

ALTER TABLE attachments ADD COLUMN request_id INTEGER REFERENCES requests(id);
CREATE INDEX attachments_request ON attachments(request_id);

ALTER TABLE drafts ADD COLUMN context TEXT NOT NULL DEFAULT '{}';  -- e.g. the request acted on

CREATE TABLE outbox (
    id              INTEGER PRIMARY KEY,
    key             TEXT NOT NULL UNIQUE,          -- one notice per recipient and cause
    chat_id         INTEGER NOT NULL,
    text            TEXT NOT NULL,
    status          TEXT NOT NULL DEFAULT 'pending'
                    CHECK (status IN ('pending', 'sent', 'undeliverable')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT NOT NULL,
    last_error      TEXT,
    created_at      TEXT NOT NULL,
    sent_at         TEXT
);
CREATE INDEX outbox_due ON outbox(status, next_attempt_at);
