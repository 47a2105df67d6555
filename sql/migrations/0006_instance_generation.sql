-- A name is not an identity: `tenant_{id}` comes back after every disconnect. Each stored instance gets a
-- generation (a fresh id when its name is stored), and writes made by requests that read the row are
-- conditional on the generation they read, so a request that lost a race to a disconnect and a new connect
-- changes nothing.

ALTER TABLE tenants ADD COLUMN whatsapp_instance_generation text;

UPDATE tenants SET whatsapp_instance_generation = gen_random_uuid()::text WHERE whatsapp_instance_name IS NOT NULL;
