-- Idempotency keys, as the IETF draft "The Idempotency-Key HTTP Header Field" has them: per
-- tenant and caller, the fingerprint of the request first sent with a key and the command id
-- it was given. The same key with the same request again is the same command; with another
-- request it is refused. A key is kept for a day (expires_at), then it may name a new request.
CREATE TABLE idempotency_keys (
  tenant_id   text        NOT NULL,
  caller      text        NOT NULL,
  key         text        NOT NULL,
  fingerprint bytea       NOT NULL,
  command_id  uuid        NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now(),
  expires_at  timestamptz NOT NULL,
  PRIMARY KEY (tenant_id, caller, key)
);
CREATE INDEX idempotency_keys_expiry ON idempotency_keys (tenant_id, expires_at);

ALTER TABLE idempotency_keys ENABLE ROW LEVEL SECURITY;
ALTER TABLE idempotency_keys FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON idempotency_keys
  USING (tenant_id = current_setting('app.tenant_id', true))
  WITH CHECK (tenant_id = current_setting('app.tenant_id', true));

GRANT SELECT, INSERT, UPDATE, DELETE ON idempotency_keys TO passend_app;
