-- The per-tenant event log: dense, commit-ordered positions, hash-chained, row-level secured.

DO $$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'passend_app') THEN
    CREATE ROLE passend_app LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS;
  END IF;
END $$;

CREATE TABLE tenant_heads (
  tenant_id     text        PRIMARY KEY CHECK (tenant_id ~ '^[A-Z0-9_-]{2,32}$'),
  last_position bigint      NOT NULL DEFAULT 0,
  chain_hash    bytea       NOT NULL,
  registered_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE events (
  -- no foreign key to tenant_heads: an append cannot happen without bumping its head row
  tenant_id      text        NOT NULL,
  position       bigint      NOT NULL,
  stream_id      uuid        NOT NULL,
  stream_version integer     NOT NULL CHECK (stream_version > 0),
  event_id       uuid        NOT NULL,
  event_type     text        NOT NULL,
  schema_version smallint    NOT NULL,
  recorded_at    timestamptz NOT NULL,
  actor          text        NOT NULL,
  correlation_id uuid,
  causation_id   uuid,
  key_ref        uuid,
  payload        jsonb       NOT NULL,
  event_hash     bytea       NOT NULL,
  -- the tenant chain hash after the commit this event closes; NULL inside a commit
  commit_hash    bytea,
  PRIMARY KEY (tenant_id, position),
  CONSTRAINT events_stream_version_key UNIQUE (tenant_id, stream_id, stream_version),
  CONSTRAINT events_event_id_key UNIQUE (tenant_id, event_id)
);

-- Data keys for personal fields, one per (tenant, data subject); deleting one shreds its data.
CREATE TABLE subject_keys (
  tenant_id   text        NOT NULL REFERENCES tenant_heads (tenant_id),
  subject_id  uuid        NOT NULL,
  data_key    bytea,
  created_at  timestamptz NOT NULL DEFAULT now(),
  shredded_at timestamptz,
  PRIMARY KEY (tenant_id, subject_id),
  CHECK ((data_key IS NULL) = (shredded_at IS NOT NULL))
);

ALTER TABLE tenant_heads ENABLE ROW LEVEL SECURITY;
ALTER TABLE tenant_heads FORCE ROW LEVEL SECURITY;
ALTER TABLE events ENABLE ROW LEVEL SECURITY;
ALTER TABLE events FORCE ROW LEVEL SECURITY;
ALTER TABLE subject_keys ENABLE ROW LEVEL SECURITY;
ALTER TABLE subject_keys FORCE ROW LEVEL SECURITY;

CREATE POLICY tenant_isolation ON tenant_heads
  USING (tenant_id = current_setting('app.tenant_id', true))
  WITH CHECK (tenant_id = current_setting('app.tenant_id', true));
CREATE POLICY tenant_isolation ON events
  USING (tenant_id = current_setting('app.tenant_id', true))
  WITH CHECK (tenant_id = current_setting('app.tenant_id', true));
CREATE POLICY tenant_isolation ON subject_keys
  USING (tenant_id = current_setting('app.tenant_id', true))
  WITH CHECK (tenant_id = current_setting('app.tenant_id', true));

GRANT SELECT, INSERT, UPDATE ON tenant_heads TO passend_app;
GRANT SELECT, INSERT ON events TO passend_app;
GRANT SELECT, INSERT, UPDATE ON subject_keys TO passend_app;

-- Each function sets the tenant scope for its own transaction first, so that one round trip
-- does what BEGIN; SET LOCAL; statement; COMMIT would do in four.

CREATE FUNCTION passend_append(
  p_tenant text, p_stream uuid, p_expected integer, p_recorded_at timestamptz, p_actor text,
  p_correlation uuid, p_causation uuid, p_event_ids uuid[], p_types text[], p_schemas smallint[],
  p_key_refs uuid[], p_payloads jsonb[], p_hashes bytea[], p_hash_concat bytea
) RETURNS SETOF bigint LANGUAGE sql AS $$
  SELECT set_config('app.tenant_id', p_tenant, true);
  WITH head AS (
    UPDATE tenant_heads h
       SET last_position = h.last_position + cardinality(p_event_ids),
           chain_hash = sha256(h.chain_hash || p_hash_concat)
     WHERE h.tenant_id = p_tenant
       AND coalesce((SELECT max(e.stream_version) FROM events e
                      WHERE e.tenant_id = p_tenant AND e.stream_id = p_stream), 0) = p_expected
    RETURNING h.last_position, h.chain_hash
  )
  INSERT INTO events (tenant_id, position, stream_id, stream_version, event_id, event_type,
                      schema_version, recorded_at, actor, correlation_id, causation_id, key_ref,
                      payload, event_hash, commit_hash)
  SELECT p_tenant, head.last_position - cardinality(p_event_ids) + u.ord, p_stream,
         p_expected + u.ord::integer, u.event_id, u.event_type, u.schema_version, p_recorded_at,
         p_actor, p_correlation, p_causation, u.key_ref, u.payload, u.event_hash,
         CASE WHEN u.ord = cardinality(p_event_ids) THEN head.chain_hash END
    FROM head,
         unnest(p_event_ids, p_types, p_schemas, p_key_refs, p_payloads, p_hashes)
           WITH ORDINALITY AS u(event_id, event_type, schema_version, key_ref, payload,
                                event_hash, ord)
  RETURNING position;
$$;

CREATE FUNCTION passend_read_log(p_tenant text, p_after bigint, p_limit integer)
RETURNS SETOF events LANGUAGE sql AS $$
  SELECT set_config('app.tenant_id', p_tenant, true);
  SELECT * FROM events
   WHERE tenant_id = p_tenant AND position > p_after
   ORDER BY position LIMIT p_limit;
$$;

CREATE FUNCTION passend_read_stream(
  p_tenant text, p_stream uuid, p_to_version integer, p_to_position bigint
) RETURNS SETOF events LANGUAGE sql AS $$
  SELECT set_config('app.tenant_id', p_tenant, true);
  SELECT * FROM events
   WHERE tenant_id = p_tenant AND stream_id = p_stream
     AND stream_version <= p_to_version AND position <= p_to_position
   ORDER BY stream_version;
$$;

GRANT EXECUTE ON FUNCTION passend_append, passend_read_log, passend_read_stream TO passend_app;
