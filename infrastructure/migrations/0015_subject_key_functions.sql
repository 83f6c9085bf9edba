-- The data keys of subjects in one round trip each, as the appends and reads are (0001, 0003):
-- a read of keys was BEGIN, the tenant setting, the select and COMMIT; a write of new keys six.
--
-- ``passend_subject_keys`` reads the stored keys of the subjects (a shredded one's is NULL).
-- ``passend_add_subject_keys`` inserts the given new keys of subjects that have none yet and
-- answers every named subject's stored key, so a key another process inserted first is the
-- one used: each statement of a volatile SQL function sees what the ones before it (and
-- transactions committed meanwhile) wrote.
CREATE FUNCTION passend_subject_keys(p_tenant text, p_subjects uuid[])
RETURNS TABLE (subject_id uuid, data_key bytea) LANGUAGE sql AS $$
  SELECT set_config('app.tenant_id', p_tenant, true);
  SELECT k.subject_id, k.data_key FROM subject_keys k
   WHERE k.tenant_id = p_tenant AND k.subject_id = ANY(p_subjects);
$$;

CREATE FUNCTION passend_add_subject_keys(p_tenant text, p_subjects uuid[], p_keys bytea[])
RETURNS TABLE (subject_id uuid, data_key bytea) LANGUAGE sql AS $$
  SELECT set_config('app.tenant_id', p_tenant, true);
  INSERT INTO subject_keys (tenant_id, subject_id, data_key)
    SELECT p_tenant, u.s, u.k FROM unnest(p_subjects, p_keys) AS u(s, k)
    ON CONFLICT (tenant_id, subject_id) DO NOTHING;
  SELECT k.subject_id, k.data_key FROM subject_keys k
   WHERE k.tenant_id = p_tenant AND k.subject_id = ANY(p_subjects);
$$;

GRANT EXECUTE ON FUNCTION passend_subject_keys, passend_add_subject_keys TO passend_app;
