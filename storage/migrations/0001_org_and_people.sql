-- Offices, their neighbourhoods, the people who use the bot and the invites staff join by.

CREATE TABLE provinces (
    id    INTEGER PRIMARY KEY,
    slug  TEXT NOT NULL UNIQUE,
    name  TEXT NOT NULL
);

CREATE TABLE offices (
    id          INTEGER PRIMARY KEY,
    slug        TEXT NOT NULL UNIQUE,
    name        TEXT NOT NULL,
    province_id INTEGER NOT NULL REFERENCES provinces(id),
    city        TEXT NOT NULL,
    active      INTEGER NOT NULL DEFAULT 1
);

CREATE TABLE neighbourhoods (
    id        INTEGER PRIMARY KEY,
    office_id INTEGER NOT NULL REFERENCES offices(id),
    slug      TEXT NOT NULL,
    name      TEXT NOT NULL,
    active    INTEGER NOT NULL DEFAULT 1,
    UNIQUE (office_id, slug)
);

CREATE TABLE people (
    id           INTEGER PRIMARY KEY,
    user_id      INTEGER NOT NULL UNIQUE,          -- the messenger's user id
    display_name TEXT NOT NULL DEFAULT '',
    role         TEXT NOT NULL CHECK (role IN ('admin', 'supervisor', 'facilitator', 'resident')),
    office_id    INTEGER REFERENCES offices(id),   -- facilitator's office, or a supervisor's one office
    province_id  INTEGER REFERENCES provinces(id), -- a supervisor of a whole province
    active       INTEGER NOT NULL DEFAULT 1,
    created_at   TEXT NOT NULL,                    -- UTC ISO 8601
    updated_at   TEXT NOT NULL
);
CREATE INDEX people_office ON people(office_id, role);

CREATE TABLE invites (
    id          INTEGER PRIMARY KEY,
    code_hash   TEXT NOT NULL UNIQUE,              -- sha256 of the code; the code itself is not kept
    role        TEXT NOT NULL CHECK (role IN ('supervisor', 'facilitator')),
    office_id   INTEGER REFERENCES offices(id),
    province_id INTEGER REFERENCES provinces(id),
    created_by  INTEGER REFERENCES people(id),     -- NULL when made on the command line
    created_at  TEXT NOT NULL,
    expires_at  TEXT NOT NULL,
    used_at     TEXT,
    used_by     INTEGER REFERENCES people(id),
    CHECK ((office_id IS NULL) <> (province_id IS NULL))
);
