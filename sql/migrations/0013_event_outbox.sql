-- Events to the SaaS backend (docs/event-webhooks.md): every recorded change of a tenant's connection is written to an
-- outbox in the transaction that changes it, and delivered from there, signed, at least once and in order per tenant.
--
-- Rows are written only by sessions that set `tenant_whatsapp.events = 'on'`: the responder and `reconcile` do when
-- EVENTS_WEBHOOK_URL is set. Without it nothing is written, so setting it later replays no history.
CREATE TABLE whatsapp_event_outbox (
    -- The order of a tenant's events: its writes are serialised by its `tenants` row lock, so ids grow in commit order.
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    -- `webhook-id`: the same for every attempt and every process, for the receiver's de-duplication.
    event_id text NOT NULL UNIQUE DEFAULT 'evt_' || replace(gen_random_uuid()::text, '-', ''),
    type text NOT NULL CHECK (type IN (
        'whatsapp.qrcode', 'whatsapp.pairing_code', 'whatsapp.connecting', 'whatsapp.connected',
        'whatsapp.disconnected')),
    -- No foreign key: a tenant deleted meanwhile keeps its last events.
    tenant_id text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    -- What the event carries, as it was when the change was written.
    instance_name text,
    status text NOT NULL CHECK (status IN ('connecting', 'open', 'close', 'not_created')),
    reason text,
    account_jid text,
    account_name text,
    connected_at timestamptz,
    server_id text,
    -- The QR code image of a `whatsapp.qrcode`, only with EVENTS_WEBHOOK_QRCODE=image.
    qr_code text,
    -- Delivery: pending until the endpoint answers 2xx (delivered) or the last attempt failed (dead).
    state text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'delivered', 'dead')),
    attempts integer NOT NULL DEFAULT 0,
    -- 'infinity' while an earlier event of the tenant is pending: only the head of each tenant's queue is ever due,
    -- so a claim walks the due events alone, however long the queues behind them (EventOutbox.swift).
    next_attempt_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    -- Set while one process delivers it; an attempt cut short by a crash is taken again once this passes.
    leased_until timestamptz,
    last_attempt_at timestamptz,
    last_status integer,
    last_error text,
    finished_at timestamptz,
    CHECK ((state = 'pending') = (finished_at IS NULL))
);

-- The head of each tenant's queue (its oldest pending event), and what is due, in the order it is claimed.
CREATE INDEX whatsapp_event_outbox_pending ON whatsapp_event_outbox (tenant_id, id) WHERE state = 'pending';
CREATE INDEX whatsapp_event_outbox_due ON whatsapp_event_outbox (next_attempt_at, id) WHERE state = 'pending';
-- `events purge` and `events list`.
CREATE INDEX whatsapp_event_outbox_finished ON whatsapp_event_outbox (finished_at) WHERE state <> 'pending';
CREATE INDEX whatsapp_event_outbox_tenant ON whatsapp_event_outbox (tenant_id, id);

-- One row: delivery stopped after the endpoint answered 410 Gone, until `tenant-whatsapp events resume`.
CREATE TABLE whatsapp_event_delivery (
    only_row boolean PRIMARY KEY DEFAULT true CHECK (only_row),
    paused_at timestamptz,
    paused_event_id text
);
INSERT INTO whatsapp_event_delivery DEFAULT VALUES;

-- What status shows as its `status` (docs/api.md): `not_created` without an instance.
CREATE FUNCTION whatsapp_shown_status(instance_name text, status text) RETURNS text LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN instance_name IS NULL THEN 'not_created' ELSE coalesce(status, 'connecting') END
$$;

-- Appends one event for `t` (its columns as they are now) and wakes the delivering processes at commit; nothing in a
-- session without `tenant_whatsapp.events = 'on'`. The caller holds `t`'s row lock (an UPDATE of it, or FOR NO KEY
-- UPDATE), as whoever finishes the tenant's head and unblocks the next event holds FOR SHARE: the two never miss
-- each other (this function is VOLATILE, so its query sees what was committed before the lock was granted).
CREATE FUNCTION whatsapp_append_event(event_type text, t tenants, qr_code text DEFAULT NULL) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    shown text := whatsapp_shown_status(t.whatsapp_instance_name, t.whatsapp_status);
BEGIN
    IF current_setting('tenant_whatsapp.events', true) IS DISTINCT FROM 'on' THEN
        RETURN;
    END IF;
    INSERT INTO whatsapp_event_outbox (
        type, tenant_id, instance_name, status, reason, account_jid, account_name, connected_at, server_id, qr_code,
        next_attempt_at)
    VALUES (
        event_type, t.id, t.whatsapp_instance_name, shown,
        CASE WHEN shown IN ('close', 'not_created') THEN t.whatsapp_disconnect_reason END,
        CASE WHEN shown = 'open' THEN t.whatsapp_account_jid END,
        CASE WHEN shown = 'open' THEN t.whatsapp_account_name END,
        CASE WHEN shown = 'open' THEN t.whatsapp_connected_at END,
        t.evolution_server_id, qr_code,
        CASE WHEN EXISTS (SELECT 1 FROM whatsapp_event_outbox WHERE tenant_id = t.id AND state = 'pending')
            THEN 'infinity'::timestamptz ELSE clock_timestamp() END);
    PERFORM pg_notify('tenant_whatsapp_events', '');
END
$$;

-- The connection events of a change of a `tenants` row: `connecting` and `connected` when the shown status becomes
-- that; `disconnected` when a live connection (connecting, open) ends, and again when the reason of a drop is
-- learnt or made more specific later (a polled close that lasts, a close's code after `logout.instance`).
CREATE FUNCTION tenants_connection_event() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    before text := whatsapp_shown_status(OLD.whatsapp_instance_name, OLD.whatsapp_status);
    after text := whatsapp_shown_status(NEW.whatsapp_instance_name, NEW.whatsapp_status);
    event_type text;
BEGIN
    IF after = 'connecting' AND before <> 'connecting' THEN
        event_type := 'whatsapp.connecting';
    ELSIF after = 'open' AND before <> 'open' THEN
        event_type := 'whatsapp.connected';
    ELSIF after IN ('close', 'not_created') AND before IN ('connecting', 'open') THEN
        event_type := 'whatsapp.disconnected';
    ELSIF after IN ('close', 'not_created') AND NEW.whatsapp_disconnect_reason IS NOT NULL
        AND NEW.whatsapp_disconnect_reason IS DISTINCT FROM OLD.whatsapp_disconnect_reason THEN
        event_type := 'whatsapp.disconnected';
    ELSE
        RETURN NULL;
    END IF;
    PERFORM whatsapp_append_event(event_type, NEW);
    RETURN NULL;
END
$$;

CREATE TRIGGER tenants_connection_event AFTER UPDATE ON tenants FOR EACH ROW
    WHEN (OLD.whatsapp_status IS DISTINCT FROM NEW.whatsapp_status
        OR OLD.whatsapp_instance_name IS DISTINCT FROM NEW.whatsapp_instance_name
        OR OLD.whatsapp_disconnect_reason IS DISTINCT FROM NEW.whatsapp_disconnect_reason)
    EXECUTE FUNCTION tenants_connection_event();
