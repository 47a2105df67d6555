-- What the service knows about each tenant's WhatsApp connection, and an append-only audit trail.

ALTER TABLE tenants
    -- Evolution's last observed state of the instance: connecting, open or close; NULL without an instance.
    ADD COLUMN whatsapp_status text CHECK (whatsapp_status IN ('connecting', 'open', 'close')),
    -- When the connection was first confirmed open (cleared when the instance is removed).
    ADD COLUMN whatsapp_connected_at timestamptz,
    -- When the instance was created or adopted for this tenant.
    ADD COLUMN whatsapp_instance_created_at timestamptz,
    -- When Evolution was last asked about the instance.
    ADD COLUMN whatsapp_checked_at timestamptz,
    -- A name without an instance makes no sense, and a status only exists for an instance.
    ADD CONSTRAINT tenants_whatsapp_status_needs_instance
        CHECK (whatsapp_instance_name IS NOT NULL OR whatsapp_status IS NULL);

-- Every connect, disconnect and observed state change, never updated or deleted: operators read it to
-- answer "what happened to this tenant's WhatsApp, and when".
CREATE TABLE whatsapp_audit (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    -- No foreign key: the trail outlives the tenant row.
    tenant_id text NOT NULL,
    action text NOT NULL CHECK (action IN ('connect', 'disconnect', 'state_change')),
    -- What happened: created, reused, adopted, already_connected, disconnected, open, close, failed, ...
    outcome text NOT NULL,
    -- The envelope's error code when the action failed.
    error_code text,
    instance_name text,
    -- nginx's $request_id: joins this row to the access and responder logs.
    request_id text,
    duration_ms integer CHECK (duration_ms >= 0),
    occurred_at timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX whatsapp_audit_tenant_time ON whatsapp_audit (tenant_id, occurred_at);

CREATE FUNCTION whatsapp_audit_is_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'whatsapp_audit is append-only' USING ERRCODE = 'insufficient_privilege';
END;
$$;

CREATE TRIGGER whatsapp_audit_append_only
    BEFORE UPDATE OR DELETE ON whatsapp_audit
    FOR EACH STATEMENT EXECUTE FUNCTION whatsapp_audit_is_append_only();

-- TRUNCATE bypasses row and statement triggers for UPDATE/DELETE; refuse it too.
CREATE TRIGGER whatsapp_audit_no_truncate
    BEFORE TRUNCATE ON whatsapp_audit
    FOR EACH STATEMENT EXECUTE FUNCTION whatsapp_audit_is_append_only();
