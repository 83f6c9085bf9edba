-- Nothing recorded for a tenant's delivery that no longer exists (partners/delivery.py).
--
-- passend_delivery_attempted (0017) recorded the attempt, and on a 2xx the batch's recipients,
-- whether or not a delivery row matched. A delivery row is deleted only with the tenant's
-- other rows when it leaves the platform (erasure), so a 2xx answered after the erasure, to a
-- worker that sent the batch before it, re-created attempt and recipient rows of a tenant
-- whose data is gone. Now the attempt and its recipients are recorded only while the
-- delivery exists; its row is locked (KEY SHARE) so that the erasure's delete of it waits for
-- this transaction, or this one finds it gone. A batch whose range was lost meanwhile still
-- records its recipients (0017): the delivery exists, only its pending range moved.

CREATE OR REPLACE FUNCTION passend_delivery_attempted(
  p_tenant text, p_subscription uuid, p_webhook_id text, p_first bigint, p_last bigint,
  p_at timestamptz, p_status_code integer, p_latency_ms double precision, p_error text,
  p_status text, p_next_attempt_at timestamptz, p_pupils uuid[], p_types text[]
) RETURNS boolean LANGUAGE plpgsql AS $$
DECLARE
  still_pending boolean;
BEGIN
  PERFORM set_config('app.tenant_id', p_tenant, true);
  PERFORM 1 FROM partner_deliveries
   WHERE tenant_id = p_tenant AND subscription_id = p_subscription
     FOR KEY SHARE;
  IF NOT FOUND THEN
    RETURN false;  -- erased with its tenant: nothing of it is recorded again
  END IF;
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
