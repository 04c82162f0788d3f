-- Referrals name their agency by its slug (the organisation file's `[[agencies]]`), not
-- only by the Persian sentence of the trail: the agency's loop, its counts and its API read
-- `request_events.agency` (the referral event) and `requests.agency` (where the request is
-- referred now; cleared when a referral is undone).
--
-- Backfill: a referral event whose note is «ارجاع به NAME» for an agency of the shipped
-- organisation file gets that agency's slug; a referral to an agency typed by hand («سایر»)
-- or of another organisation file keeps NULL (its note still names it).

ALTER TABLE request_events ADD COLUMN agency TEXT;
ALTER TABLE requests ADD COLUMN agency TEXT;

CREATE TEMPORARY TABLE shipped_agencies (slug TEXT NOT NULL, note TEXT NOT NULL);
INSERT INTO shipped_agencies (slug, note) VALUES
    ('abfa', 'ارجاع به شرکت آب و فاضلاب (آبفا)'),
    ('electricity', 'ارجاع به شرکت توزیع نیروی برق'),
    ('gas', 'ارجاع به شرکت گاز'),
    ('municipality', 'ارجاع به شهرداری'),
    ('behzisti', 'ارجاع به بهزیستی'),
    ('emdad', 'ارجاع به کمیتهٔ امداد'),
    ('health', 'ارجاع به شبکهٔ بهداشت'),
    ('education', 'ارجاع به آموزش و پرورش'),
    ('police', 'ارجاع به نیروی انتظامی'),
    ('roads', 'ارجاع به راه و شهرسازی'),
    ('ngo', 'ارجاع به سازمان‌های مردم‌نهاد');

UPDATE request_events SET agency = (
    SELECT slug FROM shipped_agencies WHERE shipped_agencies.note = request_events.note)
WHERE kind = 'status' AND new_status = 'referred' AND agency IS NULL;

UPDATE requests SET agency = (
    SELECT e.agency FROM request_events e WHERE e.request_id = requests.id
    AND e.kind = 'status' AND e.new_status = 'referred' ORDER BY e.id DESC LIMIT 1)
WHERE status = 'referred';

DROP TABLE shipped_agencies;

CREATE INDEX request_events_agency ON request_events (agency) WHERE agency IS NOT NULL;
