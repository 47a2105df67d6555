-- Evolution writes a webhook's `date_time` as its host's local wall-clock time with a `Z` stuck on (docs/webhooks.md):
-- each server's offset from UTC, as the responders learn it from its deliveries, is kept here so that a responder
-- starting up converts the first deliveries as the others do. Written only when a responder's learned offset changes
-- (a server's first delivery, daylight saving time), never per delivery.
CREATE TABLE evolution_server_clocks (
    -- As evolution_servers.id; no foreign key: `default` may have no row there.
    server_id text PRIMARY KEY CHECK (server_id ~ '^[a-z0-9][a-z0-9-]{0,31}$'),
    -- Minutes east of UTC: every time zone, from UTC-12 to UTC+14, is a multiple of 15 minutes.
    offset_minutes integer NOT NULL CHECK (offset_minutes BETWEEN -720 AND 840 AND offset_minutes % 15 = 0),
    learned_at timestamptz NOT NULL DEFAULT now()
);

-- tenants.whatsapp_event_at now holds the instant (UTC) of the last pushed event applied, no longer Evolution's raw
-- reading: the readings stored before (hours off for a server outside UTC, or 9999-12-31 from a forged delivery) are
-- forgotten, so they order nothing.
UPDATE tenants SET whatsapp_event_at = NULL WHERE whatsapp_event_at IS NOT NULL;
