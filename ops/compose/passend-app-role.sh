#!/usr/bin/env bash
# Runs once, when the volume is new: the application's role, with its password, before the
# migrations (which create it without one only when it does not exist yet).
set -euo pipefail
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
  -v password="$PASSEND_APP_PASSWORD" <<'SQL'
CREATE ROLE passend_app LOGIN PASSWORD :'password' NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS;
SQL
