-- What `tenant-whatsapp reconcile` needs: whether an instance was ever seen connected since it was created (an
-- instance nobody ever scanned can be expired), and its own audit action.

ALTER TABLE tenants
    -- When the instance was first seen `open` since it was created or adopted; NULL while it never was.
    ADD COLUMN whatsapp_opened_at timestamptz;

-- Instances already open when this migration runs were connected at least once.
UPDATE tenants SET whatsapp_opened_at = coalesce(whatsapp_connected_at, now()) WHERE whatsapp_status = 'open';

ALTER TABLE whatsapp_audit DROP CONSTRAINT whatsapp_audit_action_check;
ALTER TABLE whatsapp_audit ADD CONSTRAINT whatsapp_audit_action_check
    CHECK (action IN ('connect', 'disconnect', 'state_change', 'reconcile'));
