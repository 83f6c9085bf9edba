-- A batch append with fewer array parameters: each array element costs the client a type check
-- (and, for jsonb, a call of its codec) and the server an element to parse. Same statement and
-- rules as passend_append (0001), except how three of its inputs arrive:
--   p_key_refs  NULL when no event of the batch has a data key (unnest pads it with NULLs);
--   p_payloads  the payloads as one JSON array, in the batch's order;
--   p_hashes    the event hashes concatenated (32 bytes each), which is also what the chain
--               hash covers, so one value serves both.
-- The store builds all three from one prepared batch; a payload missing from the array would
-- be NULL and refused by the column's NOT NULL.
CREATE FUNCTION passend_append_events(
  p_tenant text, p_stream uuid, p_expected integer, p_recorded_at timestamptz, p_actor text,
  p_correlation uuid, p_causation uuid, p_event_ids uuid[], p_types text[], p_schemas smallint[],
  p_key_refs uuid[], p_payloads jsonb, p_hashes bytea
) RETURNS SETOF bigint LANGUAGE sql AS $$
  SELECT set_config('app.tenant_id', p_tenant, true);
  WITH head AS (
    UPDATE tenant_heads h
       SET last_position = h.last_position + cardinality(p_event_ids),
           chain_hash = sha256(h.chain_hash || p_hashes)
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
         p_actor, p_correlation, p_causation, u.key_ref, p_payloads -> (u.ord::integer - 1),
         substring(p_hashes FROM (u.ord::integer - 1) * 32 + 1 FOR 32),
         CASE WHEN u.ord = cardinality(p_event_ids) THEN head.chain_hash END
    FROM head,
         unnest(p_event_ids, p_types, p_schemas, p_key_refs)
           WITH ORDINALITY AS u(event_id, event_type, schema_version, key_ref, ord)
  RETURNING position;
$$;

GRANT EXECUTE ON FUNCTION passend_append_events TO passend_app;
