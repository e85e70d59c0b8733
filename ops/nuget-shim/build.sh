#!/usr/bin/env bash
# Packs the Marten restore shim into ops/nuget-shim/feed (idempotent). nuget.config lists that folder first.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
feed="$here/feed"
if [ -f "$feed/patched.distributedlock.postgres.1.3.3.nupkg" ] || [ -f "$feed/Patched.DistributedLock.Postgres.1.3.3.nupkg" ]; then
  exit 0
fi
mkdir -p "$feed"
# The shim project restores nothing from the network, so this works before the real feed is usable.
log="$(mktemp)"
if ! dotnet pack "$here/Shim.csproj" -o "$feed" -p:PackageOutputPath="$feed" --nologo -v quiet >"$log" 2>&1; then
  echo "error: packing the NuGet shim failed (ops/nuget-shim/build.sh):" >&2
  cat "$log" >&2
  rm -f "$log"
  exit 1
fi
rm -f "$log"
# A package restored earlier from an older shim build would otherwise shadow the new one.
rm -rf "${NUGET_PACKAGES:-$HOME/.nuget/packages}/patched.distributedlock.postgres"
