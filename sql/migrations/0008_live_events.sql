-- Live connection state (docs/events.md): every change of a tenant's connection gets a version that only grows,
-- so that a message published late by one responder process, carrying an older state, is recognisable; and the
-- tickets a browser's EventSource subscribes with (a bearer token must not travel in a URL).

-- The version is written by PostgreSQL itself, in the statement that changes the row, whoever wrote it (a request,
-- reconcile, a script). Only the columns that make up what GET status and the event stream show count; a check
-- that finds the same state does not (the WHEN clause is evaluated without calling the function).
ALTER TABLE tenants ADD COLUMN whatsapp_state_version bigint NOT NULL DEFAULT 0;

CREATE FUNCTION tenants_next_state_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.whatsapp_state_version := OLD.whatsapp_state_version + 1;
    RETURN NEW;
END
$$;

CREATE TRIGGER tenants_state_version BEFORE UPDATE ON tenants FOR EACH ROW
    WHEN (OLD.whatsapp_status IS DISTINCT FROM NEW.whatsapp_status
        OR OLD.whatsapp_instance_name IS DISTINCT FROM NEW.whatsapp_instance_name
        OR OLD.whatsapp_instance_generation IS DISTINCT FROM NEW.whatsapp_instance_generation
        OR OLD.whatsapp_qr_code IS DISTINCT FROM NEW.whatsapp_qr_code
        OR OLD.whatsapp_state_version IS DISTINCT FROM NEW.whatsapp_state_version)
    EXECUTE FUNCTION tenants_next_state_version();

-- A ticket is stored as the SHA-256 of its text only: the table never holds a usable ticket. It is valid for any
-- number of subscriptions of its tenant until it expires (60 s); expired ones are purged as new ones are issued.
CREATE TABLE whatsapp_event_tickets (
    ticket_sha256 bytea PRIMARY KEY CHECK (octet_length(ticket_sha256) = 32),
    tenant_id text NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    expires_at timestamptz NOT NULL
);

CREATE INDEX whatsapp_event_tickets_expires_at ON whatsapp_event_tickets (expires_at);
