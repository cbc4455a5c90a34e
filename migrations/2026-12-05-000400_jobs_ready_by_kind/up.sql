-- A claim takes the first ready job, then more of that job's kind only
-- (`db::jobs::claim`). The second query had no index in its order with the kind
-- in front: on a queue filled faster than autovacuum analyses it, the planner
-- read every queued job and sorted them, 12 ms per claim at 5,500 queued jobs,
-- growing with the queue (issue 10, P1's backlog). With this index the claim
-- walks the kind's ready jobs in claim order and stops at the limit (0.2 ms).
CREATE INDEX jobs_ready_kind_idx ON jobs (kind, priority DESC, run_at, id) WHERE state = 'queued';
