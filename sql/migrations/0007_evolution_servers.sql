-- Several Evolution servers behind one API (docs/servers.md): a registry of servers, the server each tenant is
-- placed on, and the instances left on a disabled server, deleted once it answers again. Capacity is enforced here,
-- in PostgreSQL, so that every responder process on every host places tenants against the same counts.

CREATE TABLE evolution_servers (
    -- The server's name in commands, metrics (`server` label) and its webhook route; `default` is reserved for the
    -- server of EVOLUTION_API_URL, which needs no row until it is registered.
    id text PRIMARY KEY CHECK (id ~ '^[a-z0-9][a-z0-9-]{0,31}$'),
    base_url text NOT NULL CHECK (base_url ~ '^https?://[^[:space:]]+$'),
    -- Sealed with AES-256-GCM under SECRETS_KEY (`v1:{keyId}:{base64}`), bound to this row and column: never the key.
    api_key_sealed text NOT NULL CHECK (api_key_sealed LIKE 'v1:%'),
    -- The HS256 secret of this server's webhook tokens (Evolution's jwt_key), made at `servers add`, sealed the same way.
    webhook_secret_sealed text NOT NULL CHECK (webhook_secret_sealed LIKE 'v1:%'),
    -- The most tenants placed on it (instances it may hold); lowering it below what is placed is allowed.
    capacity integer NOT NULL CHECK (capacity >= 1),
    -- active: gets placements; draining: keeps its tenants, gets none; disabled: gets no call at all.
    state text NOT NULL DEFAULT 'active' CHECK (state IN ('active', 'draining', 'disabled')),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);

ALTER TABLE tenants
    -- The server the tenant's instance lives on (or is being created on): set when the tenant is placed, under its
    -- operation lease, and cleared with the instance. No foreign key: `default` may have no row.
    ADD COLUMN evolution_server_id text CHECK (evolution_server_id ~ '^[a-z0-9][a-z0-9-]{0,31}$');

-- Every instance that exists before this migration lives on the one server there was (before the constraint below,
-- which PostgreSQL checks against every existing row as it is added).
UPDATE tenants SET evolution_server_id = 'default' WHERE whatsapp_instance_name IS NOT NULL;

ALTER TABLE tenants
    -- An instance is always on some server.
    ADD CONSTRAINT tenants_instance_needs_server
        CHECK (whatsapp_instance_name IS NULL OR evolution_server_id IS NOT NULL);

-- A writer that stores an instance name without a server (an older responder during a rolling upgrade, a script)
-- means the one server it knows: `default`.
CREATE FUNCTION tenants_instance_on_default_server() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.whatsapp_instance_name IS NOT NULL AND NEW.evolution_server_id IS NULL THEN
        NEW.evolution_server_id := 'default';
    END IF;
    RETURN NEW;
END;
$$;

CREATE TRIGGER tenants_instance_on_default_server
    BEFORE INSERT OR UPDATE OF whatsapp_instance_name, evolution_server_id ON tenants
    FOR EACH ROW EXECUTE FUNCTION tenants_instance_on_default_server();

-- Counting a server's tenants (placement, `servers list`) reads this index only.
CREATE INDEX tenants_evolution_server ON tenants (evolution_server_id) WHERE evolution_server_id IS NOT NULL;

-- Instances cleared here while their server was disabled: `reconcile` deletes them when the server answers again.
CREATE TABLE evolution_pending_deletions (
    server_id text NOT NULL,
    instance_name text NOT NULL,
    tenant_id text NOT NULL,
    requested_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (server_id, instance_name)
);

-- Places a tenant on the active server with room that is least loaded (placed ÷ capacity, ties by id) and returns
-- its id; NULL when no server has room. Without any registered server, the implicit `default`.
--
-- Every placement first locks all server rows (in id order: no deadlock), so placements are serialized across
-- processes and hosts; each statement below then reads the counts committed before it (READ COMMITTED takes a new
-- snapshot per statement in a function), never a stale count. A tenant already placed keeps its place.
CREATE FUNCTION evolution_place_tenant(tenant text) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
    chosen text;
BEGIN
    -- Placements wait for each other (each holds the server rows for a moment), beyond the sessions' 50 ms
    -- lock_timeout: up to 2 s, for this statement only.
    PERFORM set_config('lock_timeout', '2000', true);
    PERFORM 1 FROM evolution_servers ORDER BY id FOR UPDATE;
    SELECT evolution_server_id INTO chosen FROM tenants WHERE id = tenant;
    IF chosen IS NOT NULL THEN
        RETURN chosen;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM evolution_servers) THEN
        chosen := 'default';
    ELSE
        SELECT s.id INTO chosen
        FROM evolution_servers s
        CROSS JOIN LATERAL (SELECT count(*) AS placed FROM tenants t WHERE t.evolution_server_id = s.id) p
        WHERE s.state = 'active' AND p.placed < s.capacity
            -- Not where this tenant's previous instance still waits for its deletion.
            AND NOT EXISTS (
                SELECT 1 FROM evolution_pending_deletions d WHERE d.server_id = s.id AND d.tenant_id = tenant)
        ORDER BY p.placed::float8 / s.capacity, s.id
        LIMIT 1;
        IF chosen IS NULL THEN
            RETURN NULL;
        END IF;
    END IF;
    UPDATE tenants SET evolution_server_id = chosen WHERE id = tenant;
    RETURN chosen;
END;
$$;

ALTER TABLE whatsapp_audit DROP CONSTRAINT whatsapp_audit_action_check;
ALTER TABLE whatsapp_audit ADD CONSTRAINT whatsapp_audit_action_check
    CHECK (action IN ('connect', 'disconnect', 'state_change', 'reconcile', 'webhook'));
