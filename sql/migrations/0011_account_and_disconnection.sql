-- Who is connected, and why the connection dropped (docs/webhooks.md, "Account and disconnection"): the WhatsApp
-- account Evolution reports on `open` (its JID, `wuid`, and profile name), kept until a new connect stores another
-- instance; and the last disconnection (a reason, Evolution's code when it gave one, when it was recorded), kept
-- until the next connect or the next `open`. Written in the same statement as the state change they come with.
ALTER TABLE tenants
    ADD COLUMN whatsapp_account_jid text,
    ADD COLUMN whatsapp_account_name text,
    ADD COLUMN whatsapp_disconnect_reason text CHECK (whatsapp_disconnect_reason IN (
        'logged_out', 'restricted', 'connection_lost', 'qr_expired', 'removed', 'expired', 'user', 'unknown')),
    ADD COLUMN whatsapp_disconnect_code integer,
    ADD COLUMN whatsapp_disconnected_at timestamptz,
    ADD CONSTRAINT tenants_disconnection_complete
        CHECK ((whatsapp_disconnect_reason IS NULL) = (whatsapp_disconnected_at IS NULL));

-- Status and the event stream show them, so their change bumps the state version too (0008_live_events.sql).
DROP TRIGGER tenants_state_version ON tenants;

CREATE TRIGGER tenants_state_version BEFORE UPDATE ON tenants FOR EACH ROW
    WHEN (OLD.whatsapp_status IS DISTINCT FROM NEW.whatsapp_status
        OR OLD.whatsapp_instance_name IS DISTINCT FROM NEW.whatsapp_instance_name
        OR OLD.whatsapp_instance_generation IS DISTINCT FROM NEW.whatsapp_instance_generation
        OR OLD.whatsapp_qr_code IS DISTINCT FROM NEW.whatsapp_qr_code
        OR OLD.whatsapp_account_jid IS DISTINCT FROM NEW.whatsapp_account_jid
        OR OLD.whatsapp_account_name IS DISTINCT FROM NEW.whatsapp_account_name
        OR OLD.whatsapp_disconnect_reason IS DISTINCT FROM NEW.whatsapp_disconnect_reason
        OR OLD.whatsapp_disconnect_code IS DISTINCT FROM NEW.whatsapp_disconnect_code
        OR OLD.whatsapp_disconnected_at IS DISTINCT FROM NEW.whatsapp_disconnected_at
        OR OLD.whatsapp_state_version IS DISTINCT FROM NEW.whatsapp_state_version)
    EXECUTE FUNCTION tenants_next_state_version();
