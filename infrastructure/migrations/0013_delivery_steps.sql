-- Webhook delivery steps in one round trip each (partners/delivery.py).
--
-- A delivery worker's step cost a round trip per statement plus three for its transaction
-- (BEGIN, the tenant setting, COMMIT), and on a busy machine each round trip waits for both
-- processes to be scheduled. Each function sets the tenant for its own statement, as
-- passend_projection_position does, and runs as the caller, so row-level security applies.
-- The writes check the position and the pending range the worker read: a worker that lost its
-- lease (another process took the subscription over) changes nothing.

-- The subscription (from its read model) and its delivery row, made at the subscription's
-- creation position if it has none yet. PL/pgSQL: the read model's view is made at run time.
CREATE FUNCTION passend_delivery_state(p_tenant text, p_subscription uuid)
RETURNS TABLE (
  state jsonb, created_position bigint, "position" bigint, pending_from bigint,
  pending_to bigint, replays_applied integer, status text, attempts integer,
  next_attempt_at timestamptz
) LANGUAGE plpgsql AS $$
BEGIN
  PERFORM set_config('app.tenant_id', p_tenant, true);
  IF NOT EXISTS (SELECT 1 FROM partner_deliveries d
                  WHERE d.tenant_id = p_tenant AND d.subscription_id = p_subscription) THEN
    INSERT INTO partner_deliveries (tenant_id, subscription_id, position)
    SELECT s.tenant_id, s.subscription_id, s.created_position
      FROM read_models.partner_subscriptions s
     WHERE s.tenant_id = p_tenant AND s.subscription_id = p_subscription
    ON CONFLICT (tenant_id, subscription_id) DO NOTHING;
  END IF;
  RETURN QUERY
  SELECT s.state, s.created_position, d.position, d.pending_from, d.pending_to,
         d.replays_applied, d.status, d.attempts, d.next_attempt_at
    FROM read_models.partner_subscriptions s
    JOIN partner_deliveries d
      ON d.tenant_id = s.tenant_id AND d.subscription_id = s.subscription_id
   WHERE s.tenant_id = p_tenant AND s.subscription_id = p_subscription;
END $$;
GRANT EXECUTE ON FUNCTION passend_delivery_state TO passend_app;

-- From p_from, where the delivery stands with nothing pending: mark (p_from, p_to] as the
-- batch about to be sent (p_send), or move past it (none of it is the subscription's).
-- False if the row no longer stands there.
CREATE FUNCTION passend_delivery_advance(
  p_tenant text, p_subscription uuid, p_from bigint, p_to bigint, p_send boolean
) RETURNS boolean LANGUAGE sql AS $$
  SELECT set_config('app.tenant_id', p_tenant, true);
  WITH marked AS (
    UPDATE partner_deliveries
       SET pending_from = CASE WHEN p_send THEN p_from END,
           pending_to = CASE WHEN p_send THEN p_to END,
           position = CASE WHEN p_send THEN position ELSE p_to END,
           updated_at = now()
     WHERE tenant_id = p_tenant AND subscription_id = p_subscription
       AND position = p_from AND pending_from IS NULL AND p_to > p_from
    RETURNING 1
  )
  SELECT count(*) = 1 FROM marked;
$$;
GRANT EXECUTE ON FUNCTION passend_delivery_advance TO passend_app;

-- One attempt at the pending batch (p_first, p_last]: recorded; then either delivered (the
-- position moves to p_last and each (pupil, type) sent is a recipient, AVG art. 15(1)(c)) or
-- failed (p_status 'failing' or 'disabled', retried at p_next_attempt_at). True if the
-- batch was still the pending one.
CREATE FUNCTION passend_delivery_attempted(
  p_tenant text, p_subscription uuid, p_webhook_id text, p_first bigint, p_last bigint,
  p_at timestamptz, p_status_code integer, p_latency_ms double precision, p_error text,
  p_status text, p_next_attempt_at timestamptz, p_pupils uuid[], p_types text[]
) RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN
  PERFORM set_config('app.tenant_id', p_tenant, true);
  INSERT INTO partner_delivery_attempts (tenant_id, subscription_id, webhook_id,
         first_position, last_position, attempted_at, status_code, latency_ms, error)
  VALUES (p_tenant, p_subscription, p_webhook_id, p_first + 1, p_last, p_at, p_status_code,
          p_latency_ms, p_error);
  IF p_status <> 'ok' THEN
    UPDATE partner_deliveries
       SET status = p_status, attempts = attempts + 1, last_error = p_error,
           next_attempt_at = p_next_attempt_at, updated_at = now()
     WHERE tenant_id = p_tenant AND subscription_id = p_subscription
       AND pending_from = p_first AND pending_to = p_last;
    RETURN FOUND;
  END IF;
  UPDATE partner_deliveries
     SET position = pending_to, pending_from = NULL, pending_to = NULL, status = 'ok',
         attempts = 0, next_attempt_at = NULL, delivered_at = now(), updated_at = now()
   WHERE tenant_id = p_tenant AND subscription_id = p_subscription
     AND pending_from = p_first AND pending_to = p_last;
  IF NOT FOUND THEN
    RETURN false;
  END IF;
  INSERT INTO partner_recipients AS r (tenant_id, pupil_id, subscription_id, event_type,
         first_delivered_at, last_delivered_at, events_delivered)
  SELECT p_tenant, u.pupil_id, p_subscription, u.event_type, p_at, p_at, count(*)
    FROM unnest(p_pupils, p_types) AS u(pupil_id, event_type)
   GROUP BY u.pupil_id, u.event_type
  ON CONFLICT (tenant_id, pupil_id, subscription_id, event_type) DO UPDATE
     SET last_delivered_at = greatest(r.last_delivered_at, excluded.last_delivered_at),
         events_delivered = r.events_delivered + excluded.events_delivered;
  RETURN true;
END $$;
GRANT EXECUTE ON FUNCTION passend_delivery_attempted TO passend_app;
