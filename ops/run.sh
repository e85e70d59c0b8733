#!/usr/bin/env bash
# The main job (README): PostgreSQL 15 installed and started (role and database envforge), the API built, then run
# in the foreground on http://127.0.0.1:${ENVFORGE_PORT:-5080}. Marten applies the schema at start.
#   ops/run.sh [extra arguments for the API]
#   ENVFORGE_PORT          HTTP port (default 5080)
#   ENVFORGE_PG_PORT, ENVFORGE_PG_PASSWORD   see ops/lib/postgres.sh
#   ENVFORGE_DATA_DIR      where the API keeps its local signing and dev encryption keys (default .envforge/)
#   TEMPORAL_ADDRESS       host:port of a Temporal cluster, passed through when set
#   ASPNETCORE_ENVIRONMENT default Development
set -euo pipefail
# shellcheck source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
# shellcheck source=lib/postgres.sh
source "$ROOT/ops/lib/postgres.sh"

ensure_nuget_shim
ensure_local_postgres
build_api

export ConnectionStrings__Marten="$ENVFORGE_PG"
export ASPNETCORE_ENVIRONMENT="${ASPNETCORE_ENVIRONMENT:-Development}"
export ENVFORGE_DATA_DIR="${ENVFORGE_DATA_DIR:-$ROOT/.envforge}"
mkdir -p "$ENVFORGE_DATA_DIR"
chmod 700 "$ENVFORGE_DATA_DIR"
if [ -n "${TEMPORAL_ADDRESS:-}" ]; then
  export TEMPORAL_ADDRESS
fi

port="${ENVFORGE_PORT:-5080}"
log "EnvForge API on http://127.0.0.1:$port (OpenAPI /openapi/v1.json, reference /scalar/v1, health /health); token: ops/token.sh alice"
# From src/Api, so appsettings*.json are found (content root).
cd "$ROOT/src/Api"
exec dotnet "$ENVFORGE_API_DLL" --urls "http://127.0.0.1:$port" --contentRoot "$ROOT/src/Api" "$@"
