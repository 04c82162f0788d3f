-- Placeholder in the privacy-core branch only (the number belongs to another branch):
-- delete this file when merging.
SELECT 1;
