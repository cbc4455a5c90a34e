DROP TABLE deletion_requests;
DROP TABLE deauthorizations;
DROP TABLE jobs;
DROP TABLE webhook_events;
DROP TABLE webhook_deliveries;
