-- Every read of personal data in the access log, and every partner that received data about a
-- pupil, per pupil.
--
-- A read may show many pupils (a case list, a caseload, a search): ``subjects`` names them all,
-- so that "who saw this pupil" finds list reads too. An entry's hash covers ``subjects`` only
-- when it names any, so every entry recorded before this column existed still verifies.
ALTER TABLE access_log ADD COLUMN subjects uuid[] NOT NULL DEFAULT '{}';
CREATE INDEX access_log_subjects ON access_log USING gin (subjects);

DROP FUNCTION passend_record_access(
  text, timestamptz, text, text, text, uuid, text[], text, bytea, bytea, bytea
);
CREATE FUNCTION passend_record_access(
  p_tenant text, p_accessed_at timestamptz, p_actor text, p_action text, p_resource text,
  p_subject uuid, p_subjects uuid[], p_fields text[], p_purpose text, p_entry bytea,
  p_entry_hash bytea, p_genesis bytea
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
                               subject_id, subjects, fields, purpose, entry, entry_hash,
                               chain_hash)
  SELECT p_tenant, head.last_sequence, p_accessed_at, p_actor, p_action, p_resource, p_subject,
         p_subjects, p_fields, p_purpose, p_entry, p_entry_hash, head.chain_hash
    FROM head
  RETURNING a.sequence, a.chain_hash;
$$;
GRANT EXECUTE ON FUNCTION passend_record_access TO passend_app;

-- Which partner subscription received data about which pupil: written when a feed page is
-- served or a webhook batch is accepted, one row per pupil, subscription and event type. It
-- is the record of recipients (AVG art. 15(1)(c)) and stays when the pupil's data is
-- shredded, so the SWV can still tell each recipient of the erasure (art. 19).
CREATE TABLE partner_recipients (
  tenant_id          text        NOT NULL,
  pupil_id           uuid        NOT NULL,
  subscription_id    uuid        NOT NULL,
  event_type         text        NOT NULL,
  first_delivered_at timestamptz NOT NULL,
  last_delivered_at  timestamptz NOT NULL,
  events_delivered   bigint      NOT NULL CHECK (events_delivered > 0),
  PRIMARY KEY (tenant_id, pupil_id, subscription_id, event_type)
);
ALTER TABLE partner_recipients ENABLE ROW LEVEL SECURITY;
ALTER TABLE partner_recipients FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON partner_recipients
  USING (tenant_id = current_setting('app.tenant_id', true))
  WITH CHECK (tenant_id = current_setting('app.tenant_id', true));
GRANT SELECT, INSERT, UPDATE ON partner_recipients TO passend_app;
