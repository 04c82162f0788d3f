-- The agencies in the loop: focal points (role 'agency': an agency slug and a scope, a
-- province or offices), their invites, referrals (one per request and agency; the office
-- keeps the case) with their answers as events, and API keys per agency (Open311).
--
-- SQLite cannot change a CHECK constraint. `people` is not rebuilt: other migrations hang
-- triggers on it (a rebuild would drop them) and add columns to it. Its role CHECK is
-- widened in place instead, by SQLite's documented procedure for loosening a constraint
-- (https://www.sqlite.org/lang_altertable.html, "making other kinds of table schema
-- changes"): the stored CREATE TABLE text gains 'agency', no row changes, and
-- `writable_schema = RESET` makes this connection read the schema afresh (the tables
-- created below bump the schema cookie for every other connection). The temporary table's
-- CHECK aborts the migration if the text was not found. `invites`, which nothing else
-- touches, is rebuilt as 0007 rebuilt `requests`.

PRAGMA writable_schema = ON;
UPDATE sqlite_master
SET sql = replace(sql, 'CHECK (role IN (''admin'', ''supervisor'', ''facilitator'', ''resident''))',
                  'CHECK (role IN (''admin'', ''supervisor'', ''facilitator'', ''resident'', ''agency''))')
WHERE type = 'table' AND name = 'people';
PRAGMA writable_schema = RESET;
PRAGMA writable_schema = OFF;
CREATE TEMPORARY TABLE people_role_widened (ok INTEGER NOT NULL CHECK (ok = 1));
INSERT INTO people_role_widened
SELECT (SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'people')
       LIKE '%''resident'', ''agency''))%';
DROP TABLE people_role_widened;

ALTER TABLE people ADD COLUMN agency TEXT;        -- a focal point's agency (organisation file slug)
CREATE INDEX people_agency ON people(agency, role);

PRAGMA legacy_alter_table = ON;

ALTER TABLE invites RENAME TO invites_before_0012;
CREATE TABLE invites (
    id          INTEGER PRIMARY KEY,
    code_hash   TEXT NOT NULL UNIQUE,              -- sha256 of the code; the code itself is not kept
    role        TEXT NOT NULL CHECK (role IN ('supervisor', 'facilitator', 'agency')),
    office_id   INTEGER REFERENCES offices(id),
    province_id INTEGER REFERENCES provinces(id),
    created_by  INTEGER REFERENCES people(id),     -- NULL when made on the command line
    created_at  TEXT NOT NULL,
    expires_at  TEXT NOT NULL,
    used_at     TEXT,
    used_by     INTEGER REFERENCES people(id),
    agency      TEXT,                              -- the agency of a focal point's invite
    CHECK ((office_id IS NULL) <> (province_id IS NULL)),
    CHECK ((role = 'agency') = (agency IS NOT NULL))
);
INSERT INTO invites (id, code_hash, role, office_id, province_id, created_by, created_at,
                     expires_at, used_at, used_by)
SELECT id, code_hash, role, office_id, province_id, created_by, created_at, expires_at,
       used_at, used_by
FROM invites_before_0012;
DROP TABLE invites_before_0012;

PRAGMA legacy_alter_table = OFF;

-- The offices a focal point scoped by office covers (a province-wide one has none here).
CREATE TABLE agency_offices (
    person_id INTEGER NOT NULL REFERENCES people(id),
    office_id INTEGER NOT NULL REFERENCES offices(id),
    PRIMARY KEY (person_id, office_id)
);

CREATE TABLE referrals (
    id              INTEGER PRIMARY KEY,
    request_id      INTEGER NOT NULL REFERENCES requests(id),
    agency          TEXT NOT NULL,                 -- organisation file slug
    state           TEXT NOT NULL DEFAULT 'referred' CHECK (state IN
                    ('referred', 'acknowledged', 'in_progress', 'done', 'not_ours',
                     'more_info', 'withdrawn')),
    version         INTEGER NOT NULL DEFAULT 1,    -- bumped by every change (compare-and-set)
    referred_by     INTEGER REFERENCES people(id),
    referred_at     TEXT NOT NULL,                 -- UTC ISO; the latest referral to this agency
    phone_consent   INTEGER NOT NULL DEFAULT 0,    -- the resident agreed to be called by it
    taken_by        INTEGER REFERENCES people(id), -- the first focal point who answered
    acknowledged_at TEXT,                          -- the agency's first answer of any kind
    promised_date   TEXT,                          -- ISO date the agency promised
    done_at         TEXT,
    closed_at       TEXT,                          -- done, not ours or withdrawn
    letter_number   TEXT,                          -- the referral letter, recorded by hand
    letter_date     TEXT,                          -- ISO date
    updated_at      TEXT NOT NULL,
    UNIQUE (request_id, agency)
);
CREATE INDEX referrals_agency_state ON referrals(agency, state, referred_at);

CREATE TABLE referral_events (
    id            INTEGER PRIMARY KEY,
    referral_id   INTEGER NOT NULL REFERENCES referrals(id),
    at            TEXT NOT NULL,
    actor_id      INTEGER REFERENCES people(id),   -- a focal point, or office staff
    by_hand       INTEGER NOT NULL DEFAULT 0,      -- the office recorded the agency's answer
    kind          TEXT NOT NULL CHECK (kind IN ('referred', 'acknowledged', 'in_progress',
                                                'done', 'not_ours', 'more_info', 'info',
                                                'letter', 'withdrawn')),
    promised_date TEXT,                            -- in_progress: ISO date
    note          TEXT,                            -- done: note; not_ours: reason;
                                                   -- more_info: question; info: the answer
    photos        TEXT NOT NULL DEFAULT '[]'       -- JSON list of the messenger's file ids
);
CREATE INDEX referral_events_referral ON referral_events(referral_id, id);

CREATE TABLE api_keys (
    id           INTEGER PRIMARY KEY,
    agency       TEXT NOT NULL,
    prefix       TEXT NOT NULL,                    -- the key's first characters, to name it
    key_hash     TEXT NOT NULL UNIQUE,             -- sha256 of the key; the key is not kept
    created_at   TEXT NOT NULL,
    revoked_at   TEXT,
    last_used_at TEXT
);
CREATE INDEX api_keys_agency ON api_keys(agency);
