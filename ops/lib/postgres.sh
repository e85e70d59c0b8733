#!/usr/bin/env bash
# The local PostgreSQL 15 that ops/run.sh uses: Debian's cluster "15 main" (installed and created if missing).
# Source it and call ensure_local_postgres, or run it: it then prints the connection string.
#   ENVFORGE_PG_PORT      port (default 5432). The version-15 cluster configured on that port is used; when there is
#                         none, "15 main" is created on it if missing, else a cluster "15 envforge_PORT" is created:
#                         a running cluster is never reconfigured or restarted.
#   ENVFORGE_PG_PASSWORD  password of the envforge role (default envforge; re-applied on every run)
# Exports ENVFORGE_PG, an Npgsql connection string for role and database "envforge".
set -euo pipefail
# shellcheck source=common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

ENVFORGE_PG_VERSION=15

_pg_psql() {
  # As the postgres superuser over the local socket (peer auth), quiet, stopping at the first error.
  # From / so that psql, running as postgres, does not complain about the caller's working directory.
  (cd / && runuser -u postgres -- psql -X -q -v ON_ERROR_STOP=1 -p "$ENVFORGE_PG_PORT" "$@")
}

_pg_accepting() {
  [ "$(_pg_psql -d postgres -tAc 'select 1' 2>/dev/null)" = 1 ]
}

# The name of the version-15 cluster configured on port $1 (empty when none).
_pg_cluster_on_port() {
  pg_lsclusters -h 2>/dev/null | awk -v v="$ENVFORGE_PG_VERSION" -v p="$1" '$1 == v && $3 == p { print $2; exit }'
}

_pg_cluster_online() {
  [ "$(pg_lsclusters -h 2>/dev/null | awk -v v="$ENVFORGE_PG_VERSION" -v c="$1" '$1 == v && $2 == c { print $4 }')" = online ]
}

# A value for an ADO.NET connection string (Npgsql): quoted when it holds ; ' " = or edge spaces.
_conn_value() {
  local v="$1"
  case "$v" in
    *[\;\'\"=]* | " "* | *" ")
      if [[ "$v" == *'"'* && "$v" != *"'"* ]]; then
        printf "'%s'" "$v"
      else
        printf '"%s"' "${v//\"/\"\"}"
      fi
      ;;
    *) printf '%s' "$v" ;;
  esac
}

ensure_local_postgres() {
  local v="$ENVFORGE_PG_VERSION" c
  ENVFORGE_PG_PORT="${ENVFORGE_PG_PORT:-5432}"
  ENVFORGE_PG_PASSWORD="${ENVFORGE_PG_PASSWORD:-envforge}"
  require_root "ensure_local_postgres"

  if [ ! -x "/usr/lib/postgresql/$v/bin/postgres" ] || ! command -v pg_ctlcluster >/dev/null; then
    apt_install postgresql "postgresql-$v" "postgresql-client-$v"
  fi
  c="$(_pg_cluster_on_port "$ENVFORGE_PG_PORT")"
  if [ -z "$c" ]; then
    if [ -d "/etc/postgresql/$v/main" ]; then
      c="envforge_$ENVFORGE_PG_PORT"
    else
      c=main
    fi
    log "creating PostgreSQL cluster $v/$c on port $ENVFORGE_PG_PORT"
    run_quiet pg_createcluster "$v" "$c" -p "$ENVFORGE_PG_PORT"
  fi

  if ! _pg_cluster_online "$c"; then
    log "starting PostgreSQL $v/$c on port $ENVFORGE_PG_PORT"
    # pg_ctlcluster exits 2 when the cluster is already running (a race with another start): fine.
    local rc=0
    without_inherited_fds pg_ctlcluster "$v" "$c" start </dev/null >/dev/null 2>&1 || rc=$?
    if [ "$rc" -ne 0 ] && [ "$rc" -ne 2 ]; then
      without_inherited_fds pg_ctlcluster "$v" "$c" start </dev/null || die "pg_ctlcluster $v $c start failed (exit $rc); see /var/log/postgresql/postgresql-$v-$c.log"
    fi
  fi
  wait_until 60 "PostgreSQL $v/$c to accept connections" _pg_accepting \
    || die "PostgreSQL did not come up; see /var/log/postgresql/postgresql-$v-$c.log"

  # Role and database, idempotently. The password goes in as a psql variable, never through the shell.
  local role_exists
  role_exists="$(_pg_psql -d postgres -tAc "select 1 from pg_roles where rolname = 'envforge'")"
  if [ "$role_exists" != "1" ]; then
    log "creating role envforge"
    _pg_psql -d postgres -v pw="$ENVFORGE_PG_PASSWORD" <<<"create role envforge login createdb password :'pw';"
  else
    _pg_psql -d postgres -v pw="$ENVFORGE_PG_PASSWORD" <<<"alter role envforge login createdb password :'pw';"
  fi
  if [ "$(_pg_psql -d postgres -tAc "select 1 from pg_database where datname = 'envforge'")" != "1" ]; then
    log "creating database envforge"
    _pg_psql -d postgres -c 'create database envforge owner envforge'
  fi

  ENVFORGE_PG="Host=127.0.0.1;Port=${ENVFORGE_PG_PORT};Database=envforge;Username=envforge;Password=$(_conn_value "$ENVFORGE_PG_PASSWORD")"
  export ENVFORGE_PG ENVFORGE_PG_PORT ENVFORGE_PG_PASSWORD

  # The role must be able to log in over TCP with its password (what the API does).
  PGPASSWORD="$ENVFORGE_PG_PASSWORD" psql -X -q -h 127.0.0.1 -p "$ENVFORGE_PG_PORT" -U envforge -d envforge -tAc 'select 1' >/dev/null \
    || die "PostgreSQL is up but envforge cannot log in on 127.0.0.1:$ENVFORGE_PG_PORT with its password (check pg_hba.conf)"
  log "PostgreSQL $v ready on 127.0.0.1:$ENVFORGE_PG_PORT (database envforge)"
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  ensure_local_postgres
  printf '%s\n' "$ENVFORGE_PG"
fi
