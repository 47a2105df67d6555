-- Tenants of the SaaS and the WhatsApp instance each one has on Evolution.
-- A tenant row needs only its id: INSERT INTO tenants (id) VALUES ($1).

CREATE TABLE tenants (
    -- The same shape the HTTP routes accept for {tenantId}, so no other id can be stored by mistake.
    id text PRIMARY KEY CHECK (id ~ '^[A-Za-z0-9_-]{1,64}$'),
    -- The Evolution instance name (tenant_{id}); NULL while the tenant has none. UNIQUE so that no two
    -- tenants, on any responder process, can ever hold the same instance.
    whatsapp_instance_name text UNIQUE,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
