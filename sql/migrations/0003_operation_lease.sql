-- The per-tenant operation lock as a lease on the row (replacing a session advisory lock, which pinned a
-- database connection for as long as Evolution took): who holds it and until when. A responder that dies
-- holding it simply lets it run out; nothing waits on a connection.

ALTER TABLE tenants
    -- Unique per acquisition: only the holder releases it.
    ADD COLUMN operation_owner text,
    -- After this instant the lease is free, whoever holds it (PostgreSQL's clock decides, never a host's).
    ADD COLUMN operation_expires_at timestamptz;
