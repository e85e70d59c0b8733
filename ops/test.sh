#!/usr/bin/env bash
# The test command (README). On a fresh Debian 12 machine, as root: installs and starts what the tests need
# (Docker engine, the local envforge/postgres:15 and envforge/runtime images), then runs every test of the solution.
#   ops/test.sh [dotnet test arguments, e.g. --filter FullyQualifiedName~Audit]
# Ends with the failed and skipped tests (with their reasons) and one line, alone and last:
#   N passed, N failed, N skipped
# Exit code: dotnet test's; non-zero as well when no test executed.
#   ENVFORGE_TEST_HANG_TIMEOUT  a test that runs longer is a hang: the test host is stopped and the run fails
#                               (default 20m; empty to switch off)
#   ENVFORGE_TEST_TARGET        what to test (default: EnvForge.sln)
set -euo pipefail
# shellcheck source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
# shellcheck source=lib/images.sh
source "$ROOT/ops/lib/images.sh"

ensure_nuget_shim
ensure_docker_engine
ensure_test_images

export TESTCONTAINERS_RYUK_DISABLED=true # no ryuk image without a registry; the fixture removes its container
export ENVFORGE_TEST_PG_IMAGE="$ENVFORGE_PG_IMAGE"
export ENVFORGE_TEST_RUNTIME_IMAGE="$ENVFORGE_RUNTIME_IMAGE"
export ENVFORGE_REQUIRE_DATABASE="${ENVFORGE_REQUIRE_DATABASE:-1}" # here a missing database fails, never skips
export ENVFORGE_REQUIRE_DOCKER="${ENVFORGE_REQUIRE_DOCKER:-1}"

python=/usr/bin/python3
[ -x "$python" ] || python="$(command -v python3 || true)"
if [ -z "$python" ]; then
  apt_install python3
  python=/usr/bin/python3
fi

target="${ENVFORGE_TEST_TARGET:-$ROOT/EnvForge.sln}"
results="$ROOT/.artifacts/test-results"
rm -rf "$results"
mkdir -p "$results"

hang=()
if [ -n "${ENVFORGE_TEST_HANG_TIMEOUT-20m}" ]; then
  hang=(--blame-hang-timeout "${ENVFORGE_TEST_HANG_TIMEOUT-20m}" --blame-hang-dump-type none)
fi

# One test project today: with a second one, LogFileName would make them overwrite each other's envforge.trx
# (use LogFilePrefix=envforge then; trx_summary.py reads every .trx under $results).
log "dotnet test $(basename "$target") (Release)"
status=0
dotnet test "$target" -c Release --logger "trx;LogFileName=envforge.trx" --results-directory "$results" \
  "${hang[@]}" "$@" || status=$?

summary=0
"$python" "$ROOT/ops/lib/trx_summary.py" "$results" || summary=$?
if [ "$status" -eq 0 ] && [ "$summary" -ne 0 ]; then
  status=1
fi
exit "$status"
