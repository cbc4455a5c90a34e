CREATE INDEX webhook_events_page_idx ON webhook_events (page_id, created_time);
ALTER TABLE webhook_events ADD CONSTRAINT webhook_events_delivery_id_fkey
    FOREIGN KEY (delivery_id) REFERENCES webhook_deliveries (id) ON DELETE CASCADE;
