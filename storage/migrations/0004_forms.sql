-- Forms: drafts saved after every answer, and the submissions they become.

CREATE TABLE drafts (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,  -- never reused: submissions key on it
    person_id      INTEGER NOT NULL UNIQUE REFERENCES people(id),  -- one form at a time
    form           TEXT NOT NULL,
    form_version   INTEGER NOT NULL,
    office_id      INTEGER REFERENCES offices(id),
    answers        TEXT NOT NULL DEFAULT '{}',   -- JSON: question id → answer
    current        TEXT NOT NULL,                -- question id, or '' at the summary
    history        TEXT NOT NULL DEFAULT '[]',   -- JSON: question ids asked, for «back»
    mode           TEXT NOT NULL DEFAULT 'forward' CHECK (mode IN ('forward', 'edit')),
    recent_updates TEXT NOT NULL DEFAULT '[]',   -- JSON: ids of the last updates applied, so a
                                                 -- duplicate delivery is recognised
    created_at     TEXT NOT NULL,
    updated_at     TEXT NOT NULL
);

CREATE TABLE submissions (
    id               INTEGER PRIMARY KEY,
    draft_id         INTEGER NOT NULL UNIQUE,    -- confirming twice stores one submission
    form             TEXT NOT NULL,
    form_version     INTEGER NOT NULL,
    author_id        INTEGER NOT NULL REFERENCES people(id),
    office_id        INTEGER NOT NULL REFERENCES offices(id),
    neighbourhood_id INTEGER REFERENCES neighbourhoods(id),
    happened_on      TEXT,                       -- ISO date (Gregorian)
    created_at       TEXT NOT NULL,              -- UTC ISO instant
    activity         TEXT,
    category         TEXT,
    severity         TEXT,
    participants     INTEGER,
    children         INTEGER,
    adolescents      INTEGER,
    women            INTEGER,
    elderly          INTEGER,
    households       INTEGER,
    answers          TEXT NOT NULL               -- JSON: every answer, as given
);
CREATE INDEX submissions_office_day ON submissions(office_id, form, happened_on);
CREATE INDEX submissions_author ON submissions(author_id, id);

CREATE TABLE submission_tags (                  -- multiple-choice answers digests count
    submission_id INTEGER NOT NULL REFERENCES submissions(id),
    question      TEXT NOT NULL,
    value         TEXT NOT NULL,
    PRIMARY KEY (submission_id, question, value)
);
CREATE INDEX submission_tags_value ON submission_tags(question, value);

CREATE TABLE attachments (                      -- kept by the messenger's file id, not downloaded
    id             INTEGER PRIMARY KEY,
    submission_id  INTEGER REFERENCES submissions(id),
    question       TEXT NOT NULL,
    kind           TEXT NOT NULL CHECK (kind IN ('photo', 'location', 'document', 'voice')),
    file_id        TEXT,
    file_unique_id TEXT,
    latitude       REAL,
    longitude      REAL
);
CREATE INDEX attachments_submission ON attachments(submission_id);
