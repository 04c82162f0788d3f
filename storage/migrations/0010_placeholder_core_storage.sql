-- PLACEHOLDER on branch `dashboard` only, so that 0011 applies in its tests: the lead
-- deletes this file when merging the real migration of this number (core branches).
SELECT 1;
