DROP INDEX jobs_ready_kind_idx;
