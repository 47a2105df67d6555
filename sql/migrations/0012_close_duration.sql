-- How long the recorded `close` has lasted (docs/api.md, "Who is connected, and why it dropped"): a `close` seen only
-- by polling carries no code, and is recorded as `connection_lost` only once it has lasted STATUS_CLOSE_GRACE_MS
-- (30 s by default); a shorter one is the restart after a scan, not a drop. Kept by PostgreSQL itself in the statement
-- that changes the state, whoever writes it: set when the state becomes `close`, NULL while it is anything else.
ALTER TABLE tenants ADD COLUMN whatsapp_closed_at timestamptz;

-- A close recorded before this migration counts from its last check: later than it began, never earlier.
UPDATE tenants SET whatsapp_closed_at = coalesce(whatsapp_checked_at, now()) WHERE whatsapp_status = 'close';

CREATE FUNCTION tenants_closed_since() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' OR OLD.whatsapp_status IS DISTINCT FROM NEW.whatsapp_status THEN
        NEW.whatsapp_closed_at := CASE WHEN NEW.whatsapp_status = 'close' THEN now() END;
    END IF;
    RETURN NEW;
END
$$;

CREATE TRIGGER tenants_closed_since BEFORE INSERT OR UPDATE OF whatsapp_status ON tenants FOR EACH ROW
    EXECUTE FUNCTION tenants_closed_since();
