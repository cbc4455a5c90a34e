DELETE FROM reach_snapshots WHERE object_kind = 'mention_post';
ALTER TABLE reach_snapshots DROP CONSTRAINT reach_snapshots_object_kind_check;
ALTER TABLE reach_snapshots ADD CONSTRAINT reach_snapshots_object_kind_check
    CHECK (object_kind IN ('share_post', 'contest_post'));
