-- The dashboard's reads (issue 21; numbered 0015: 0014 is the request moves), each found
-- by EXPLAIN QUERY PLAN on the five-year benchmark database to scan a province's whole
-- history (or every office's) without them.
-- Partial indexes where only one query needs them, so that no other query's plan changes.
--
-- A neighbourhood's page and its requests,
CREATE INDEX IF NOT EXISTS submissions_hood ON submissions(neighbourhood_id, form, created_at);
CREATE INDEX IF NOT EXISTS requests_hood ON requests(neighbourhood_id, created_at);
-- the facilitators' activity by week,
CREATE INDEX IF NOT EXISTS submissions_author_created ON submissions(author_id, created_at);
-- the trends' counts of reports and needs, read from the index alone (a lookup of every
-- row of a province's year in the table cost seconds): it holds 0006's
-- submissions_created(office_id, form, created_at) as its first columns, and replaces it,
DROP INDEX IF EXISTS submissions_created;
CREATE INDEX IF NOT EXISTS submissions_counts ON submissions(office_id, form, created_at,
    severity, participants, children, adolescents);
-- the forms' counts of a period (every form at once),
CREATE INDEX IF NOT EXISTS submissions_office_created_form
    ON submissions(office_id, created_at, form);
-- the requests open at a period's end, their category read from the index (it replaces
-- 0007's requests_office_status, its first columns),
DROP INDEX IF EXISTS requests_office_status;
CREATE INDEX IF NOT EXISTS requests_office_status_category
    ON requests(office_id, status, created_at, category);
-- the trends' resolved requests, and the closed requests still open at a period's end
-- (closed after it began, so changed after it: storage.dashboard.counts_many),
CREATE INDEX IF NOT EXISTS requests_office_resolved ON requests(office_id, resolved_at);
CREATE INDEX IF NOT EXISTS requests_closed_updated
    ON requests(office_id, updated_at, status, created_at, category, resolved_at)
    WHERE status NOT IN ('received', 'in_review', 'referred');
-- and the residents' answers to «was it solved?» of a period.
CREATE INDEX IF NOT EXISTS request_events_answers ON request_events(at)
    WHERE kind = 'answer';
