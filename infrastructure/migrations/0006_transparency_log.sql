-- Auditors: a Merkle tree per tenant (RFC 9162) kept in tiles, signed checkpoints and the
-- witnesses' cosignatures of them, a commit time the database assigns, and the access log.

-- The commit time of each event, assigned by the database when the append inserts it (after
-- the tenant's head row is locked, so later positions never get earlier times while the clock
-- does not step back). `as_of` reads take the last position before the first event committed
-- after the asked time, which stays a prefix of the log whatever the clock did.
ALTER TABLE events ADD COLUMN committed_at timestamptz;
UPDATE events SET committed_at = recorded_at;
ALTER TABLE events ALTER COLUMN committed_at SET DEFAULT clock_timestamp();
ALTER TABLE events ALTER COLUMN committed_at SET NOT NULL;
CREATE INDEX events_committed_at ON events (tenant_id, committed_at);

-- A pupil's events: the streams whose events name the pupil, for timelines and pupil bundles.
CREATE INDEX events_pupil ON events (tenant_id, (payload ->> 'pupil_id'))
  WHERE payload ? 'pupil_id';

-- Tiles of the tenant's Merkle tree: tile (level, tile_index) holds up to 256 hashes of the
-- nodes at tree level 8 * level, concatenated. Only the last tile of a level is ever partial;
-- it is rewritten as the tree grows.
CREATE TABLE log_tiles (
  tenant_id  text     NOT NULL,
  level      smallint NOT NULL CHECK (level >= 0),
  tile_index bigint   NOT NULL CHECK (tile_index >= 0),
  hashes     bytea    NOT NULL CHECK (length(hashes) % 32 = 0 AND length(hashes) BETWEEN 32 AND 8192),
  PRIMARY KEY (tenant_id, level, tile_index)
);

-- Every checkpoint the platform signed: a C2SP signed note over (origin, size, root). The
-- largest is the size of the tree kept in log_tiles.
CREATE TABLE log_checkpoints (
  tenant_id text        NOT NULL,
  tree_size bigint      NOT NULL CHECK (tree_size >= 0),
  root_hash bytea       NOT NULL CHECK (length(root_hash) = 32),
  note      text        NOT NULL,
  signed_at timestamptz NOT NULL DEFAULT clock_timestamp(),
  PRIMARY KEY (tenant_id, tree_size)
);

-- Cosignatures that witnesses returned for a checkpoint (C2SP tlog-cosignature lines).
CREATE TABLE log_cosignatures (
  tenant_id   text        NOT NULL,
  tree_size   bigint      NOT NULL,
  witness     text        NOT NULL,
  line        text        NOT NULL,
  cosigned_at timestamptz NOT NULL DEFAULT clock_timestamp(),
  PRIMARY KEY (tenant_id, tree_size, witness),
  FOREIGN KEY (tenant_id, tree_size) REFERENCES log_checkpoints
);

-- Who read what, when and why: append-only, hash-chained per tenant, beside the event log.
-- Its own head row, so recording a read never takes the event log's head lock.
CREATE TABLE access_log_heads (
  tenant_id     text   PRIMARY KEY,
  last_sequence bigint NOT NULL DEFAULT 0,
  chain_hash    bytea  NOT NULL
);

CREATE TABLE access_log (
  tenant_id   text        NOT NULL,
  sequence    bigint      NOT NULL CHECK (sequence > 0),
  accessed_at timestamptz NOT NULL,
  actor       text        NOT NULL,
  action      text        NOT NULL,
  resource    text        NOT NULL,
  subject_id  uuid,
  fields      text[]      NOT NULL,
  purpose     text        NOT NULL,
  entry       bytea       NOT NULL,
  entry_hash  bytea       NOT NULL,
  chain_hash  bytea       NOT NULL,
  PRIMARY KEY (tenant_id, sequence)
);
CREATE INDEX access_log_subject ON access_log (tenant_id, subject_id) WHERE subject_id IS NOT NULL;

