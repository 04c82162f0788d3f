-- Privacy (issue 23): every look at personal data recorded in an append-only access log;
-- the runs of the retention job; a resident who asked to be forgotten; requests whose
-- personal data was removed (by forgetting or by retention).

CREATE TABLE access_log (
    id         INTEGER PRIMARY KEY,
    at         TEXT NOT NULL,                       -- UTC ISO 8601
    person_id  INTEGER REFERENCES people(id),       -- who looked; NULL: the operator (cli)
    kind       TEXT NOT NULL,                       -- what: phone, details, media, request,
                                                    -- export, referral …
    request_id INTEGER REFERENCES requests(id),     -- the request looked at, if one
    detail     TEXT NOT NULL DEFAULT '',            -- e.g. an export's description; never a
                                                    -- phone number or a resident's text
    through    TEXT NOT NULL CHECK (through IN ('chat', 'dashboard', 'export', 'agency', 'cli'))
);
CREATE INDEX access_log_at ON access_log(at);
CREATE INDEX access_log_person ON access_log(person_id, at);
CREATE INDEX access_log_request ON access_log(request_id, at);

CREATE TRIGGER access_log_no_update BEFORE UPDATE ON access_log
BEGIN
    SELECT RAISE(ABORT, 'the access log is append-only');
END;

CREATE TRIGGER access_log_no_delete BEFORE DELETE ON access_log
BEGIN
    SELECT RAISE(ABORT, 'the access log is append-only');
END;

CREATE TABLE retention_runs (
    id      INTEGER PRIMARY KEY,
    at      TEXT NOT NULL,                -- UTC ISO 8601
    days    INTEGER NOT NULL,             -- RETENTION_DAYS of the run
    removed TEXT NOT NULL DEFAULT '{}'    -- JSON: kind (phones, texts, photos …) → count
);
CREATE INDEX retention_runs_at ON retention_runs(at);

ALTER TABLE people ADD COLUMN forgotten_at TEXT;          -- UTC ISO: the person asked to be
                                                          -- forgotten; the row is an empty shell
ALTER TABLE requests ADD COLUMN resident_forgotten_at TEXT;  -- its resident can't be reached
ALTER TABLE requests ADD COLUMN personal_removed_at TEXT;    -- text, phone, media, place gone
