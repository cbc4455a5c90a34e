DROP TRIGGER segment_members_count_delete ON segment_memberships;
DROP TRIGGER segment_members_count_insert ON segment_memberships;
DROP FUNCTION fanfare_segment_members_removed();
DROP FUNCTION fanfare_segment_members_added();
ALTER TABLE segments DROP COLUMN member_count;
