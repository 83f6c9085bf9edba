-- Recipients of every batch a receiver accepted (partners/delivery.py).
--
-- passend_delivery_attempted (0013) recorded a batch's recipients only while the batch was
-- still the delivery's pending range. A 2xx that reached a worker whose range was gone
-- meanwhile (a replay or reset moved the delivery) was recorded as an attempt, but not who
-- received what: yet the receiver had the events, and the subject access report (AVG art.
-- 15(1)(c)) and an auditor must list it. Now every 2xx records its recipients; only the
-- position still moves for the pending range alone, so a worker that lost its range changes
-- nothing else. The answer is as before: true if the batch was still the pending one.

CREATE OR REPLACE FUNCTION passend_delivery_attempted(
  p_tenant text, p_subscription uuid, p_webhook_id text, p_first bigint, p_last bigint,
  p_at timestamptz, p_status_code integer, p_latency_ms double precision, p_error text,
  p_status text, p_next_attempt_at timestamptz, p_pupils uuid[], p_types text[]
) RETURNS boolean LANGUAGE plpgsql AS $$
DECLARE
  still_pending boolean;
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
  still_pending := FOUND;
  INSERT INTO partner_recipients AS r (tenant_id, pupil_id, subscription_id, event_type,
         first_delivered_at, last_delivered_at, events_delivered)
  SELECT p_tenant, u.pupil_id, p_subscription, u.event_type, p_at, p_at, count(*)
    FROM unnest(p_pupils, p_types) AS u(pupil_id, event_type)
   GROUP BY u.pupil_id, u.event_type
  ON CONFLICT (tenant_id, pupil_id, subscription_id, event_type) DO UPDATE
     SET first_delivered_at = least(r.first_delivered_at, excluded.first_delivered_at),
         last_delivered_at = greatest(r.last_delivered_at, excluded.last_delivered_at),
         events_delivered = r.events_delivered + excluded.events_delivered;
  RETURN still_pending;
END $$;
GRANT EXECUTE ON FUNCTION passend_delivery_attempted TO passend_app;
