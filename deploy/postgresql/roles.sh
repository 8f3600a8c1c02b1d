#!/bin/sh
# The roles of Kinerja's PostgreSQL (docker-compose.yml mounts this directory as /docker-entrypoint-initdb.d, so the
# image runs it once, when the data volume is first initialised; on an existing volume run it by hand, see
# docs/deployment.md). Least privilege, issue 19:
#   kinerja_owner  owns the `kinerja` database: `kinerja db upgrade` (the kinerja-migrate job) runs as it;
#   kinerja_app    the workers and the web service: read and write, the audit log only read and appended to
#                  (granted after every upgrade by `kinerja db upgrade --izin-untuk kinerja_app`);
#   temporal       Temporal's server: creates and owns its two databases.
# The superuser (POSTGRES_USER) is used for nothing else. No role has a default password: compose refuses to start
# without the four in .env.
set -eu
for name in KINERJA_OWNER_PASSWORD KINERJA_APP_PASSWORD TEMPORAL_DB_PASSWORD; do
  eval "value=\${$name:-}"
  if [ -z "$value" ]; then
    echo "roles.sh: $name is empty; set it in .env" >&2
    exit 1
  fi
done
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "${POSTGRES_DB:-postgres}" \
  -v owner_password="$KINERJA_OWNER_PASSWORD" \
  -v app_password="$KINERJA_APP_PASSWORD" \
  -v temporal_password="$TEMPORAL_DB_PASSWORD" <<'SQL'
CREATE ROLE kinerja_owner LOGIN PASSWORD :'owner_password';
CREATE ROLE kinerja_app LOGIN PASSWORD :'app_password';
CREATE ROLE temporal LOGIN CREATEDB PASSWORD :'temporal_password';
CREATE DATABASE kinerja OWNER kinerja_owner;
REVOKE ALL ON DATABASE kinerja FROM PUBLIC;
GRANT CONNECT ON DATABASE kinerja TO kinerja_app;
SQL
