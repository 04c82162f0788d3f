-- Who did what to whom: invites made and used, people deactivated, and later every change.

CREATE TABLE audit_log (
    id       INTEGER PRIMARY KEY,
    at       TEXT NOT NULL,               -- UTC ISO 8601
    actor_id INTEGER REFERENCES people(id),
    action   TEXT NOT NULL,               -- e.g. invite.create, invite.use, person.deactivate
    subject  TEXT NOT NULL DEFAULT '',    -- e.g. person:12, invite:3
    detail   TEXT NOT NULL DEFAULT '{}'   -- JSON, never message text or phone numbers
);
CREATE INDEX audit_log_at ON audit_log(at);
