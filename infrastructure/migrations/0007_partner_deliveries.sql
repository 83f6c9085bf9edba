-- Partner webhook deliveries: where each webhook subscription stands, and every attempt.
--
-- Subscriptions themselves are events (Subscription aggregate) and the integration events a
-- read model (projections/partner_events.py). What lives here is operational state that is
-- not a decision: the delivered position, the batch being sent (so a retry after a crash
-- sends exactly the same batch under the same webhook-id), the failure count and each attempt.

CREATE TABLE partner_deliveries (
  tenant_id        text        NOT NULL,
  subscription_id  uuid        NOT NULL,
  position         bigint      NOT NULL DEFAULT 0 CHECK (position >= 0),
  pending_from     bigint,
  pending_to       bigint,
  replays_applied  integer     NOT NULL DEFAULT 0,
  status           text        NOT NULL DEFAULT 'ok' CHECK (status IN ('ok', 'failing', 'disabled')),
  attempts         integer     NOT NULL DEFAULT 0,
  last_error       text,
  next_attempt_at  timestamptz,
  delivered_at     timestamptz,
  updated_at       timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, subscription_id),
  CHECK ((pending_from IS NULL) = (pending_to IS NULL))
);

CREATE TABLE partner_delivery_attempts (
  tenant_id        text        NOT NULL,
  subscription_id  uuid        NOT NULL,
  attempt_id       uuid        NOT NULL DEFAULT gen_random_uuid(),  -- no sequence: Citus-ready
  webhook_id       text        NOT NULL,
  first_position   bigint      NOT NULL,
  last_position    bigint      NOT NULL,
  attempted_at     timestamptz NOT NULL,
  status_code      integer,
  latency_ms       double precision NOT NULL,
  error            text,
  PRIMARY KEY (tenant_id, subscription_id, attempt_id)
);

ALTER TABLE partner_deliveries ENABLE ROW LEVEL SECURITY;
ALTER TABLE partner_deliveries FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON partner_deliveries
  USING (tenant_id = current_setting('app.tenant_id', true))
  WITH CHECK (tenant_id = current_setting('app.tenant_id', true));
ALTER TABLE partner_delivery_attempts ENABLE ROW LEVEL SECURITY;
ALTER TABLE partner_delivery_attempts FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON partner_delivery_attempts
  USING (tenant_id = current_setting('app.tenant_id', true))
  WITH CHECK (tenant_id = current_setting('app.tenant_id', true));
GRANT SELECT, INSERT, UPDATE, DELETE ON partner_deliveries, partner_delivery_attempts
  TO passend_app;

-- Every tenant's active webhook subscriptions, for the delivery workers, which must find them
-- across tenants. The subscriptions view belongs to a read model made at run time, so the
-- query is planned when called; before the read model exists the answer is empty.
CREATE FUNCTION passend_webhook_subscriptions()
RETURNS TABLE (tenant_id text, subscription_id uuid)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, public AS $$
BEGIN
  IF to_regclass('read_models.partner_subscriptions') IS NULL THEN
    RETURN;
  END IF;
  RETURN QUERY EXECUTE
    'SELECT s.tenant_id, s.subscription_id FROM read_models.partner_subscriptions s'
    ' WHERE s.transport = ''WEBHOOK'' AND s.status = ''ACTIVE'''
    ' ORDER BY s.tenant_id, s.subscription_id';
END $$;
REVOKE ALL ON FUNCTION passend_webhook_subscriptions FROM PUBLIC;
GRANT EXECUTE ON FUNCTION passend_webhook_subscriptions TO passend_app;
