-- What Evolution pushes to us through its webhooks: the latest QR code of an instance, and the time of the last
-- event applied, so that a repeated or late delivery never overwrites a newer one.

ALTER TABLE tenants
    -- The latest QR code (a PNG data URL) Evolution pushed for the instance; NULL once connected or without one.
    ADD COLUMN whatsapp_qr_code text,
    -- When that QR code arrived (QR codes live 45 s on Evolution).
    ADD COLUMN whatsapp_qr_received_at timestamptz,
    -- Evolution's `date_time` of the last event applied to the row: events are ordered on Evolution's own clock.
    ADD COLUMN whatsapp_event_at timestamptz,
    ADD CONSTRAINT tenants_whatsapp_qr_needs_instance
        CHECK (whatsapp_instance_name IS NOT NULL OR whatsapp_qr_code IS NULL);