ALTER TABLE log_tiles ENABLE ROW LEVEL SECURITY;
ALTER TABLE log_tiles FORCE ROW LEVEL SECURITY;
ALTER TABLE log_checkpoints ENABLE ROW LEVEL SECURITY;
ALTER TABLE log_checkpoints FORCE ROW LEVEL SECURITY;
ALTER TABLE log_cosignatures ENABLE ROW LEVEL SECURITY;
ALTER TABLE log_cosignatures FORCE ROW LEVEL SECURITY;
ALTER TABLE access_log_heads ENABLE ROW LEVEL SECURITY;
ALTER TABLE access_log_heads FORCE ROW LEVEL SECURITY;
ALTER TABLE access_log ENABLE ROW LEVEL SECURITY;
ALTER TABLE access_log FORCE ROW LEVEL SECURITY;

CREATE POLICY tenant_isolation ON log_tiles
  USING (tenant_id = current_setting('app.tenant_id', true))
  WITH CHECK (tenant_id = current_setting('app.tenant_id', true));
CREATE POLICY tenant_isolation ON log_checkpoints
  USING (tenant_id = current_setting('app.tenant_id', true))
  WITH CHECK (tenant_id = current_setting('app.tenant_id', true));
CREATE POLICY tenant_isolation ON log_cosignatures
  USING (tenant_id = current_setting('app.tenant_id', true))
  WITH CHECK (tenant_id = current_setting('app.tenant_id', true));
CREATE POLICY tenant_isolation ON access_log_heads
  USING (tenant_id = current_setting('app.tenant_id', true))
  WITH CHECK (tenant_id = current_setting('app.tenant_id', true));
CREATE POLICY tenant_isolation ON access_log
  USING (tenant_id = current_setting('app.tenant_id', true))
  WITH CHECK (tenant_id = current_setting('app.tenant_id', true));

GRANT SELECT, INSERT, UPDATE ON log_tiles TO passend_app;
GRANT SELECT, INSERT ON log_checkpoints TO passend_app;
GRANT SELECT, INSERT ON log_cosignatures TO passend_app;
GRANT SELECT, INSERT, UPDATE ON access_log_heads TO passend_app;
GRANT SELECT, INSERT ON access_log TO passend_app;

-- Record one access in one statement: bump the tenant's access head, chain the entry's hash.
CREATE FUNCTION passend_record_access(
  p_tenant text, p_accessed_at timestamptz, p_actor text, p_action text, p_resource text,
  p_subject uuid, p_fields text[], p_purpose text, p_entry bytea, p_entry_hash bytea,
  p_genesis bytea
) RETURNS TABLE (sequence bigint, chain_hash bytea) LANGUAGE sql AS $$
  SELECT set_config('app.tenant_id', p_tenant, true);
  INSERT INTO access_log_heads (tenant_id, chain_hash) VALUES (p_tenant, p_genesis)
    ON CONFLICT (tenant_id) DO NOTHING;
  WITH head AS (
    UPDATE access_log_heads h
       SET last_sequence = h.last_sequence + 1,
           chain_hash = sha256(h.chain_hash || p_entry_hash)
     WHERE h.tenant_id = p_tenant
    RETURNING h.last_sequence, h.chain_hash
  )
  INSERT INTO access_log AS a (tenant_id, sequence, accessed_at, actor, action, resource,
                               subject_id, fields, purpose, entry, entry_hash, chain_hash)
  SELECT p_tenant, head.last_sequence, p_accessed_at, p_actor, p_action, p_resource, p_subject,
         p_fields, p_purpose, p_entry, p_entry_hash, head.chain_hash
    FROM head
  RETURNING a.sequence, a.chain_hash;
$$;
GRANT EXECUTE ON FUNCTION passend_record_access TO passend_app;

-- Per tenant: its head and the size of its tree, for the integrator that extends the trees.
-- Runs as its owner (the application role sees one tenant at a time); sizes only.
CREATE FUNCTION passend_log_backlog()
RETURNS TABLE (tenant_id text, last_position bigint, tree_size bigint)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public AS $$
  SELECT h.tenant_id, h.last_position,
         coalesce((SELECT max(c.tree_size) FROM public.log_checkpoints c
                    WHERE c.tenant_id = h.tenant_id), 0)
    FROM public.tenant_heads h ORDER BY h.tenant_id;
$$;
REVOKE ALL ON FUNCTION passend_log_backlog FROM PUBLIC;
GRANT EXECUTE ON FUNCTION passend_log_backlog TO passend_app;
