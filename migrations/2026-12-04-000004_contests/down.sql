DROP TABLE rate_limits;
DROP TABLE audit_log;
DROP TABLE activities;
DROP TABLE visitors;
DROP TABLE votes;
DROP TABLE consents;
DROP TABLE entries;
DROP TABLE contests;
