-- The dashboard's reads (issue 21), each found by EXPLAIN QUERY PLAN on the five-year
-- benchmark database to scan a province's whole history (or every office's) without them:
-- a neighbourhood's page and its requests,
CREATE INDEX IF NOT EXISTS submissions_hood ON submissions(neighbourhood_id, form, created_at);
CREATE INDEX IF NOT EXISTS requests_hood ON requests(neighbourhood_id, created_at);
-- the facilitators' activity by week,
CREATE INDEX IF NOT EXISTS submissions_author_created ON submissions(author_id, created_at);
-- the forms' counts of a period (every form at once),
CREATE INDEX IF NOT EXISTS submissions_office_created_form
    ON submissions(office_id, created_at, form);
-- the trends' resolved requests and the requests still open at a period's end (a closed
-- request counts only if it changed after the period began),
CREATE INDEX IF NOT EXISTS requests_office_resolved ON requests(office_id, resolved_at);
CREATE INDEX IF NOT EXISTS requests_office_updated ON requests(office_id, updated_at);
-- and the residents' answers to «was it solved?» of a period.
CREATE INDEX IF NOT EXISTS request_events_kind_at ON request_events(kind, at);
