-- Digests: when staff joined (no catch-up digests from before), group chats that receive a
-- supervisor's digests, and photos (charts) in the outbox.

ALTER TABLE people ADD COLUMN staff_since TEXT;   -- UTC ISO; set when an invite is used

CREATE TABLE digest_chats (
    person_id INTEGER NOT NULL REFERENCES people(id),
    chat_id   INTEGER NOT NULL,
    title     TEXT NOT NULL DEFAULT '',
    added_at  TEXT NOT NULL,
    PRIMARY KEY (person_id, chat_id)
);

ALTER TABLE outbox ADD COLUMN photo BLOB;          -- a PNG sent as a photo, the text its caption

CREATE INDEX submissions_created ON submissions(office_id, form, created_at);
CREATE INDEX requests_office_created ON requests(office_id, created_at);
