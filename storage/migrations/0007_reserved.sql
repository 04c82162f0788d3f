-- Reserved: number 7 belongs to a migration written on another branch at the same time as
-- 0008_operations.sql. This placeholder keeps the numbers without a gap on this branch only;
-- it is dropped when the two branches are merged (it changes nothing in the schema).
SELECT 1;
