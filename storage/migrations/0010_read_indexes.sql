-- Reads across a whole province for a period (the dashboard's overview and trends, the
-- digests of a province supervisor) go by date first and office second. User and chat ids
-- need no change: SQLite's INTEGER holds 64 bits (a -100… group id fits; tests/test_storage
-- round-trips one).
CREATE INDEX IF NOT EXISTS submissions_day ON submissions(happened_on, office_id);
CREATE INDEX IF NOT EXISTS requests_created ON requests(created_at, office_id);
