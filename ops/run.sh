#!/usr/bin/env bash
# The main job (README): PostgreSQL 15 installed and started (role and database envforge), the API built, then run
# in the foreground on http://127.0.0.1:${ENVFORGE_PORT:-5080}. Marten applies the schema at start.
#   ops/run.sh [extra arguments for the API]
#   ENVFORGE_PORT          HTTP port (default 5080)
#   ENVFORGE_PG_PORT, ENVFORGE_PG_PASSWORD   see ops/lib/postgres.sh
#   ENVFORGE_DATA_DIR      where the API keeps its local signing and dev encryption keys (default .envforge/)
#   TEMPORAL_ADDRESS       host:port of a Temporal cluster, passed through when set
#   Infrastructure__Provider  Aws or Local; Local (the default without Aws__PlatformAccountId) also needs the Docker
#                          engine, git and the local host image here: this script provides them (README, "On one machine")
#   ASPNETCORE_ENVIRONMENT default Development
set -euo pipefail
# shellcheck source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
# shellcheck source=lib/postgres.sh
source "$ROOT/ops/lib/postgres.sh"
# shellcheck source=lib/images.sh
source "$ROOT/ops/lib/images.sh"

ensure_nuget_shim
ensure_local_postgres
build_api

# The Local provider: workspaces run on this machine's Docker engine, from repositories read with git.
provider="${Infrastructure__Provider:-}"
if [ -z "$provider" ] && [ -z "${Aws__PlatformAccountId:-}" ]; then
  provider=Local
fi
if [ "${provider,,}" = local ]; then
  log "provider Local: org hosts on this machine's Docker engine"
  command -v git >/dev/null 2>&1 || apt_install git
  ensure_docker_engine
  ensure_local_images
fi

export ConnectionStrings__Marten="$ENVFORGE_PG"
export ASPNETCORE_ENVIRONMENT="${ASPNETCORE_ENVIRONMENT:-Development}"
export ENVFORGE_DATA_DIR="${ENVFORGE_DATA_DIR:-$ROOT/.envforge}"
mkdir -p "$ENVFORGE_DATA_DIR"
chmod 700 "$ENVFORGE_DATA_DIR"
if [ -n "${TEMPORAL_ADDRESS:-}" ]; then
  export TEMPORAL_ADDRESS
fi

port="${ENVFORGE_PORT:-5080}"
# Dev links are served by this process on its own port: their URLs say so.
export Gateway__PublicPort="${Gateway__PublicPort:-$port}"
log "EnvForge API on http://127.0.0.1:$port (OpenAPI /openapi/v1.json, reference /scalar/v1, health /health); token: ops/token.sh alice"
# From src/Api, so appsettings*.json are found (content root).
cd "$ROOT/src/Api"
exec dotnet "$ENVFORGE_API_DLL" --urls "http://127.0.0.1:$port" --contentRoot "$ROOT/src/Api" "$@"
