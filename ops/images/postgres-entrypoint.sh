#!/bin/sh
# Entrypoint of the local envforge/postgres:15 image (built by ops/lib/pg-image.sh; no registry is reachable here).
# The contract of the official image that Testcontainers relies on:
#   POSTGRES_USER (default postgres)      superuser created by initdb
#   POSTGRES_PASSWORD (default postgres)  its password; host connections from anywhere need it (scram-sha-256)
#   POSTGRES_DB (default POSTGRES_USER)   created on first start when it is not "postgres"
#   PGDATA (default /var/lib/postgresql/data), initialised once.
#   Arguments starting with "-" (e.g. -c max_connections=200) go to postgres; "postgres ARGS" works too.
# The server runs in the foreground as PID 1 and logs to stderr; "database system is ready to accept connections"
# is printed exactly once, by the real server (the first-start set-up runs in single-user mode, which prints none).
# Durability settings are PostgreSQL's defaults: tests behave like production.
set -eu

: "${POSTGRES_USER:=postgres}"
: "${POSTGRES_PASSWORD:=postgres}"
: "${POSTGRES_DB:=$POSTGRES_USER}"
: "${PGDATA:=/var/lib/postgresql/data}"
export PGDATA

if [ "${1:-}" = postgres ]; then
  shift
elif [ "$#" -gt 0 ] && [ "${1#-}" = "$1" ]; then
  # Not a server option: a command to run instead of the server (e.g. `docker run IMAGE psql --version`).
  exec "$@"
fi

# Runs a command as the postgres user: setpriv (util-linux) when present, su otherwise (-p keeps PATH and PGDATA).
as_postgres() {
  if command -v setpriv >/dev/null 2>&1; then
    setpriv --reuid=postgres --regid=postgres --init-groups "$@"
  else
    su -p -s /bin/sh -c 'exec "$@"' -- postgres sh "$@"
  fi
}

# Double-quoted SQL identifier.
ident() {
  printf '"%s"' "$(printf '%s' "$1" | sed 's/"/""/g')"
}

mkdir -p "$PGDATA" /var/run/postgresql
chown postgres:postgres "$PGDATA" /var/run/postgresql
chmod 700 "$PGDATA"
chmod 2775 /var/run/postgresql

if [ ! -s "$PGDATA/PG_VERSION" ]; then
  pwfile="$(mktemp)"
  printf '%s\n' "$POSTGRES_PASSWORD" >"$pwfile"
  chown postgres "$pwfile"
  # shellcheck disable=SC2086 # POSTGRES_INITDB_ARGS is a list of options, as in the official image.
  as_postgres initdb -D "$PGDATA" --username="$POSTGRES_USER" --pwfile="$pwfile" \
    --encoding=UTF8 --locale=C.UTF-8 --auth-local=trust --auth-host=scram-sha-256 \
    ${POSTGRES_INITDB_ARGS:-} >/dev/null
  rm -f "$pwfile"
  printf '\n# envforge image: password auth for host connections from anywhere\nhost all all all scram-sha-256\n' >>"$PGDATA/pg_hba.conf"
  printf "\n# envforge image\nlisten_addresses = '*'\n" >>"$PGDATA/postgresql.conf"

  if [ "$POSTGRES_DB" != postgres ]; then
    out="$(printf 'CREATE DATABASE %s OWNER %s;\n' "$(ident "$POSTGRES_DB")" "$(ident "$POSTGRES_USER")" \
      | as_postgres postgres --single -j -D "$PGDATA" postgres 2>&1)" || { printf '%s\n' "$out" >&2; exit 1; }
    case "$out" in
      *ERROR*|*FATAL*) printf '%s\n' "$out" >&2; exit 1 ;;
    esac
  fi
  echo "envforge-postgres: initialised $PGDATA (user $POSTGRES_USER, database $POSTGRES_DB)"
fi

if command -v setpriv >/dev/null 2>&1; then
  exec setpriv --reuid=postgres --regid=postgres --init-groups postgres -D "$PGDATA" "$@"
fi
# shellcheck disable=SC2016 # expanded by the inner shell, as the postgres user
exec su -p -s /bin/sh -c 'exec postgres -D "$PGDATA" "$@"' -- postgres sh "$@"
