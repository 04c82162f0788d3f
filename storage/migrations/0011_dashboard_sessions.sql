-- The dashboard (issue 21): sign-in sessions and the one-time links `/dashboard` sends.
-- Only sha256 hashes of the tokens are kept; a stolen database opens no session.

CREATE TABLE web_sessions (
    id          INTEGER PRIMARY KEY,
    token_hash  TEXT NOT NULL UNIQUE,
    person_id   INTEGER NOT NULL REFERENCES people(id),
    csrf        TEXT NOT NULL,                   -- the token every POST must carry
    created_at  TEXT NOT NULL,                   -- UTC ISO 8601
    expires_at  TEXT NOT NULL,
    revoked_at  TEXT                             -- «خروج», or the person was deactivated
);
CREATE INDEX web_sessions_person ON web_sessions(person_id);

CREATE TABLE web_login_links (
    id          INTEGER PRIMARY KEY,
    token_hash  TEXT NOT NULL UNIQUE,
    person_id   INTEGER NOT NULL REFERENCES people(id),
    created_at  TEXT NOT NULL,
    expires_at  TEXT NOT NULL,
    used_at     TEXT                             -- single use
);

-- The dashboard's trends: requests resolved in a period, and those changed since a moment
-- (a request closed before it was last changed before it).
CREATE INDEX requests_office_resolved ON requests(office_id, resolved_at);
CREATE INDEX requests_office_updated ON requests(office_id, updated_at);

-- A person deactivated (or no longer staff) loses every session at once, whichever code
-- path made the change.
CREATE TRIGGER web_sessions_revoked_with_person
AFTER UPDATE OF active, role ON people
WHEN NEW.active = 0 OR NEW.role = 'resident'
BEGIN
    UPDATE web_sessions SET revoked_at = NEW.updated_at
    WHERE person_id = NEW.id AND revoked_at IS NULL;
    UPDATE web_login_links SET used_at = NEW.updated_at
    WHERE person_id = NEW.id AND used_at IS NULL;
END;
