-- Cheaper calls for the two commonest event store operations: appending one event, and reading
-- events to decode them. Same rules as 0001: each function sets the tenant scope for its own
-- transaction first, and does its work in one statement.

-- One event: scalar parameters instead of one-element arrays, so neither side builds arrays.
-- The same statement as passend_append: bump the head row if the stream is at p_expected,
-- insert the event at the new position with the new chain hash. NULL when the stream is not
-- at p_expected (or the tenant is unknown); a unique violation when a concurrent append won.
CREATE FUNCTION passend_append_one(
  p_tenant text, p_stream uuid, p_expected integer, p_recorded_at timestamptz, p_actor text,
  p_correlation uuid, p_causation uuid, p_event_id uuid, p_type text, p_schema smallint,
  p_key_ref uuid, p_payload jsonb, p_hash bytea
) RETURNS bigint LANGUAGE sql AS $$
  SELECT set_config('app.tenant_id', p_tenant, true);
  WITH head AS (
    UPDATE tenant_heads h
       SET last_position = h.last_position + 1,
           chain_hash = sha256(h.chain_hash || p_hash)
     WHERE h.tenant_id = p_tenant
       AND coalesce((SELECT max(e.stream_version) FROM events e
                      WHERE e.tenant_id = p_tenant AND e.stream_id = p_stream), 0) = p_expected
    RETURNING h.last_position, h.chain_hash
  )
  INSERT INTO events (tenant_id, position, stream_id, stream_version, event_id, event_type,
                      schema_version, recorded_at, actor, correlation_id, causation_id, key_ref,
                      payload, event_hash, commit_hash)
  SELECT p_tenant, head.last_position, p_stream, p_expected + 1, p_event_id, p_type, p_schema,
         p_recorded_at, p_actor, p_correlation, p_causation, p_key_ref, p_payload, p_hash,
         head.chain_hash
    FROM head
  RETURNING position;
$$;

-- What decoding an event needs, in this order: the caller knows the tenant, and only the chain
-- verifier needs the hashes (it keeps using passend_read_log).
CREATE TYPE passend_event_row AS (
  position       bigint,
  stream_id      uuid,
  stream_version integer,
  event_id       uuid,
  event_type     text,
  schema_version smallint,
  recorded_at    timestamptz,
  actor          text,
  correlation_id uuid,
  causation_id   uuid,
  key_ref        uuid,
  payload        jsonb
);

CREATE FUNCTION passend_read_log_events(p_tenant text, p_after bigint, p_limit integer)
RETURNS SETOF passend_event_row LANGUAGE sql AS $$
  SELECT set_config('app.tenant_id', p_tenant, true);
  SELECT position, stream_id, stream_version, event_id, event_type, schema_version, recorded_at,
         actor, correlation_id, causation_id, key_ref, payload
    FROM events
   WHERE tenant_id = p_tenant AND position > p_after
   ORDER BY position LIMIT p_limit;
$$;

CREATE FUNCTION passend_read_stream_events(
  p_tenant text, p_stream uuid, p_to_version integer, p_to_position bigint
) RETURNS SETOF passend_event_row LANGUAGE sql AS $$
  SELECT set_config('app.tenant_id', p_tenant, true);
  SELECT position, stream_id, stream_version, event_id, event_type, schema_version, recorded_at,
         actor, correlation_id, causation_id, key_ref, payload
    FROM events
   WHERE tenant_id = p_tenant AND stream_id = p_stream
     AND stream_version <= p_to_version AND position <= p_to_position
   ORDER BY stream_version;
$$;

GRANT EXECUTE ON FUNCTION passend_append_one, passend_read_log_events, passend_read_stream_events
  TO passend_app;
