#!/usr/bin/env bash
# Packs the envforge CLI as a .NET tool into ops/cli/dist and, with --install, installs it for this user:
#   ops/cli.sh             # prints the install command
#   ops/cli.sh --install   # dotnet tool install --global (or update) from that folder
# The package is EnvForge.Cli; the command is `envforge`.
set -euo pipefail
# shellcheck source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

dist="$ROOT/ops/cli/dist"
ensure_nuget_shim
log "packing the envforge CLI (Release) into $dist"
rm -rf "$dist"
RUN_QUIET_TAIL=200 run_quiet dotnet pack "$ROOT/src/Cli/EnvForge.Cli.csproj" -c Release -o "$dist" -nologo
package="$(ls "$dist"/EnvForge.Cli.*.nupkg)"
version="$(basename "$package" .nupkg)"
version="${version#EnvForge.Cli.}"

if [ "${1:-}" = "--install" ]; then
  if dotnet tool list --global | grep -qi '^envforge.cli '; then
    dotnet tool update --global --add-source "$dist" EnvForge.Cli --version "$version" >&2
  else
    dotnet tool install --global --add-source "$dist" EnvForge.Cli --version "$version" >&2
  fi
  log "installed: run \`envforge login --server http://127.0.0.1:5080\` (~/.dotnet/tools must be on PATH)"
else
  log "packed $package"
  echo "dotnet tool install --global --add-source $dist EnvForge.Cli --version $version"
fi
