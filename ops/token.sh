#!/usr/bin/env bash
# Prints an access token (JWT) signed by the embedded default's local key, for calling the API by hand:
#   ops/token.sh SUBJECT [--name "Display Name"] [--minutes N]
#   TOKEN=$(ops/token.sh alice --name "Alice")
# Uses the same key folder as ops/run.sh (ENVFORGE_DATA_DIR, default .envforge/). Builds the API first if needed.
# Only the token goes to stdout.
set -euo pipefail
# shellcheck source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

if [ "$#" -lt 1 ] || [ "${1#-}" != "$1" ]; then
  echo "usage: ops/token.sh SUBJECT [--name \"Display Name\"] [--minutes N]" >&2
  exit 64
fi
if [ ! -f "$ENVFORGE_API_DLL" ]; then
  build_api
fi
export ENVFORGE_DATA_DIR="${ENVFORGE_DATA_DIR:-$ROOT/.envforge}"
mkdir -p "$ENVFORGE_DATA_DIR"
chmod 700 "$ENVFORGE_DATA_DIR"
export ASPNETCORE_ENVIRONMENT="${ASPNETCORE_ENVIRONMENT:-Development}"
cd "$ROOT/src/Api"
exec dotnet "$ENVFORGE_API_DLL" token "$@"
