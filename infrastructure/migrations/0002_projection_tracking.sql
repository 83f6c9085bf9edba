-- Read models: their builds, each tenant's tracked position per build, and cross-tenant lookups.
--
-- Read-model tables live in schema read_models and are created by the application role at run
-- time, not here: a version bump or a rebuild makes new tables from the projection's own DDL,
-- and the runner and `passend projections` processes hold only the application DSN. That role
-- may create objects in read_models only; the event log in public stays owned by the migrating
-- role. Read models are derived data: at worst they are dropped and rebuilt from the log.

DO $$
BEGIN
  IF NOT (SELECT rolsuper OR rolbypassrls FROM pg_roles WHERE rolname = current_user) THEN
    RAISE EXCEPTION 'migrations must run as a role that bypasses row-level security: '
                    'the cross-tenant functions below run as their owner';
  END IF;
END $$;

CREATE SCHEMA read_models;
GRANT USAGE, CREATE ON SCHEMA read_models TO passend_app;

-- One row per build of a read model's tables (suffix _b<build>). Not tenant data: no RLS.
-- tenant_id is set only on the scratch build of a single-tenant rebuild.
CREATE TABLE projection_builds (
  projection  text        NOT NULL,
  build       integer     NOT NULL CHECK (build > 0),
  version     integer     NOT NULL,
  tenant_id   text,
  state       text        NOT NULL CHECK (state IN ('building', 'active', 'retired')),
  created_at  timestamptz NOT NULL DEFAULT now(),
  switched_at timestamptz,
  PRIMARY KEY (projection, build)
);
CREATE UNIQUE INDEX projection_builds_one_active ON projection_builds (projection)
  WHERE state = 'active';
GRANT SELECT, INSERT, UPDATE, DELETE ON projection_builds TO passend_app;

-- Where each build of each projection stands in each tenant's log. The runner updates it in
-- the transaction that writes the view rows, with `WHERE position = <old>` as a last guard.
CREATE TABLE projection_tracking (
  tenant_id       text        NOT NULL,
  projection      text        NOT NULL,
  build           integer     NOT NULL,
  position        bigint      NOT NULL DEFAULT 0 CHECK (position >= 0),
  status          text        NOT NULL DEFAULT 'running' CHECK (status IN ('running', 'failed')),
  error           text,
  failed_position bigint,
  updated_at      timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, projection, build),
  FOREIGN KEY (projection, build) REFERENCES projection_builds ON DELETE CASCADE
);

ALTER TABLE projection_tracking ENABLE ROW LEVEL SECURITY;
ALTER TABLE projection_tracking FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON projection_tracking
  USING (tenant_id = current_setting('app.tenant_id', true))
  WITH CHECK (tenant_id = current_setting('app.tenant_id', true));
GRANT SELECT, INSERT, UPDATE, DELETE ON projection_tracking TO passend_app;

-- Where a projection's active build stands in one tenant's log, in one round trip: the runner
-- asks this before each catch-up. Runs as the caller, scoped to p_tenant like passend_read_log.
CREATE FUNCTION passend_projection_position(p_tenant text, p_projection text)
RETURNS TABLE (build integer, version integer, "position" bigint, status text)
LANGUAGE sql AS $$
  SELECT set_config('app.tenant_id', p_tenant, true);
  SELECT b.build, b.version, coalesce(t.position, 0), coalesce(t.status, 'running')
    FROM projection_builds b
    LEFT JOIN projection_tracking t
           ON t.tenant_id = p_tenant AND t.projection = b.projection AND t.build = b.build
   WHERE b.projection = p_projection AND b.state = 'active';
$$;
GRANT EXECUTE ON FUNCTION passend_projection_position TO passend_app;

-- The runner must find every tenant; under row-level security the application role sees one
-- tenant at a time. These two functions run as their owner and return positions only.

CREATE FUNCTION passend_tenants()
RETURNS TABLE (tenant_id text, last_position bigint)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public AS $$
  SELECT h.tenant_id, h.last_position FROM public.tenant_heads h ORDER BY h.tenant_id;
$$;

-- Per projection and tenant: the active build, its position, the tenant head, and how long
-- the oldest unapplied event has waited (0 when caught up).
CREATE FUNCTION passend_projection_status(p_projections text[], p_tenant text DEFAULT NULL)
RETURNS TABLE (
  projection text, tenant_id text, build integer, version integer, "position" bigint,
  head bigint, status text, error text, failed_position bigint, updated_at timestamptz,
  lag_seconds double precision
)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public AS $$
  SELECT p.name, h.tenant_id, b.build, b.version, coalesce(t.position, 0), h.last_position,
         coalesce(t.status, 'running'), t.error, t.failed_position, t.updated_at,
         CASE WHEN coalesce(t.position, 0) >= h.last_position THEN 0
              ELSE extract(epoch FROM now() - (
                SELECT e.recorded_at FROM public.events e
                 WHERE e.tenant_id = h.tenant_id AND e.position = coalesce(t.position, 0) + 1))
         END::double precision
    FROM unnest(p_projections) AS p(name)
   CROSS JOIN public.tenant_heads h
    LEFT JOIN public.projection_builds b ON b.projection = p.name AND b.state = 'active'
    LEFT JOIN public.projection_tracking t
           ON t.tenant_id = h.tenant_id AND t.projection = p.name AND t.build = b.build
   WHERE p_tenant IS NULL OR h.tenant_id = p_tenant
   ORDER BY p.name, h.tenant_id;
$$;

REVOKE ALL ON FUNCTION passend_tenants, passend_projection_status FROM PUBLIC;
GRANT EXECUTE ON FUNCTION passend_tenants, passend_projection_status TO passend_app;
