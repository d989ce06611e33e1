-- 0006: guests see only #guest (contract section 6): each event records whether guests may see
-- it, so live delivery (in memory) and replay (SQL) apply the same rule.
ALTER TABLE events ADD COLUMN guest_visible INTEGER NOT NULL DEFAULT 1;
UPDATE events SET guest_visible = 0
 WHERE channel_id IS NOT NULL
   AND channel_id NOT IN (SELECT id FROM channels WHERE name = 'guest');
